"""Write the council report for one day: ``<reports_dir>/<YYYY-MM-DD>/kernindicatoren.html`` and ``.pdf``.

That is the report of the moment that fits the day (:func:`ea_pipelines.report.moments.default_moment`);
another moment is written beside it as ``kernindicatoren-<moment>-<year>.html`` and ``.pdf``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ea_pipelines.files import write_atomic
from ea_pipelines.provenance import is_invented
from ea_pipelines.report.charts import draw, svg_title, to_png, to_svg
from ea_pipelines.report.content import ReportContent, read_content
from ea_pipelines.report.html import render_html
from ea_pipelines.report.marks import watermark
from ea_pipelines.report.moments import ReportMoment, default_moment
from ea_pipelines.report.pdf import render_pdf
from ea_pipelines.settings import DEFAULT_SQL_DIR

BASENAME = "kernindicatoren"


@dataclass(frozen=True)
class ReportFiles:
    directory: Path
    html: Path
    pdf: Path
    content: ReportContent
    charts: list[str]  # indicator codes that got a chart


def basename(moment: ReportMoment, day: dt.date) -> str:
    return BASENAME if moment == default_moment(day) else f"{BASENAME}-{moment.kind}-{moment.year}"


def write_report(engine: sa.Engine, reports_dir: Path, now: dt.datetime | None = None,
                 moment: ReportMoment | None = None, as_of: dt.date | None = None,
                 sql_dir: Path = DEFAULT_SQL_DIR) -> ReportFiles:
    """Build the report from ``marts`` and write both files atomically; the same day's report is replaced.

    ``as_of``: the figures as known on that date (see :mod:`ea_pipelines.report.vintage`)."""
    content = read_content(engine, now, moment, as_of, sql_dir)
    assert content.moment is not None
    svgs: dict[str, str] = {}
    pngs: dict[str, bytes] = {}
    for s in content.sections:
        if not s.has_data:
            continue
        fig = draw(s)
        if is_invented(s.chart_provenance):
            watermark(fig)
        svgs[s.code] = svg_title(to_svg(fig, salt=s.code), f"Grafiek: {s.name}")
        pngs[s.code] = to_png(fig)
    directory = reports_dir / f"{content.generated_at:%Y-%m-%d}"
    name = basename(content.moment, content.generated_at.date())
    html, pdf = directory / f"{name}.html", directory / f"{name}.pdf"
    write_atomic(html, render_html(content, svgs).encode("utf-8"))
    write_atomic(pdf, render_pdf(content, pngs))
    return ReportFiles(directory, html, pdf, content, list(svgs))

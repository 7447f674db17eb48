"""The report as one self-contained HTML file (styles and SVG charts inline, nothing fetched)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ea_pipelines.report.content import PROVISIONAL, ReportContent
from ea_pipelines.report.formatting import STATUS_LABEL, fmt_date, fmt_value

_env = Environment(loader=PackageLoader("ea_pipelines.report", "templates"), autoescape=select_autoescape(),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def status_counts(content: ReportContent) -> dict[str, int]:
    counts = {"behaald": 0, "niet behaald": 0, "geen data": 0, "other": 0}
    for s in content.kern:
        counts[s.status if s.status in counts else "other"] += 1
    return counts


def render_html(content: ReportContent, charts: dict[str, str]) -> str:
    """``charts`` maps indicator code to its inline ``<svg>``; indicators without data have none."""
    return _env.get_template("rapport.html.j2").render(
        c=content, charts=charts, counts=status_counts(content), status_label=STATUS_LABEL,
        provisional=PROVISIONAL, fmt_date=fmt_date, fmt_value=fmt_value)

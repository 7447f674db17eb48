"""One truth about provenance, with the example data (`run --with-examples`: synthetic CBS and Swing snapshots,
the bundled example deliveries): in the PDF of every report moment, read back with pdftotext, every number that
rests on an invented figure sits beside its mark, and no invented figure is judged. The invented figures are
found in the marts, not written out here."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.provenance import INVENTED
from ea_pipelines.report.build import ReportFiles, write_report
from ea_pipelines.report.formatting import fmt_number, fmt_value
from ea_pipelines.report.marks import MARK, NOT_JUDGED
from ea_pipelines.report.moments import moment
from ea_pipelines.settings import Settings
from ea_pipelines.warehouse.db import Warehouse

PDFTOTEXT = shutil.which("pdftotext")
MOMENTS = [moment("voorjaarsrapportage", 2026), moment("najaarsrapportage", 2026),
           moment("jaarverantwoording", 2025)]
#: how far (characters of the flattened text) a mark may follow its number: "4,4 ha (Almelo, 2024, definitief)
#: – voorbeeldcijfer" is the longest way a report writes it
AFTER = 90
BEFORE = 12
pytestmark = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext not installed: apt-get install poppler-utils")


def invented_figures(engine: sa.Engine) -> dict[str, set[str]]:
    """Every number the report writes for an invented figure, as the report writes it, per indicator (or
    effort): the kernindicatoren's latest, previous and comparison values, the programme municipality's values
    of every indicator, and the efforts' result counts."""
    out: dict[str, set[str]] = {}
    invented = "('" + "', '".join(sorted(INVENTED)) + "')"
    with engine.connect() as conn:
        for code, unit, value in conn.execute(sa.text(f"""
                SELECT f.indicator_code, i.unit, f.value FROM marts.fact_indicator_value f
                JOIN marts.dim_indicator i ON i.code = f.indicator_code
                JOIN marts.dim_region r ON r.code = f.region_code
                WHERE r.programme_role IN ('municipality', 'peer_corop', 'province', 'country')
                  AND f.provenance IN {invented}""")):
            out.setdefault(code, set()).add(fmt_value(value, unit))
        for effort, count, unit in conn.execute(sa.text(f"""
                SELECT effort, result_count, result_unit FROM marts.programme_effort
                WHERE provenance IN {invented} AND result_count IS NOT NULL""")):
            out.setdefault(f"inzet: {effort}", set()).add(f"{fmt_number(count, 0)} {unit or ''}".strip())
    return out


def real_figures(engine: sa.Engine) -> set[str]:
    """The same texts for real figures: a text that is also a real figure's cannot be told apart in flat text."""
    invented = "('" + "', '".join(sorted(INVENTED)) + "')"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"""
            SELECT i.unit, f.value FROM marts.fact_indicator_value f
            JOIN marts.dim_indicator i ON i.code = f.indicator_code
            WHERE f.provenance NOT IN {invented}""")).all()
    return {fmt_value(v, u) for u, v in rows}


def pdf_text(path: Path) -> str:
    out = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
#: a number that is part of a date (31 december 2025, 31-08-2026) or a page number, not a figure
NOT_A_FIGURE = re.compile(rf"\s(?:{'|'.join(MONTHS)})\b|-\d")


def unmarked(text: str, figure: str) -> list[str]:
    """Each place ``figure`` stands in ``text`` without "voorbeeldcijfer" just after (or just before) it."""
    bad = []
    for m in re.finditer(rf"(?<![\d,.-]){re.escape(figure)}(?![\d,]|\.\d)", text):
        if NOT_A_FIGURE.match(text, m.end()) or text[:m.start()].endswith("pagina "):
            continue
        around = text[max(0, m.start() - BEFORE - len(MARK)):m.end() + AFTER]
        if MARK not in around:
            bad.append(text[max(0, m.start() - 60):m.end() + AFTER])
    return bad


@pytest.mark.timeout(600)  # one whole nightly run with the examples, then three reports
def test_every_invented_figure_is_marked_and_never_judged(tmp_path: Path) -> None:
    settings = Settings.from_env()
    # in a process of its own: in-process, a definitions module another test imported earlier would keep that
    # test's settings (warehouse), and the run would load into another test's warehouse
    done = subprocess.run([sys.executable, "-m", "ea_pipelines.cli", "run", "--with-examples"], env=dict(os.environ),
                          cwd=tmp_path, text=True, capture_output=True, timeout=540, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wh = Warehouse.from_settings(settings)
    try:
        figures = invented_figures(wh.engine)
        ambiguous = real_figures(wh.engine)
        with wh.engine.connect() as conn:
            judged = conn.execute(sa.text(
                "SELECT indicator_code, target_status, target_met FROM marts.kernindicatoren "
                "WHERE status_provenance IN ('illustrative', 'synthetic')")).all()
        # after the run, so that its figures are new since every moment's previous reference date (highlights)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=5)
        reports: list[ReportFiles] = [write_report(wh.engine, tmp_path / m.kind, now=now, moment=m)
                                      for m in MOMENTS]
    finally:
        wh.dispose()
    assert figures and any(k.startswith("inzet: ") for k in figures)  # the example data has invented figures
    assert judged and all(r.target_status == NOT_JUDGED and r.target_met is None for r in judged)
    for files in reports:
        text = pdf_text(files.pdf)
        found = 0
        for key, shown in figures.items():
            for figure in shown - ambiguous:
                bad = unmarked(text, figure)
                assert not bad, f"{files.pdf.name} ({files.content.moment.title}): {key} {figure!r} unmarked: {bad}"
                found += len(re.findall(re.escape(figure), text))
        assert found, files.content.moment.title
        # nothing invented is judged: no target status, no direction
        invented_kern = {s.nr: s for s in files.content.not_judged}
        assert invented_kern
        for s in invented_kern.values():
            assert s.status not in ("behaald", "niet behaald")
        for m in re.finditer(r"• (\d+)\. [^•]*?(De verkeerde kant op|niet gehaald)", text):
            assert int(m.group(1)) not in invented_kern, m.group(0)
        for h in files.content.highlights:
            if h.provenance in INVENTED:
                assert "behaald" not in h.text and MARK in h.text, h.text
        assert "Niet beoordeeld, omdat de cijfers voorbeeldcijfers zijn" in text

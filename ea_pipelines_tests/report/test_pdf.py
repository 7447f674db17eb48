"""The PDF reads correctly, checked on its text as poppler extracts it (``pdftotext``, ``pdfinfo``).

Words are never broken inside (a file name only after its '_'), numbers are right-aligned in the summary
table, no source repeats its table, the creation date is the real one, one Dutch number style.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.report.build import ReportFiles, write_report
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                                reason="poppler-utils not installed: apt-get install poppler-utils (.ci/run does this)")
LONG_FILE = "voorbeeld_mkb_ranking_vriendelijkste_gemeente_2024.csv"
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    tmp = tmp_path_factory.mktemp("pdf")
    wh = Warehouse(f"duckdb:///{tmp}/ea.duckdb")
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(wh, load_catalogues(Settings()))
    load(wh, BASE)
    deliver(wh)
    with wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE staging.mkb_ranking SET source_file = :f"), {"f": LONG_FILE})
    build_all(wh, load_project(DEFAULT_SQL_DIR))
    files = write_report(wh.engine, tmp / "reports", now=dt.datetime(2026, 11, 27, 3, 0))
    wh.dispose()
    return files


def words(pdf: Path, page: int) -> list[tuple[float, float, float, str]]:
    """(xMin, yMin, xMax, text) of every word on one page."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), html.unescape(t)) for a, b, c, _, t in WORD.findall(out)]


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_words_are_whole(report: ReportFiles) -> None:
    page1 = [w[3] for w in words(report.pdf, 1)]
    assert "Streefwaarde" in page1 and "Kernindicator" in page1
    # the long file name wraps only after an underscore: every piece ends with '_' or is its tail
    pieces = [w for w in page1 if w.startswith(("voorbeeld_", "mkb_", "ranking_", "vriendelijkste_", "gemeente_",
                                                  "2024.csv"))]
    assert "".join(p.rstrip(",") for p in pieces) == LONG_FILE * 2  # two rows name the file
    assert len(pieces) > 2 and all(p.endswith("_") or p == "2024.csv," for p in pieces)
    for fragment in ("kennispu", "nt.csv", "streef", "Streef", "scholings", "waarde)"):
        assert fragment not in page1  # a word split inside would leave such a fragment


def test_numbers_are_right_aligned(report: ReportFiles) -> None:
    page1 = words(report.pdf, 1)
    header = next(w for w in page1 if w[3] == "Laatste")
    footnote_y = next(w[1] for w in page1 if w[3] == "voorlopig")
    column = [w for w in page1 if header[0] - 2 <= w[0] and w[2] <= header[0] + 1.9 * 28.35
              and header[1] + 15 < w[1] < footnote_y]
    values = [w for w in column if re.fullmatch(r"[\d.,*]+", w[3])]
    assert {w[3] for w in values} >= {"8", "6,9", "1,35", "36,0", "50,0*"}
    right_edges = {round(w[2]) for w in values}
    assert max(right_edges) - min(right_edges) <= 1, values  # one right edge, whatever the width


def test_sources_do_not_repeat_and_numbers_are_dutch(report: ReportFiles) -> None:
    body = text(report.pdf)
    assert not re.search(r"CBS (\w+)\s*\(\1\)", body)  # "CBS 70072ned (70072ned)"
    assert "CBS 85969NED Arbeidsdeelname" in body
    assert "x 1 000" not in body and "10 000" not in body and "(x 1.000)" in body and "per 10.000" in body


def test_creation_date_is_real(report: ReportFiles) -> None:
    info = subprocess.run(["pdfinfo", str(report.pdf)], capture_output=True, text=True, check=True).stdout
    created = re.search(r"CreationDate:\s+(.+)", info).group(1)
    assert str(dt.date.today().year) in created and "2000" not in created

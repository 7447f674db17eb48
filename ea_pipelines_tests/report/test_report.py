"""The council report from the marts, on DuckDB and PostgreSQL: with data, without data, and with revisions."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.report.build import write_report
from ea_pipelines.report.formatting import fmt_value
from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load

MODELS = load_project(DEFAULT_SQL_DIR)
NOW = dt.datetime(2026, 11, 27, 3, 0)


class Articles(HTMLParser):
    """Indicator articles of the report: code -> (status, has a chart, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.articles: dict[str, dict] = {}
        self.current: str | None = None
        self.goals: list[str] = []
        self.summary_rows = 0
        self._in_summary = self._in_h2 = self._in_goal = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "article":
            self.current = a["id"]
            self.articles[self.current] = {"status": a["data-status"], "chart": False, "text": ""}
        elif tag == "figure" and "chart" in (a.get("class") or ""):
            assert a["data-indicator"] == self.current
            self.articles[self.current]["chart"] = True
        elif tag == "table" and a.get("class") == "summary":
            self._in_summary = True
        elif tag == "tr" and self._in_summary:
            self.summary_rows += 1
        elif tag == "h2" and self._in_goal:
            self._in_h2 = True
        elif tag == "section" and "goal" in (a.get("class") or "").split():
            self._in_goal = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.current = None
        elif tag == "table":
            self._in_summary = False
        elif tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self.current:
            self.articles[self.current]["text"] += data
        if self._in_h2:
            self.goals.append(data.strip())


def parse(path: Path) -> Articles:
    p = Articles()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def marts(wh: Warehouse, sql: str) -> pd.DataFrame:
    with wh.engine.connect() as conn:
        return pd.read_sql_query(sa.text(sql), conn)


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))


def test_report_with_data_shows_every_indicator_by_goal(wh: Warehouse, tmp_path: Path) -> None:
    load(wh, BASE)
    deliver(wh)
    build_all(wh, MODELS)
    files = write_report(wh.engine, tmp_path / "reports", now=NOW)

    assert files.html == tmp_path / "reports" / "2026-11-27" / "kernindicatoren.html"
    assert files.pdf.read_bytes().startswith(b"%PDF")
    report = parse(files.html)
    indicators = marts(wh, "SELECT code, strategic_goal_nr, strategic_goal FROM marts.dim_indicator")
    kern = marts(wh, "SELECT * FROM marts.kernindicatoren")
    assert set(report.articles) == set(indicators["code"])
    assert report.summary_rows == 1 + len(kern) == 12  # header and the eleven kernindicatoren
    goals = indicators.drop_duplicates("strategic_goal_nr").sort_values("strategic_goal_nr")
    assert [g.split(": ", 1)[1] for g in report.goals] == list(goals["strategic_goal"]) and len(goals) == 5

    # a chart exactly for the indicators whose headline region has a value in the marts
    with_data = set(kern.loc[kern["latest_value"].notna(), "indicator_code"])
    context = marts(wh, """SELECT DISTINCT f.indicator_code FROM marts.fact_indicator_value f
                           JOIN marts.dim_indicator i ON i.code = f.indicator_code AND NOT i.is_kernindicator
                           JOIN marts.dim_region r ON r.code = f.region_code AND r.programme_role = 'municipality'""")
    with_data |= set(context["indicator_code"])
    assert {c for c, a in report.articles.items() if a["chart"]} == with_data == set(files.charts)
    assert {"bijstand_per_10000", "mkb_ranking_positie", "spanningsindicator"} <= with_data
    assert "scholingscheques" not in with_data  # no delivery in these inputs

    for row in kern.to_dict("records"):
        article = report.articles[row["indicator_code"]]
        assert article["status"] == row["target_status"]
        if row["latest_value"] is not None and not pd.isna(row["latest_value"]):
            assert fmt_value(row["latest_value"], row["unit"]) in article["text"]
        else:
            assert "Geen gegevens" in article["text"]
    bijstand = report.articles["bijstand_per_10000"]["text"]
    name = marts(wh, "SELECT name FROM marts.dim_region WHERE code = 'GM0141'")["name"][0]
    assert f"50,0 ({name}, 2024, voorlopig)" in bijstand  # 300 / 60,000 x 10,000
    assert "Voorlopige cijfers (2024)" in bijstand
    # the source names both tables once: not again in brackets ("CBS 70072ned (70072ned)")
    assert re.search(r"Bron\s*CBS 70072ned \(bijstand tot AOW-leeftijd\) / CBS 03759ned \(bevolking 1 januari\)\s*"
                     r"Datum gegevens", bijstand)
    assert "opgehaald of ontvangen op 01-03-2026" in bijstand
    # page one is the summary, then one page (at least) per goal
    assert pdf_pages(files.pdf) >= 1 + 5


def test_report_without_any_data_says_so_and_still_renders(wh: Warehouse, tmp_path: Path) -> None:
    build_all(wh, MODELS)
    files = write_report(wh.engine, tmp_path, now=NOW)
    report = parse(files.html)
    assert files.charts == []
    assert len(report.articles) == 17 and not any(a["chart"] for a in report.articles.values())
    assert {a["status"] for a in report.articles.values()} == {"geen data"}
    assert "11 hebben nog geen cijfers" in files.html.read_text(encoding="utf-8")
    assert files.pdf.read_bytes().startswith(b"%PDF") and pdf_pages(files.pdf) >= 6


def test_revised_figures_are_noted(wh: Warehouse, tmp_path: Path) -> None:
    load(wh, BASE, "L1")
    build_all(wh, MODELS)
    revised = [dict(o) for o in BASE]
    for o in revised:
        if o["measure_code"] == "90210_3" and o["region_code"] == "GM0141" and o["period_code"] == "2024JJ00":
            o.update(value=312, period_status="definitief")
    load(wh, revised, "L2")
    build_all(wh, MODELS)
    files = write_report(wh.engine, tmp_path, now=NOW)
    text = parse(files.html).articles["bijstand_per_10000"]["text"]
    assert re.search(r"Herzien op \d\d-\d\d-\d{4}: 2024 van 50,0 \(voorlopig\) naar 52,0 \(definitief\)", text)


def test_the_same_day_is_replaced_not_duplicated(wh: Warehouse, tmp_path: Path) -> None:
    build_all(wh, MODELS)
    first = write_report(wh.engine, tmp_path / "reports", now=NOW)
    load(wh, BASE)
    build_all(wh, MODELS)
    second = write_report(wh.engine, tmp_path / "reports", now=NOW)
    assert first.html == second.html
    written = sorted(p.relative_to(tmp_path / "reports") for p in (tmp_path / "reports").rglob("*") if p.is_file())
    assert written == [Path("2026-11-27/kernindicatoren.html"), Path("2026-11-27/kernindicatoren.pdf")]
    assert second.charts and parse(second.html).articles["bijstand_per_10000"]["chart"]


def test_a_figure_of_unknown_status_is_shown_as_such(wh: Warehouse, tmp_path: Path) -> None:
    """A CBS figure whose status CBS does not settle (status onbekend) is marked "?" and named, never shown as
    final; its period is listed in the notes."""
    unknown = [{**o, "period_status": None, "status": "onbekend"} if o["measure_code"] == "90210_3" else o
               for o in BASE]
    load(wh, unknown)
    build_all(wh, MODELS)
    files = write_report(wh.engine, tmp_path, now=NOW)
    html = files.html.read_text(encoding="utf-8")
    text = parse(files.html).articles["bijstand_per_10000"]["text"]
    name = marts(wh, "SELECT name FROM marts.dim_region WHERE code = 'GM0141'")["name"][0]
    assert f"50,0 ({name}, 2024, status onbekend)" in text
    assert "Status onbekend (2023, 2024)" in text and "Voorlopige cijfers" not in text
    assert re.search(r"50,0\?", html)  # the overview's mark
    assert "? status onbekend" in html

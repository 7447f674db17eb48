"""The report per moment, from the marts on DuckDB and PostgreSQL: highlights since the previous moment,
afwijkingen with their figures, efforts per goal and qualitative contributions within the window."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ea_pipelines.cli import main
from ea_pipelines.report.build import write_report
from ea_pipelines.report.moments import moment
from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines_tests.report.hostile import hostile
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load

MODELS = load_project(DEFAULT_SQL_DIR)
T1 = dt.datetime(2026, 6, 10, 2, 0)  # the second load: after the voorjaarsrapportage's reference date
NOW = dt.datetime(2026, 11, 27, 3, 0)
SPRING, AUTUMN, YEAR_2025 = (moment("voorjaarsrapportage", 2026), moment("najaarsrapportage", 2026),
                             moment("jaarverantwoording", 2025))
SCRIPT_TITLE = hostile("qtitle")
SCRIPT_BODY = hostile("qbody")


def effort(goal: int, name: str, status: str, period: str, count: int | None = None, load_id: str = "P1") -> dict:
    return {"goal_nr": goal, "effort": name, "status": status, "period": period,
            "explanation": f"toelichting {name} {period}", "result_count": count,
            "result_unit": "bijeenkomsten" if count is not None else None, "load_id": load_id,
            "source_file": "inzet.xlsx", "source_row": 2}


def contribution(goal: int, title: str, day: dt.date, body: str = "Een fragment.") -> dict:
    return {"goal_nr": goal, "title": title, "body": body, "author": "Redactie", "contribution_date": day,
            "image": None, "load_id": "Q1", "source_file": "bijdragen.csv", "source_row": 2}


def programme(wh: Warehouse) -> None:
    with wh.engine.begin() as conn:
        bulk_insert(conn, "staging.programme_efforts", pd.DataFrame([
            effort(2, "Netwerkbijeenkomsten", "lopend", "2026KW01", 3),
            effort(2, "Netwerkbijeenkomsten", "afgerond", "2026KW03", 7),
            effort(2, "BIZ-vorming", "vertraagd", "2025KW04"),
            effort(3, "LLO-aanpak", "gepland", "2026JJ00"),
        ]).astype({"result_count": "Int64"}))
        bulk_insert(conn, "staging.qualitative_contributions", pd.DataFrame([
            contribution(3, "Interview 2025", dt.date(2025, 10, 14)),
            contribution(2, "Bijeenkomst maart", dt.date(2026, 3, 12)),
            contribution(3, SCRIPT_TITLE, dt.date(2026, 6, 18), body=SCRIPT_BODY),
            contribution(5, "Proefvaart", dt.date(2026, 8, 31)),
        ]))
        for load_id, dtype in (("P1", "programme_efforts"), ("Q1", "qualitative_contributions")):
            conn.execute(sa.text("INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, "
                                 "received_at, status, provenance) "
                                 "VALUES (:l, :d, 'f', 'h', 1, :t, 'accepted', 'partner')"),
                         {"l": load_id, "d": dtype, "t": T1})


def second_load(wh: Warehouse) -> None:
    """CBS revises bijstand 2024 and publishes 2025; a newer MKB ranking shows a worse position."""
    revised = [dict(o) for o in BASE]
    for o in revised:
        if o["measure_code"] == "90210_3" and o["region_code"] == "GM0141" and o["period_code"] == "2024JJ00":
            o.update(value=312, period_status="definitief")
    revised += [{**revised[0], "period_code": "2025JJ00", "value": 61_000, "load_id": "L2"},
                {**revised[3], "period_code": "2025JJ00", "value": 290, "period_status": "voorlopig", "load_id": "L2"}]
    for o in revised:
        o["load_id"] = "L2"
    load(wh, revised, "L2")
    with wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta.load_log SET finished_at = :t WHERE load_id = 'L2'"), {"t": T1})
        # position 7 in 2022, 9 in 2024: still within the top 10 (behaald), but the wrong way
        conn.execute(sa.text("UPDATE staging.mkb_ranking SET overall_rank = CASE WHEN edition_year = '2022JJ00' "
                             "THEN 7 ELSE 9 END"))


@pytest.fixture
def built(wh: Warehouse) -> Warehouse:
    load(wh, BASE)
    deliver(wh)
    programme(wh)
    build_all(wh, MODELS)  # first build: everything first seen at T0 (1 March 2026)
    second_load(wh)
    build_all(wh, MODELS)
    return wh


class Sections(HTMLParser):
    """Text per section id (highlights, afwijkingen, inzet-N, rijker-N) and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.stack: list[str | None] = []
        self.tags: list[str] = []
        self.items: dict[str, list[dict]] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.stack.append(a.get("id"))
            self.text.setdefault(a.get("id") or "", "")
        if tag in ("li", "tr") and self.stack and self.stack[-1]:
            self.items.setdefault(self.stack[-1], []).append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for sid in self.stack:
            if sid:
                self.text[sid] += data


def report(wh: Warehouse, tmp_path: Path, m, now: dt.datetime = NOW) -> tuple[Sections, str]:  # noqa: ANN001
    files = write_report(wh.engine, tmp_path, now=now, moment=m)
    page = files.html.read_text(encoding="utf-8")
    parsed = Sections()
    parsed.feed(page)
    return parsed, page


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_highlights_are_what_is_new_since_the_previous_moment(built: Warehouse, tmp_path: Path) -> None:
    autumn, _ = report(built, tmp_path, AUTUMN)
    text = squash(autumn.text["highlights"])
    kinds = {(a["data-indicator"], a["data-kind"]) for a in autumn.items["highlights"]}
    # since 30 April 2026: the June load's new year 2025 and the revision of 2024, nothing from March
    assert ("bijstand_per_10000", "nieuw") in kinds and ("bijstand_per_10000", "herzien") in kinds
    assert "nieuwe cijfers voor 2025; nu 47,5 (2025)" in text  # 290 / 61,000 x 10,000
    # revised after the voorjaarsrapportage, which showed the old figure (first seen in March): said so
    assert "2024 herzien op 10-06-2026, na de voorjaarsrapportage 2026: van 50,0 (voorlopig) naar 52,0 " \
           "(definitief)" in text
    assert ("werkzame_beroepsbevolking", "nieuw") not in kinds  # first seen in March, before the window
    spring, _ = report(built, tmp_path, SPRING, now=dt.datetime(2026, 5, 2))
    spring_kinds = {(a["data-indicator"], a["data-kind"]) for a in spring.items["highlights"]}
    # made on 2 May: what arrived since 31 December 2025 and up to that day, i.e. the March load
    assert ("werkzame_beroepsbevolking", "nieuw") in spring_kinds
    assert ("bijstand_per_10000", "herzien") not in spring_kinds  # revised in June, after that day
    assert "nieuwe cijfers voor 2023, 2024; nu 36,0 (2024), streefwaarde stijgend: behaald." in squash(
        spring.text["highlights"])


def test_afwijkingen_name_the_figures(built: Warehouse, tmp_path: Path) -> None:
    parsed, _ = report(built, tmp_path, AUTUMN)
    text = squash(parsed.text["afwijkingen"])
    ids = [a["data-indicator"] for a in parsed.items["afwijkingen"]]
    assert "Streefwaarde minimaal 7,0 niet gehaald: 6,9 (2024)" in text  # tevredenheid
    assert "De verkeerde kant op: gestegen van 7 (2022) naar 9 (2024) (lager is beter)" in text  # mkb positie
    # spanningsindicator 2024 K3: older than a quarterly rhythm allows on 31 August 2026
    assert re.search(r"Het laatste cijfer is van 2024 K3: ouder dan het ritme \(per kwartaal\)", text)
    assert "Nog geen cijfers" in text and "scholingscheques" in ids  # no delivery at all
    assert "bijstand_per_10000" not in ids  # falling, recent: no afwijking


def test_efforts_show_the_latest_status_up_to_the_reference_date(built: Warehouse, tmp_path: Path) -> None:
    autumn, _ = report(built, tmp_path, AUTUMN)
    spring, _ = report(built, tmp_path, SPRING, now=dt.datetime(2026, 5, 2))
    last_year, _ = report(built, tmp_path, YEAR_2025, now=dt.datetime(2026, 2, 1))
    year_2026, _ = report(built, tmp_path, moment("jaarverantwoording", 2026), now=dt.datetime(2027, 1, 15))
    # the status of 2026 K3 (ends 30 September) is not the status on 31 August: the autumn report has K1's
    assert [r["data-status"] for r in autumn.items["inzet-2"] if "data-status" in r] == ["vertraagd", "lopend"]
    assert "Netwerkbijeenkomsten lopend 2026 K1" in squash(autumn.text["inzet-2"])
    assert "2026 K3" not in autumn.text["inzet-2"] and "3 bijeenkomsten" in autumn.text["inzet-2"]
    assert [r["data-status"] for r in year_2026.items["inzet-2"] if "data-status" in r] == ["vertraagd", "afgerond"]
    assert "Netwerkbijeenkomsten afgerond 2026 K3" in squash(year_2026.text["inzet-2"])
    assert "7 bijeenkomsten" in year_2026.text["inzet-2"]
    assert [r["data-status"] for r in spring.items["inzet-2"] if "data-status" in r] == ["vertraagd", "lopend"]
    assert "2026 K1" in spring.text["inzet-2"] and "LLO-aanpak" in spring.text["inzet-3"]
    assert [r["data-status"] for r in last_year.items["inzet-2"] if "data-status" in r] == ["vertraagd"]
    assert "LLO-aanpak" not in last_year.text["inzet-3"] and "geen stand" in last_year.text["inzet-3"]


def test_contributions_within_the_window_and_as_text(built: Warehouse, tmp_path: Path) -> None:
    autumn, page = report(built, tmp_path, AUTUMN)
    spring, _ = report(built, tmp_path, SPRING, now=dt.datetime(2026, 5, 2))
    last_year, _ = report(built, tmp_path, YEAR_2025, now=dt.datetime(2026, 2, 1))
    assert SCRIPT_TITLE in autumn.text["rijker-3"] and SCRIPT_BODY in autumn.text["rijker-3"]
    assert "Proefvaart" in autumn.text["rijker-5"]  # 31 August: the reference date is in the window
    assert "Bijeenkomst maart" not in autumn.text["rijker-2"] and "Bijeenkomst maart" in spring.text["rijker-2"]
    assert "Interview 2025" in last_year.text["rijker-3"] and "Interview 2025" not in spring.text["rijker-3"]
    assert autumn.tags.count("script") == 1 and "img" not in autumn.tags  # the page's own script only
    assert "<script>document" not in page


def test_cli_writes_the_autumn_report(built: Warehouse, warehouse_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    built.dispose()  # DuckDB: one writer at a time
    monkeypatch.setenv("EA_WAREHOUSE_URL", warehouse_url)
    assert main(["report", "--moment", "najaarsrapportage", "--year", "2026", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Najaarsrapportage 2026 (01-05-2026 t/m 31-08-2026):")
    html = next((tmp_path / "r").rglob("*.html"))
    assert html.name in ("kernindicatoren.html", "kernindicatoren-najaarsrapportage-2026.html")
    page = html.read_text(encoding="utf-8")
    assert 'data-moment="najaarsrapportage"' in page and "Resultaten van onze inzet" in page
    with pytest.raises(SystemExit):
        main(["report", "--moment", "zomerrapportage"])

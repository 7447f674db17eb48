"""The report as of a date (ea_pipelines/report/vintage.py), from real marts on DuckDB and PostgreSQL: the figures
known then, periods that start by the moment's reference date, efforts of the moment's own window, and the same
report when it is regenerated later."""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import random
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ea_pipelines.cli import main
from ea_pipelines.report.build import write_report
from ea_pipelines.report.content import read_content
from ea_pipelines.report.formatting import fmt_date, fmt_long_date, fmt_value, period_bounds
from ea_pipelines.report.moment_content import read_efforts
from ea_pipelines.report.moments import MOMENTS, moment
from ea_pipelines.report.vintage import VINTAGE_SQL, params
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.report.test_moment_report import MODELS, programme
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, T0, deliver, load, obs

T1 = dt.datetime(2026, 6, 10, 2, 0)  # the second load, which revises one figure
BEFORE, AFTER = T1.date() - dt.timedelta(days=1), T1.date()
AUTUMN, SPRING, YEAR_2025 = (moment("najaarsrapportage", 2026), moment("voorjaarsrapportage", 2026),
                             moment("jaarverantwoording", 2025))
#: a figure for a period that starts in 2026 (population 2026), known from the first load
FIRST = [*BASE, obs("03759ned", "M000352", "GM0141", "2026JJ00", 61_000)]
REVISED = ("90210_3", "GM0141", "2024JJ00")  # bijstand 2024: 300 (voorlopig) becomes 312 (definitief)


def first_load(wh: Warehouse) -> None:
    load(wh, FIRST)
    deliver(wh)
    programme(wh)
    with wh.engine.begin() as conn:  # the programme's files arrived with the first load
        conn.execute(sa.text("UPDATE meta.delivery_log SET received_at = :t WHERE load_id IN ('P1', 'Q1')"),
                     {"t": T0})
    build_all(wh, MODELS)  # everything first seen at T0 (1 March 2026)


def second_load(wh: Warehouse) -> None:
    """The same observations again on 10 June, with one revised."""
    again = [dict(o, load_id="L2") for o in FIRST]
    for o in again:
        if (o["measure_code"], o["region_code"], o["period_code"]) == REVISED:
            o.update(value=312, period_status="definitief")
    load(wh, again, "L2")
    with wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta.load_log SET started_at = :t, finished_at = :t WHERE load_id = 'L2'"),
                     {"t": T1})
    build_all(wh, MODELS)


@pytest.fixture
def two_loads(wh: Warehouse) -> Warehouse:
    first_load(wh)
    second_load(wh)
    return wh


def html(wh: Warehouse, tmp_path: Path, m, as_of: dt.date | None, now: dt.datetime) -> str:  # noqa: ANN001
    files = write_report(wh.engine, tmp_path / f"{now:%H%M%S%f}", now=now, moment=m, as_of=as_of)
    return files.html.read_text(encoding="utf-8")


def without_generation_time(page: str, now: dt.datetime) -> str:
    """The page with the generation date (title and meta line) blanked: the one thing allowed to differ."""
    stamp = fmt_date(now)
    assert page.count(stamp) >= 2, "the generation date is in the title and the meta line"
    page = page.replace(f"– {stamp}</title>", "– GEN</title>").replace(f"rapportage van {stamp}", "rapportage van GEN")
    return page


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, re.S)


def test_as_of_before_and_after_a_revision_differ_exactly_in_that_figure(two_loads: Warehouse,
                                                                         tmp_path: Path) -> None:
    with two_loads.engine.connect() as conn:
        revision = conn.execute(sa.text(
            "SELECT r.indicator_code, r.old_value, r.new_value, r.old_status, r.new_status, i.unit, i.name "
            "FROM marts.indicator_revision r JOIN marts.dim_indicator i ON i.code = r.indicator_code "
            "WHERE r.region_code = 'GM0141'")).mappings().all()
    assert len(revision) == 1, revision  # one figure of the programme's municipality was revised
    r = revision[0]
    old, new = fmt_value(r["old_value"], r["unit"]), fmt_value(r["new_value"], r["unit"])
    now = dt.datetime(2026, 11, 27, 3, 0)
    before = without_generation_time(html(two_loads, tmp_path, AUTUMN, BEFORE, now), now)
    after = without_generation_time(html(two_loads, tmp_path, AUTUMN, AFTER, now), now)
    # the charts: only the revised indicator's chart changed
    changed_charts = [a for a, b in zip(svgs(before), svgs(after), strict=True) if a != b]
    assert len(changed_charts) == 1 and f"Grafiek: {r['name']}" in changed_charts[0]
    lines = [re.sub(r"<svg.*?</svg>", "SVG", p, flags=re.S).splitlines() for p in (before, after)]
    diff = [d for d in difflib.ndiff(*lines) if d[:1] in "+-"]
    removed = [d[2:].strip() for d in diff if d[0] == "-"]
    added = [d[2:].strip() for d in diff if d[0] == "+"]
    # the as-of line, then the figure (value, status, date) and its revision notes
    assert [x for x in removed if "as-of" in x] == [f'<p class="as-of" id="as-of" data-as-of="{BEFORE}">'
                                                    f'Deze rapportage toont de cijfers zoals bekend op '
                                                    f'{fmt_date(BEFORE)}, over perioden die uiterlijk op '
                                                    f'{fmt_date(AUTUMN.end)} beginnen.</p>']
    assert len([x for x in added if "as-of" in x]) == 1
    figure_old = (old, r["old_status"], fmt_date(T0))
    figure_new = (new, r["new_status"], fmt_date(T1), "herzien")  # (lower case)
    # the highlights list replaces the sentence that there was nothing new
    nothing_new = f"<p class=\"nodata\">Sinds {fmt_long_date(AUTUMN.previous_reference)} zijn er geen nieuwe of " \
                  "herziene cijfers.</p>"
    removed = [x for x in removed if x != nothing_new]
    added = [x for x in added if x not in ('<ul class="highlights">', "</ul>")]
    assert len(diff) - len(removed) - len(added) == 3  # those three lines, nothing else around the figure
    assert removed and all("as-of" in x or any(t in x.lower() for t in figure_old) for x in removed), removed
    assert added and all("as-of" in x or any(t in x.lower() for t in figure_new) for x in added), added
    assert any(old in x for x in removed) and any(new in x for x in added)
    note = f"van {old} ({r['old_status']}) naar {new} ({r['new_status']})"
    assert not any(note in x for x in removed) and sum(note in x for x in added) >= 2  # the note and the highlight
    # the revision came after the voorjaarsrapportage, which showed the old value: the highlight says so
    assert any(f", na de {SPRING.title.lower()}: {note}" in x for x in added), added


def test_a_report_regenerated_later_is_the_same_report(wh: Warehouse, tmp_path: Path) -> None:
    first_load(wh)
    then = dt.datetime(2026, 5, 2, 9, 0)
    early = without_generation_time(html(wh, tmp_path, SPRING, BEFORE, then), then)
    second_load(wh)  # a revision and a fresh fetch of every figure after that date
    later = dt.datetime(2026, 11, 27, 3, 0)
    late = without_generation_time(html(wh, tmp_path, SPRING, BEFORE, later), later)
    assert early == late
    # the control: as known today the report differs (the revision is in it)
    assert without_generation_time(html(wh, tmp_path, SPRING, AFTER, later), later) != late


@pytest.mark.parametrize("as_of", [BEFORE, AFTER, None])
def test_jaarverantwoording_2025_shows_no_period_of_2026(two_loads: Warehouse, tmp_path: Path,
                                                        as_of: dt.date | None) -> None:
    content = read_content(two_loads.engine, dt.datetime(2026, 11, 27, 3, 0), YEAR_2025, as_of)
    starts = pd.concat([s.series["start_date"] for s in content.sections if not s.series.empty])
    assert len(starts) and starts.max() < pd.Timestamp("2026-01-01")
    assert all(not (s.latest_period or "").startswith("2026") for s in content.sections)
    page = html(two_loads, tmp_path, YEAR_2025, as_of, dt.datetime(2026, 11, 27, 3, 0))
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", page, flags=re.S))
    assert not re.findall(r"(?<![-\d])2026(?![-\d])", text)  # dates (dd-mm-2026) aside, no 2026 anywhere
    # the control: the najaarsrapportage 2026 of the same warehouse does show the population of 2026
    autumn = read_content(two_loads.engine, dt.datetime(2026, 11, 27, 3, 0), AUTUMN, as_of)
    assert any(s.latest_period == "2026" for s in autumn.sections)


def test_vintage_counts_the_facts_known_then(two_loads: Warehouse) -> None:
    with two_loads.engine.connect() as conn:
        facts = conn.execute(sa.text("SELECT count(*) FROM marts.fact_indicator_value f JOIN marts.dim_period p "
                                     "ON p.code = f.period_code WHERE p.start_date < DATE '2026-01-01'")).scalar()
        everything = conn.execute(sa.text("SELECT count(*) FROM marts.fact_indicator_value")).scalar()
    now = dt.datetime(2026, 11, 27, 3, 0)
    assert read_content(two_loads.engine, now, YEAR_2025, AFTER).vintage_rows == facts < everything
    assert read_content(two_loads.engine, now, AUTUMN, None).vintage_rows == everything
    assert read_content(two_loads.engine, now, AUTUMN, T0.date() - dt.timedelta(days=1)).vintage_rows == 0


def test_efforts_are_of_the_moments_own_window() -> None:
    """Every moment of three years against efforts reported for every month, quarter and year around them."""
    codes = [f"{y}JJ00" for y in (2024, 2025, 2026)] + [f"{y}KW{q:02d}" for y in (2024, 2025, 2026)
                                                         for q in range(1, 5)] + \
            [f"{y}MM{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    frame = pd.DataFrame([{"strategic_goal_nr": 1, "effort": f"inzet {code}", "status": "lopend", "period_code": code,
                           "explanation": None, "result_count": None, "result_unit": None, "source_file": "i.csv",
                           "received_at": None} for code in codes])
    for kind, year in itertools.product(MOMENTS, (2024, 2025, 2026)):
        m = moment(kind, year)
        shown = {e.effort.removeprefix("inzet ") for e in read_efforts(frame, m).get(1, [])}
        for code in codes:
            start, end = period_bounds(code)
            own_year = code == f"{m.year}JJ00"
            assert (code in shown) == (end <= m.end or own_year), (m.title, code)
            assert code not in shown or start <= m.end
    spring = {e.effort for e in read_efforts(frame, SPRING)[1]}
    assert "inzet 2026KW01" in spring and "inzet 2026MM04" in spring and "inzet 2026KW02" not in spring


def test_cli_as_of(two_loads: Warehouse, warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture) -> None:
    two_loads.dispose()  # DuckDB: one writer at a time
    monkeypatch.setenv("EA_WAREHOUSE_URL", warehouse_url)
    for day in (BEFORE, AFTER):
        out = tmp_path / str(day)
        assert main(["report", "--moment", "najaarsrapportage", "--year", "2026", "--as-of", day.isoformat(),
                     "--out", str(out)]) == 0
        page = next(out.rglob("*.html")).read_text(encoding="utf-8")
        assert f'data-as-of="{day}"' in page
        assert ("52,0 (GM0141, 2024, definitief)" in page) == (day == AFTER)
    capsys.readouterr()
    assert main(["report", "--moment", "najaarsrapportage", "--as-of", "2999-01-01"]) == 2
    assert "as-of date 2999-01-01 is in the future" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--as-of", "1 maart"])


@pytest.mark.parametrize("seed", [1, 2])
def test_the_vintage_is_the_last_build_before_the_date(wh: Warehouse, seed: int) -> None:
    """Generated histories: four loads a month apart, each revising some figures (some back to an earlier value,
    status changes included) and publishing figures the earlier loads lacked. As of any day, the vintage is
    exactly the fact table as it was built after the last load up to that day."""
    rng = random.Random(seed)
    deliver(wh)
    later = {i: rng.randrange(4) for i in range(len(FIRST))}  # the load that first publishes observation i
    values = [dict(o) for o in FIRST]
    built: list[tuple[dt.datetime, pd.DataFrame]] = []
    for k in range(4):
        when = T0 + dt.timedelta(days=30 * k)
        for i, o in enumerate(values):
            if rng.random() < 0.7:  # revised, sometimes back to an earlier value
                o.update(value=FIRST[i]["value"] * rng.choice([0.8, 0.9, 1.0, 1.1]),
                         period_status=rng.choice(["voorlopig", "definitief"]))
        lid = f"L{k + 1}"
        load(wh, [dict(o, load_id=lid) for i, o in enumerate(values) if later[i] <= k], lid)
        with wh.engine.begin() as conn:
            conn.execute(sa.text("UPDATE meta.load_log SET started_at = :t, finished_at = :t WHERE load_id = :l"),
                         {"t": when, "l": lid})
        build_all(wh, MODELS)
        with wh.engine.connect() as conn:
            built.append((when, facts(conn, "SELECT * FROM marts.fact_indicator_value", {})))
    with wh.engine.connect() as conn:  # the history has revisions to find, some figures revised twice
        revised = pd.read_sql_query(sa.text("SELECT * FROM marts.indicator_revision"), conn).groupby(KEY).size()
    assert len(revised) and revised.max() >= 2
    for when, expected in built:
        for day in (when.date(), when.date() + dt.timedelta(days=29)):
            with wh.engine.connect() as conn:
                got = facts(conn, VINTAGE_SQL, params(day, dt.date(2099, 12, 31)))
            pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    with wh.engine.connect() as conn:
        assert facts(conn, VINTAGE_SQL, params(T0.date() - dt.timedelta(days=1), dt.date(2099, 12, 31))).empty


KEY = ["indicator_code", "region_code", "period_code"]


def facts(conn: sa.Connection, sql: str, bound: dict) -> pd.DataFrame:
    frame = pd.read_sql_query(sa.text(sql), conn, params=bound)
    return frame[[*KEY, "value", "status", "provenance"]].sort_values(KEY).reset_index(drop=True)

"""Figure statuses through the marts, on DuckDB and PostgreSQL: onbekend is kept (never made definitief), a ratio
and a computed group take the weakest status of their parts, and a status change alone is a revision."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from ea_pipelines.cbs.status import STATUSES, weakest
from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import load, obs

MODELS = load_project(DEFAULT_SQL_DIR)
#: every (numerator, denominator) pair of statuses, one period each (and None: a row with no status at all)
PAIRS = list(itertools.product((*STATUSES, None), repeat=2))
PERIODS = [f"{2000 + i}JJ00" for i in range(len(PAIRS))]


def with_status(o: dict, status: str | None) -> dict:
    """An observation with the figure's status as the load derives it (period_status: CBS's, here null)."""
    return {**o, "period_status": None, "status": status}


def observations() -> list[dict]:
    rows = []
    for (num, den), period in zip(PAIRS, PERIODS, strict=True):
        rows.append(with_status(obs("70072ned", "90210_3", "GM0141", period, 300), num))
        rows.append(with_status(obs("03759ned", "M000352", "GM0141", period, 60_000), den))
    return rows


def facts(wh: Warehouse, indicator: str) -> dict[str, str]:
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT period_code, status FROM marts.fact_indicator_value "
                                    "WHERE indicator_code = :i AND region_code = 'GM0141'"), {"i": indicator})
        return dict(rows.tuples().all())


def test_a_ratio_takes_the_weakest_status_and_unknown_stays_unknown(wh: Warehouse) -> None:
    load(wh, observations())
    results = build_all(wh, MODELS)
    assert all(t.passed for tests in results.values() for t in tests)
    ratio, population = facts(wh, "bijstand_per_10000"), facts(wh, "bevolking")
    for (num, den), period in zip(PAIRS, PERIODS, strict=True):
        assert population[period] == (den or "onbekend")
        assert ratio[period] == weakest(num or "onbekend", den or "onbekend"), (num, den)
    assert "definitief" not in {ratio[p] for (n, d), p in zip(PAIRS, PERIODS, strict=True) if None in (n, d)}


def test_a_group_computed_from_members_takes_their_weakest_status(wh: Warehouse) -> None:
    with wh.engine.connect() as conn:
        members = [r[0] for r in conn.execute(sa.text(
            "SELECT region_code FROM staging.seed_programme_region WHERE role IN ('municipality', 'peer')"))]
    rows = []
    for i, st in enumerate(STATUSES):  # one member of that status, the others definitief; one period each
        period = f"{2010 + i}JJ00"
        for k, m in enumerate(members):
            status = st if k == 1 else "definitief"
            rows.append(with_status(obs("70072ned", "M000200_2", m, period, 100 + k), status))
            rows.append(with_status(obs("03759ned", "M000352", m, period, 10_000 + k), "definitief"))
    load(wh, rows)
    build_all(wh, MODELS)
    with wh.engine.connect() as conn:
        got = dict(conn.execute(sa.text(
            "SELECT period_code, status FROM marts.fact_indicator_value "
            "WHERE indicator_code = 'vestigingen_per_1000' AND region_code = 'CR12'")).tuples().all())
    assert got == {f"{2010 + i}JJ00": st for i, st in enumerate(STATUSES)}


def test_a_status_change_alone_is_a_revision(wh: Warehouse) -> None:
    first = [with_status(obs("70072ned", "90210_3", "GM0141", "2024JJ00", 300), "onbekend"),
             with_status(obs("03759ned", "M000352", "GM0141", "2024JJ00", 60_000), "definitief")]
    load(wh, first)
    build_all(wh, MODELS)
    load(wh, [{**first[0], "status": "nader voorlopig", "load_id": "L2"}, first[1]], "L2")
    build_all(wh, MODELS)
    with wh.engine.connect() as conn:
        rev = conn.execute(sa.text("SELECT indicator_code, old_value, new_value, old_status, new_status "
                                   "FROM marts.indicator_revision ORDER BY indicator_code")).all()
    assert [tuple(r) for r in rev] == [("bijstand_per_10000", 50.0, 50.0, "onbekend", "nader voorlopig")]

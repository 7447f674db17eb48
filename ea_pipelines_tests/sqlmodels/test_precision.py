"""The marts store values at the precision of their source, on DuckDB and PostgreSQL: CBS ``Decimals``, a
delivery column's declared decimals, ratios at the documented precision; never binary float noise."""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.precision import RATIO_DECIMALS, UNKNOWN_DECIMALS, rounded_sql
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load, obs

MODELS = load_project(DEFAULT_SQL_DIR)
#: (table, measure, CBS Decimals) of the measures in BASE; 85969NED's measures declare none (unknown: 6)
DECLARED = [("03759ned", "M000352", 0), ("70072ned", "90210_3", 0), ("70072ned", "M000200_2", 0),
            ("70072ned", "M000308_3", 1)]


def exact(value: float, decimals: int) -> float:
    """What the value is at ``decimals``, rounded half away from zero in decimal arithmetic."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def noisy(value: float, rng: random.Random) -> float:
    """The value with binary noise far below its last decimal, as arithmetic leaves it (0.1 + 0.2)."""
    return value * (1 + rng.choice([-1, 1]) * rng.uniform(1e-15, 1e-11))


def declare(wh: Warehouse, rows: list[tuple[str, str, int]]) -> None:
    with wh.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM staging.cbs_measure"))
        bulk_insert(conn, "staging.cbs_measure", pd.DataFrame(
            [{"table_id": t, "measure_code": m, "title": m, "unit": "aantal", "decimals": d, "load_id": "L1"}
             for t, m, d in rows]))


def value_columns(conn: sa.Connection) -> list[tuple[str, str]]:
    """Every floating-point column of every mart (found, not listed): where float noise could show."""
    found = []
    for table in sa.inspect(conn).get_table_names(schema="marts"):
        for col in sa.inspect(conn).get_columns(table, schema="marts"):
            if isinstance(col["type"], sa.Float | sa.Numeric) and not table.endswith("__previous"):
                found.append((table, col["name"]))
    return found


def noisy_rows(conn: sa.Connection, table: str, column: str) -> int:
    """Rows whose value differs from itself rounded to 6 decimals (the issue's done-when query)."""
    rounded = (f"round({column}, 6)" if conn.dialect.name == "duckdb"
               else f"round(cast({column} as numeric), 6)")  # PostgreSQL has no round(double, int)
    return conn.execute(sa.text(f"SELECT count(*) FROM marts.{table} WHERE {column} <> {rounded}")).scalar()


@pytest.mark.parametrize("seed", [1, 2])
def test_marts_hold_values_at_their_source_precision(wh: Warehouse, seed: int) -> None:
    rng = random.Random(seed)
    observed = [dict(o, value=noisy(o["value"], rng)) for o in BASE]
    observed.append(obs("70072ned", "M000308_3", "GM0141", "2023JJ00", noisy(37.6, rng)))
    load(wh, observed)
    declare(wh, DECLARED)
    deliver(wh)
    with wh.engine.begin() as conn:  # a delivered decimal with noise (as a spreadsheet formula leaves it)
        conn.execute(sa.text("UPDATE staging.uwv_spanningsindicator SET indicator_value = :v"),
                     {"v": noisy(1.35, rng)})
    results = build_all(wh, MODELS)
    assert {m: [t.name for t in r if not t.passed] for m, r in results.items() if any(not t.passed for t in r)} == {}
    with wh.engine.connect() as conn:
        columns = value_columns(conn)
        assert ("fact_indicator_value", "value") in columns and ("kernindicatoren", "change") in columns
        assert {f"{t}.{c}": noisy_rows(conn, t, c) for t, c in columns} == {f"{t}.{c}": 0 for t, c in columns}
        facts = {(r.indicator_code, r.region_code, r.period_code): r for r in conn.execute(sa.text(
            "SELECT indicator_code, region_code, period_code, value, decimals FROM marts.fact_indicator_value"))}
        kern = {r.indicator_code: r for r in conn.execute(sa.text("SELECT * FROM marts.kernindicatoren"))}
    # each value as its source gives it, with its precision
    by_measure = {(t, m): d for t, m, d in DECLARED}
    inputs = {(o["table_id"], o["measure_code"], o["region_code"], o["period_code"]): o["value"] for o in observed}
    banen = facts[("banen", "GM0141", "2024JJ00")]
    assert (banen.value, banen.decimals) == (exact(inputs[("70072ned", "M000308_3", "GM0141", "2024JJ00")],
                                                   by_measure[("70072ned", "M000308_3")]), 1)
    werkzaam = facts[("werkzame_beroepsbevolking", "GM0141", "2024JJ00")]  # 85969NED declares no Decimals
    assert (werkzaam.value, werkzaam.decimals) == (exact(inputs[("85969NED", "WerkzameBeroepsbevolking_2",
                                                                 "GM0141", "2024JJ00")], UNKNOWN_DECIMALS),
                                                   UNKNOWN_DECIMALS)
    participation = facts[("netto_arbeidsparticipatie", "GM0141", "2024JJ00")]
    numerator = exact(inputs[("85969NED", "WerkzameBeroepsbevolking_2", "GM0141", "2024JJ00")], UNKNOWN_DECIMALS)
    denominator = exact(inputs[("85969NED", "BeroepsEnNietBeroepsbevolking_1", "GM0141", "2024JJ00")],
                        UNKNOWN_DECIMALS)
    assert participation.decimals == RATIO_DECIMALS
    assert participation.value == exact(numerator / denominator * 100, RATIO_DECIMALS) == 66.667
    spanning = facts[("spanningsindicator", "CR12", "2024KW03")]
    assert (spanning.value, spanning.decimals) == (1.35, 2)  # deliveries.yaml: decimals 2
    # a difference of two rounded values is itself rounded: 38.2 - 37.6 is 0.6, not 0.6000000000000014
    assert kern["mkb_ranking_positie"].change == -4
    assert (kern["tevredenheid_dienstverlening"].latest_value, kern["tevredenheid_dienstverlening"].change) == (
        6.9, exact(6.9 - 7.1, 1))


def floor_rounded(value: float, decimals: int) -> float:
    """The rounded tag's arithmetic in Python: IEEE operations, identical on every engine."""
    scale = 10.0 ** decimals
    return math.copysign(math.floor(abs(value) * scale + 0.5) / scale, value) if value else 0.0


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, 6])
def test_rounding_is_half_away_from_zero_and_the_same_on_both_engines(warehouse: Warehouse, decimals: int) -> None:
    """The rounded tag on a corpus of values (random, negative, float-noise cases, exact binary halves): the same
    IEEE result on DuckDB and PostgreSQL (whose round() differ: PostgreSQL takes halves to even)."""
    rng = random.Random(decimals)
    step = 10.0 ** -decimals
    values = [rng.uniform(-1e5, 1e5) for _ in range(200)] + [rng.uniform(-2, 2) for _ in range(200)]
    halves = [(k + 0.5) * 2.0 ** -3 for k in range(-16, 16)] if decimals >= 2 else [k + 0.5 for k in range(-8, 8)]
    values += halves + [0.1 + 0.2, 38.2 - 37.6, 446.2661816625655, -0.6000000000000005, 0.0]
    frame = pd.DataFrame({"i": range(len(values)), "v": values})
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE staging.precision_probe (i BIGINT, v FLOAT8)"))
        bulk_insert(conn, "staging.precision_probe", frame)
        got = dict(conn.execute(sa.text(
            f"SELECT i, {rounded_sql('v', str(decimals))} FROM staging.precision_probe")).all())
    for i, v in enumerate(values):
        assert got[i] == floor_rounded(v, decimals), (v, got[i])
        assert abs(got[i] - v) <= step / 2 * (1 + 1e-9) and got[i] == round(got[i], decimals), (v, got[i])
        exact_half = Decimal(v) * Decimal(10) ** decimals % 1 in (Decimal("0.5"), Decimal("-0.5"))
        if exact_half:  # a true half goes away from zero (PostgreSQL's round(double) would go to even)
            assert abs(got[i]) > abs(v), (v, got[i])


def test_a_build_before_the_precision_rule_leaves_no_spurious_revisions(wh: Warehouse) -> None:
    """The first build after the upgrade: the previous build's values carry float noise (as before the rule),
    the new ones are rounded; the same figures are no revision, a changed figure still is."""
    load(wh, BASE)
    deliver(wh)
    build_all(wh, MODELS)
    with wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE marts.fact_indicator_value SET value = value * (1 + 4.4e-16)"))  # ulps
        noisy = conn.execute(sa.text("SELECT count(*) FROM marts.fact_indicator_value")).scalar()
        conn.execute(sa.text("UPDATE staging.uwv_spanningsindicator SET indicator_value = 1.4"))  # a real change
    assert noisy > 10
    results = build_all(wh, MODELS)
    assert all(t.passed for r in results.values() for t in r)
    with wh.engine.connect() as conn:
        revised = conn.execute(sa.text("SELECT indicator_code, old_value, new_value FROM marts.indicator_revision")
                               ).all()
    assert [(r.indicator_code, r.new_value) for r in revised] == [("spanningsindicator", 1.4)]
    assert abs(revised[0].old_value - 1.35) < 1e-9

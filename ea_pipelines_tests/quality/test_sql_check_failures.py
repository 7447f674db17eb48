"""The failure paths of the CBS checks in SQL (the path of tables above EA_GX_MAX_ROWS), on DuckDB and PostgreSQL.

Each case writes a small, hand-made 03759ned table (a table WITH a region dimension) into
``staging.cbs_observation`` inside a transaction, breaks one thing, and runs the gate with ``gx_max_rows=0`` there,
as the publish does before it commits. Exactly the named check must fail, with the failure line written here by
hand; the transaction is rolled back. The end-to-end cases at the bottom break the table on the fake CBS server
and load it, so the block and the rollback are seen too.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.quality.sql_checks import chunk_schema_problems
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.warehouse.db import Warehouse

TODAY = dt.date(2026, 11, 30)
#: population of Almelo and Nederland, as in the real 03759ned capture (1 January, and the year's average)
BASE = [("M000352", "GM0141", "2023JJ00", 73_949.0), ("M000365", "GM0141", "2023JJ00", 74_133.0),
        ("M000352", "GM0141", "2024JJ00", 74_317.0), ("M000365", "GM0141", "2024JJ00", 74_546.5),
        ("M000352", "NL01", "2023JJ00", 17_811_291.0), ("M000365", "NL01", "2023JJ00", 17_877_116.5),
        ("M000352", "NL01", "2024JJ00", 17_942_942.0), ("M000365", "NL01", "2024JJ00", 17_993_484.5)]


@dataclass(frozen=True)
class Case:
    name: str
    check: str
    failure: str  # the failure line, exactly
    rows: list[tuple] = field(default_factory=lambda: list(BASE))
    expected_rows: int | None = None  # None: the rows written (CBS announced what came)
    previous_rows: int | None = None
    schema: pa.Schema | None = None  # a streamed chunk's schema, None: the right one


CASES = [
    Case("null period", "not_null", "period_code is null in 1 rows",
         [*BASE, ("M000352", "GM0141", None, 73_000.0)]),
    Case("null region in a table with regions", "not_null", "region_code is null in 1 rows",
         [*BASE, ("M000352", None, "2024JJ00", 74_317.0)]),
    Case("malformed period", "periods_valid", "malformed period codes ['2024XX00']",
         [*BASE, ("M000352", "GM0141", "2024XX00", 74_317.0)]),
    Case("period in the future", "periods_valid", "periods in the future ['2027JJ00']",
         [*BASE, ("M000352", "GM0141", "2027JJ00", 75_000.0)]),
    Case("fewer rows than announced", "complete", "8 rows, CBS announced 9", expected_rows=9),
    Case("more rows than announced", "complete", "8 rows, CBS announced 7", expected_rows=7),
    Case("a measure without rows", "measures_present", "measures without rows: ['M000365']",
         [r for r in BASE if r[0] == "M000352"]),
    # 11 before: at least ceil(11 * 0.8) = 9 rows expected, 8 came
    Case("shrunk by more than 20 %", "row_count_plausible", "8 rows, expected at least 9", previous_rows=11),
    Case("value streamed as text", "schema", "column value has type string, expected float64",
         schema=pa.schema([("table_id", pa.string()), ("measure_code", pa.string()), ("region_code", pa.string()),
                           ("period_code", pa.string()), ("other_dimensions", pa.string()),
                           ("value", pa.string())])),
    Case("a column missing from the stream", "schema", "column period_code missing",
         schema=pa.schema([("table_id", pa.string()), ("measure_code", pa.string()), ("region_code", pa.string()),
                           ("other_dimensions", pa.string()), ("value", pa.float64())])),
]


@pytest.fixture
def sql_gate(tmp_path: Path) -> QualityGate:
    return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=tmp_path / "docs",
                       today=TODAY, gx_max_rows=0)


def write(conn: sa.Connection, rows: list[tuple]) -> None:
    conn.execute(sa.text(
        "INSERT INTO staging.cbs_observation (table_id, measure_code, region_code, period_code, other_dimensions, "
        "value, value_attribute, period_status, load_id) VALUES ('03759ned', :m, :r, :p, "
        "'{\"BurgerlijkeStaat\": \"T001019\", \"Geslacht\": \"T001038\", \"Leeftijd\": \"10000\"}', :v, 'None', "
        "'definitief', 'test')"), [{"m": m, "r": r, "p": p, "v": v} for m, r, p, v in rows])


def outcomes(warehouse: Warehouse, gate: QualityGate, catalogue: CbsCatalogue, case: Case) -> dict[str, object]:
    spec = catalogue.table("bevolking")
    schema = case.schema if case.schema is not None else pa.schema(
        [(c, pa.string()) for c in ("table_id", "measure_code", "region_code", "period_code", "other_dimensions")]
        + [("value", pa.float64())])
    with warehouse.engine.connect() as conn, conn.begin() as tx:
        write(conn, case.rows)
        result = gate.check_cbs_table(conn, spec, None, previous_rows=case.previous_rows,
                                      expected_rows=len(case.rows) if case.expected_rows is None
                                      else case.expected_rows, schema_problems=chunk_schema_problems(schema))
        tx.rollback()
    return {o.check: o for o in result}


def test_the_hand_made_table_passes_every_check(warehouse: Warehouse, sql_gate: QualityGate,
                                                catalogue: CbsCatalogue) -> None:
    """The control: the base table fails nothing, so each case below fails only by its own defect."""
    result = outcomes(warehouse, sql_gate, catalogue, Case("clean", "", "", previous_rows=10))
    assert {name for name, o in result.items() if not o.passed} == set()
    assert result["row_count_plausible"].evaluated == 1  # 10 before, at least 8 expected: 8 came


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_defect_fails_exactly_its_check(warehouse: Warehouse, sql_gate: QualityGate, catalogue: CbsCatalogue,
                                          case: Case) -> None:
    result = outcomes(warehouse, sql_gate, catalogue, case)
    assert {name for name, o in result.items() if not o.passed} == {case.check}
    failed = result[case.check]
    assert failed.failures == [case.failure]
    assert failed.severity == "ERROR" and failed.blocking
    with warehouse.engine.connect() as conn:  # rolled back: nothing of the case is left
        assert conn.execute(sa.text("SELECT count(*) FROM staging.cbs_observation")).scalar() == 0


def _edit(table: FakeTable, keep, modified: str) -> FakeTable:
    """``table`` with only the rows ``keep`` accepts, as a new edition (CBS Modified changes)."""
    rows = [r for r in copy.deepcopy(table.rows) if keep(r)]
    props = json.loads(table.raw["Properties"])
    props["Modified"] = modified
    return dataclasses.replace(table, rows=rows, raw={**table.raw, "Properties": json.dumps(props).encode()})


@pytest.mark.parametrize("check,keep,failure", [
    # every M000365 row gone: half the table, so the drop fails row_count_plausible as well
    ("measures_present", lambda r: r["Measure"] != "M000365", "measures without rows: ['M000365']"),
    # 13,568 before, so at least ceil(13,568 * 0.8) = 10,855 expected; only 2023-2026 of 2019-2026 come
    ("row_count_plausible", lambda r: r["Perioden"] >= "2023JJ00", None),
], ids=["measures_present", "row_count_plausible"])
def test_a_broken_edition_is_blocked_in_sql_and_the_previous_load_stays(
        warehouse: Warehouse, cbs_server: FakeCbsServer, live_source: CbsSource, catalogue: CbsCatalogue,
        sql_gate: QualityGate, check: str, keep, failure: str | None) -> None:
    spec = catalogue.table("bevolking")
    good = load_cbs_table(spec, live_source, warehouse, batch_id="b1", gate=sql_gate)
    assert good.status == "published" and good.rows == 13_568
    capture = cbs_server.tables[("v4", "03759ned")]
    cbs_server.tables[("v4", "03759ned")] = _edit(capture, keep, "2026-11-20T02:00:00+01:00")
    kept = len(cbs_server.tables[("v4", "03759ned")].rows)

    bad = load_cbs_table(spec, live_source, warehouse, batch_id="b2", gate=sql_gate)

    assert bad.status == "blocked"
    assert {o.check for o in bad.checks if not o.passed} == {check, "row_count_plausible"}
    failed = next(o for o in bad.checks if o.check == check)
    if check == "row_count_plausible":
        assert kept < 10_855  # the edit really is a drop of more than 20 %
        failure = f"{kept} rows, expected at least 10855"
    assert failed.failures == [failure]
    with warehouse.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*), count(DISTINCT load_id) FROM staging.cbs_observation "
                                      "WHERE table_id = '03759ned'")).one()
        almelo = conn.execute(sa.text("SELECT value FROM staging.cbs_observation WHERE region_code = 'GM0141' "
                                      "AND period_code = '2024JJ00' AND measure_code = 'M000352'")).scalar()
    assert tuple(stored) == (13_568, 1) and almelo == 74_317


def test_a_stale_table_fails_fresh_as_a_warning(warehouse: Warehouse, sql_gate: QualityGate,
                                                catalogue: CbsCatalogue) -> None:
    """Latest period 2020 on 30 November 2026: older than 3 years (2023 at least), which warns and blocks nothing."""
    old = [(m, r, p.replace("2023", "2019").replace("2024", "2020"), v) for m, r, p, v in BASE]
    result = outcomes(warehouse, sql_gate, catalogue, Case("stale", "fresh", "", old))
    assert {name for name, o in result.items() if not o.passed} == {"fresh"}
    assert result["fresh"].failures == ["latest yearly period year 2020, expected at least 2023"]
    assert result["fresh"].severity == "WARN" and not result["fresh"].blocking

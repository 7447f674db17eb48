"""Publishing into DuckDB and PostgreSQL for real: idempotent, atomic, and killed loads change nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR
from ea_pipelines.warehouse import cbs_publish
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST, snapshot_rows


@pytest.fixture
def replay(tmp_path: Path) -> CbsSource:
    return CbsSource("replay", "http://127.0.0.1:9/x", "http://127.0.0.1:9/x", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)


def counts(wh: Warehouse) -> dict[str, int]:
    """Rows per staging table (raw keeps one set of response records per published load, by design)."""
    with wh.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("staging.cbs_observation", "staging.cbs_measure", "staging.cbs_region",
                          "staging.cbs_period")}


def population(wh: Warehouse, region: str, period: str) -> list[float]:
    with wh.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT value FROM staging.cbs_observation WHERE table_id = '03759ned' AND measure_code = 'M000352' "
            "AND region_code = :r AND period_code = :p"), {"r": region, "p": period})]


def test_publish_all_tables_then_again_adds_nothing(warehouse: Warehouse, replay: CbsSource,
                                                    catalogue: CbsCatalogue) -> None:
    for spec in catalogue.tables:
        assert load_cbs_table(spec, replay, warehouse, batch_id="b1").status == "published"
    first = counts(warehouse)
    assert first["staging.cbs_observation"] == 13_568 + snapshot_rows("70072ned") + snapshot_rows("85969NED")
    assert population(warehouse, "GM0141", "2024JJ00") == [74_317.0]
    for spec in catalogue.tables:  # same data: nothing to do
        assert load_cbs_table(spec, replay, warehouse, batch_id="b2").status == "unchanged"
    for spec in catalogue.tables:  # forced: replaced, still no duplicates
        assert load_cbs_table(spec, replay, warehouse, batch_id="b3", force=True).status == "published"
    assert counts(warehouse) == first
    with warehouse.engine.connect() as conn:
        log = conn.execute(sa.text("SELECT batch_id, status, mode, rows FROM meta.load_log "
                                   "ORDER BY started_at")).fetchall()
        loads = conn.execute(sa.text("SELECT count(DISTINCT load_id) FROM staging.cbs_observation")).scalar()
        raw_loads = conn.execute(sa.text("SELECT count(DISTINCT load_id) FROM raw.cbs_response")).scalar()
    assert [r.status for r in log] == ["published"] * 3 + ["unchanged"] * 3 + ["published"] * 3
    assert {r.mode for r in log} == {"replay"} and loads == 3
    assert raw_loads == 6  # every published load keeps its response records; unchanged loads add none


def test_a_failing_publish_leaves_the_previous_version(warehouse: Warehouse, replay: CbsSource,
                                                       catalogue: CbsCatalogue,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    spec = catalogue.table("bevolking")
    load_cbs_table(spec, replay, warehouse, batch_id="b1")
    before = counts(warehouse)
    real_insert = cbs_publish.bulk_insert

    def failing_insert(conn, table, frame):  # fails after the observations were replaced
        if table == "staging.cbs_region":
            raise OSError("No space left on device (simulated)")
        return real_insert(conn, table, frame)

    monkeypatch.setattr(cbs_publish, "bulk_insert", failing_insert)
    with pytest.raises(OSError, match="No space left"):
        load_cbs_table(spec, replay, warehouse, batch_id="b2", force=True)
    assert counts(warehouse) == before
    assert population(warehouse, "GM0141", "2024JJ00") == [74_317.0]
    with warehouse.engine.connect() as conn:
        last = conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE batch_id = 'b2'")).one()
    assert last.status == "failed" and "No space left" in last.message


KILLED_LOAD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ea_pipelines.catalogue.cbs import load_cbs_catalogue
    from ea_pipelines.cbs.http import RetryPolicy
    from ea_pipelines.cbs.source import CbsSource
    from ea_pipelines.ingest.cbs_table import load_cbs_table
    from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_SNAPSHOT_DIR
    from ea_pipelines.warehouse import cbs_publish
    from ea_pipelines.warehouse.db import Warehouse

    url, marker = sys.argv[1], Path(sys.argv[2])
    real_insert = cbs_publish.bulk_insert
    def insert_then_hang(conn, table, frame):
        n = real_insert(conn, table, frame)
        if table == "staging.cbs_observation":  # the old rows are deleted, the new ones written
            marker.write_text("in transaction")
            time.sleep(120)
        return n
    cbs_publish.bulk_insert = insert_then_hang
    spec = load_cbs_catalogue(DEFAULT_CATALOGUE).table("bevolking")
    source = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, Path("."), RetryPolicy())
    load_cbs_table(spec, source, Warehouse(url), batch_id="killed", force=True)
""")


def test_kill_9_during_publish_leaves_the_previous_version(warehouse: Warehouse, replay: CbsSource,
                                                           catalogue: CbsCatalogue, tmp_path: Path) -> None:
    spec = catalogue.table("bevolking")
    load_cbs_table(spec, replay, warehouse, batch_id="b1")
    before = counts(warehouse)
    warehouse.dispose()  # DuckDB: the child needs the file lock
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", KILLED_LOAD, warehouse.url, str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the child load died before reaching the publish"
            assert time.monotonic() < deadline, "the child load never reached the publish"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert counts(warehouse) == before
    assert population(warehouse, "GM0141", "2024JJ00") == [74_317.0]
    with warehouse.engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM meta.load_log WHERE batch_id = 'killed'")).scalar()
    assert status == "running"  # the trace of the crash; the data never saw it
    assert load_cbs_table(spec, replay, warehouse, batch_id="rerun", force=True).status == "published"
    assert counts(warehouse) == before


def test_postgres_bulk_path_is_copy_and_duckdb_is_native(warehouse: Warehouse, replay: CbsSource,
                                                         catalogue: CbsCatalogue,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """No row-by-row inserts: the only INSERT statements are the single bulk statement per table."""
    statements: list[str] = []
    sa.event.listen(warehouse.engine, "before_cursor_execute",
                    lambda conn, cursor, stmt, *a: statements.append(stmt))
    load_cbs_table(catalogue.table("bevolking"), replay, warehouse, batch_id="b1")
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    if warehouse.dialect == "duckdb":
        # measures, regions, periods, responses: INSERT ... SELECT from a registered frame; observations are
        # appended page by page through DuckDB's relation API (Arrow in, no SQL statement per row or page)
        assert len([s for s in inserts if "SELECT" in s]) == 4
        assert not any("cbs_observation" in s for s in inserts)
        with warehouse.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM staging.cbs_observation")).scalar() == 13_568
    else:
        assert [s for s in inserts if "staging." in s or "raw." in s] == []  # COPY, not INSERT
    assert len(inserts) <= 6


#: Read by hand from the real capture (/work/shared/data/cbs_v4/03759ned/observations-page-1.json: rows Id 5263,
#: 5264, 5265, 5266, 18467, 65, 66, 633 and 70) and from the bundled synthetic 85969NED snapshot (TypedDataSet.json,
#: ID 11, whose keys CBS pads: 'GM0141    ', 'T001038 '). (measure, region, period) -> (value, value_attribute)
POPULATION = {
    ("M000352", "GM0141", "2023JJ00"): (73_949.0, "None"),
    ("M000365", "GM0141", "2023JJ00"): (74_133.0, "None"),
    ("M000352", "GM0141", "2024JJ00"): (74_317.0, "None"),
    ("M000365", "GM0141", "2024JJ00"): (74_546.5, "None"),
    ("M000352", "GM0153", "2024JJ00"): (161_738.0, "None"),
    ("M000352", "NL01", "2024JJ00"): (17_942_942.0, "None"),
    ("M000365", "NL01", "2024JJ00"): (17_993_484.5, "None"),
    ("M000352", "PV23", "2024JJ00"): (1_189_033.0, "None"),
    ("M000365", "NL01", "2026JJ00"): (None, "Impossible"),  # no average yet for the current year
}
def _labour_almelo_2024() -> dict[str, float]:
    """The SYNTHETIC 85969NED snapshot's wide row for Almelo, 2024, both sexes, read from the file itself."""
    rows = json.loads((DEFAULT_SNAPSHOT_DIR / "85969NED" / "TypedDataSet.json").read_text())["value"]
    [row] = [r for r in rows if (r["RegioS"].strip(), r["Perioden"], r["Geslacht"].strip()) ==
             ("GM0141", "2024JJ00", "T001038")]
    return {m: row[m] for m in ("BeroepsEnNietBeroepsbevolking_1", "WerkzameBeroepsbevolking_2",
                                "WerklozeBeroepsbevolking_3", "NietBeroepsbevolking_4")}


LABOUR_ALMELO_2024 = _labour_almelo_2024()


def test_published_values_are_the_sources_values(warehouse: Warehouse, replay: CbsSource,
                                                 catalogue: CbsCatalogue) -> None:
    for name in ("bevolking", "arbeidsdeelname_regionaal"):
        load_cbs_table(catalogue.table(name), replay, warehouse, batch_id="b")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT measure_code, region_code, period_code, value, value_attribute, other_dimensions, period_status "
            "FROM staging.cbs_observation WHERE table_id = '03759ned'")).fetchall()
        v3 = conn.execute(sa.text(
            "SELECT measure_code, value, value_attribute, other_dimensions, period_status FROM staging.cbs_observation "
            "WHERE table_id = '85969NED' AND region_code = 'GM0141' AND period_code = '2024JJ00'")).fetchall()
        shape = conn.execute(sa.text(
            "SELECT count(*), count(DISTINCT region_code), min(period_code), max(period_code) "
            "FROM staging.cbs_observation WHERE table_id = '03759ned'")).one()
        measures = conn.execute(sa.text("SELECT measure_code, title, unit, decimals FROM staging.cbs_measure "
                                        "WHERE table_id = '03759ned' ORDER BY 1")).fetchall()
        regions = dict(conn.execute(sa.text("SELECT region_code, name FROM staging.cbs_region WHERE table_id = "
                                            "'03759ned' AND region_code IN ('GM0141', 'GM0153', 'NL01')")).fetchall())
    by_key = {(r.measure_code, r.region_code, r.period_code): r for r in rows}
    assert {k: (by_key[k].value, by_key[k].value_attribute) for k in POPULATION} == POPULATION
    assert {(json.loads(r.other_dimensions)["Leeftijd"], r.period_status) for r in rows} == {("10000", "definitief")}
    assert json.loads(by_key[("M000352", "GM0141", "2024JJ00")].other_dimensions) == {
        "BurgerlijkeStaat": "T001019", "Geslacht": "T001038", "Leeftijd": "10000"}
    assert tuple(shape) == (13_568, 848, "2019JJ00", "2026JJ00")  # the capture: 848 regions, 2019-2026
    assert [tuple(m) for m in measures] == [("M000352", "Bevolking op 1 januari", "aantal", 0),
                                            ("M000365", "Gemiddelde bevolking", "aantal", 1)]
    assert regions == {"GM0141": "Almelo", "GM0153": "Enschede", "NL01": "Nederland"}
    # v3: one wide row becomes one row per measure, codes trimmed, no value attribute in the v3 feed
    assert {r.measure_code: r.value for r in v3} == LABOUR_ALMELO_2024
    assert {(r.value_attribute, r.other_dimensions) for r in v3} == {(None, '{"Geslacht": "T001038"}')}

"""``kill -9`` of a Swing ODS load while it fetches over HTTP, on DuckDB and PostgreSQL: the previously published
version of the variable stays intact, the killed load is never logged as published, and a rerun completes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.devtools.build_swing_snapshots import declared_periods
from ea_pipelines.devtools.fake_cbs_server import Fault
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_SWING_SNAPSHOT_DIR, Settings
from ea_pipelines.swing.source import SwingSource
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.faults.harness import load_status, published, start, wait_until

CATALOGUE = load_swing_catalogue(Settings().swing_catalogue_path)
VAR = CATALOGUE.variable("groenblauw_waardering")
PERIODS = ("2021", "2022", "2023")  # what the live fake ODS serves


def observations(wh: Warehouse) -> list[tuple]:
    with wh.engine.connect() as conn:
        return sorted(conn.execute(sa.text("SELECT region_code, period_code, value, load_id FROM "
                                           "staging.cbs_observation WHERE table_id = :t"), {"t": VAR.variable}))


def test_kill_9_during_a_swing_fetch_leaves_the_previous_version(warehouse: Warehouse, tmp_path: Path) -> None:
    replay = SwingSource.create("replay", "https://unused.invalid/jiveservices/odata", DEFAULT_SWING_SNAPSHOT_DIR,
                                tmp_path / "landing0", CATALOGUE, policy=FAST)
    first = load_cbs_table(VAR.table(), replay, warehouse, batch_id="before")
    assert first.status == "published"
    before, rows = published(warehouse), observations(warehouse)
    assert len(rows) == len(TWENTE) * len(declared_periods(VAR.period_from))  # the snapshot's years
    warehouse.dispose()  # DuckDB: the child needs the file to itself

    values = {(c, p): "6.5" for c, _ in TWENTE for p in PERIODS}
    with FakeSwingServer([FakeVariable(VAR.variable, VAR.title, values)], periods=PERIODS, page_size=10) as ods:
        ods.inject(r"/Values$", Fault("pass"), Fault("pass"), Fault("hold"))  # value page 3 (of 5) is held
        landing = tmp_path / "landing"
        child = start(tmp_path, warehouse.url, action="load", source="swing", table=VAR.name, mode="live",
                      ods_url=ods.ods_url, landing_dir=str(landing), batch_id="killed", force=True)

        def value_requests() -> int:
            return sum("/Values" in r for r in list(ods.requests))

        wait_until(lambda: value_requests() == 3, "the child to request value page 3", child.alive)
        child.kill9()
        child.wait_for_backend_to_end()

        assert published(warehouse) == before and observations(warehouse) == rows
        assert load_status(warehouse, "killed") == ["running"]  # the trace of the crash, never published
        objects = [p for p in (landing / "swing").rglob("*") if p.is_file()]
        assert objects and all(p.stem == hashlib.sha256(p.read_bytes()).hexdigest() for p in objects)
        assert not (landing / "swing" / "batches").exists()  # no manifest for a fetch that never finished

        ods.release()
        live = SwingSource.create("live", ods.ods_url, DEFAULT_SWING_SNAPSHOT_DIR, landing, CATALOGUE, policy=FAST)
        rerun = load_cbs_table(VAR.table(), live, warehouse, batch_id="rerun", force=True)
    assert rerun.status == "published"
    assert {v for _, _, v, _ in observations(warehouse)} == {6.5}
    assert {lid for *_, lid in observations(warehouse)} == {rerun.load_id}

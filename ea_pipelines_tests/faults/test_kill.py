"""``kill -9`` of a load or build at each phase, on DuckDB and PostgreSQL: the published data stays the previous
complete version, the killed load is never logged as published, and a rerun completes.

The kills are aimed, not timed: the fake CBS server holds a request open (fetch), or the child is stopped at its
first statement that writes the named table (see ``harness.Hold``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, Fault
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SNAPSHOT_DIR, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.faults.harness import (
    Hold,
    kill_when_held,
    load_status,
    population,
    published,
    start,
    wait_until,
)


@pytest.fixture
def replay(tmp_path: Path) -> CbsSource:
    return CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)


def publish_previous_version(wh: Warehouse, replay: CbsSource, catalogue: CbsCatalogue) -> dict[str, list[tuple]]:
    """The complete version a killed run must leave in place: 03759ned, published from the real capture."""
    assert load_cbs_table(catalogue.table("bevolking"), replay, wh, batch_id="before").status == "published"
    assert population(wh) == [74_317.0]
    state = published(wh)
    wh.dispose()  # DuckDB: the child needs the file to itself
    return state


def assert_previous_version_intact(wh: Warehouse, before: dict[str, list[tuple]]) -> None:
    assert published(wh) == before  # every raw, staging and marts row, load ids included
    assert population(wh) == [74_317.0]
    assert load_status(wh, "killed") == ["running"]  # the trace of the crash: never published


def assert_rerun_completes(wh: Warehouse, source: CbsSource, catalogue: CbsCatalogue,
                           before: dict[str, list[tuple]]) -> None:
    report = load_cbs_table(catalogue.table("bevolking"), source, wh, batch_id="rerun", force=True)
    assert report.status == "published"
    after = published(wh)
    assert {t: len(rows) for t, rows in after.items() if t.startswith("staging")} == \
        {t: len(rows) for t, rows in before.items() if t.startswith("staging")}
    with wh.engine.connect() as conn:
        loads = conn.execute(sa.text("SELECT DISTINCT load_id FROM staging.cbs_observation")).scalars().all()
    assert loads == [report.load_id] and population(wh) == [74_317.0]


def test_kill_9_during_the_fetch(warehouse: Warehouse, replay: CbsSource, catalogue: CbsCatalogue,
                                 cbs_server: FakeCbsServer, tmp_path: Path) -> None:
    before = publish_previous_version(warehouse, replay, catalogue)
    cbs_server.inject("/03759ned/Observations$", Fault("pass"), Fault("pass"), Fault("hold"))  # hold page 3
    landing = tmp_path / "landing"
    child = start(tmp_path, warehouse.url, action="load", table="bevolking", mode="live", v4_url=cbs_server.v4_url,
                  v3_url=cbs_server.v3_url, landing_dir=str(landing), batch_id="killed", force=True)

    def pages() -> int:
        return sum("/03759ned/Observations?" in r for r in list(cbs_server.requests))

    wait_until(lambda: pages() == 3, "the child to request observation page 3", child.alive)
    child.kill9()
    child.wait_for_backend_to_end()

    assert_previous_version_intact(warehouse, before)
    objects = [p for p in (landing / "cbs").rglob("*") if p.is_file()]
    assert objects, "the killed fetch had landed the responses before page 3"
    assert all(p.stem == hashlib.sha256(p.read_bytes()).hexdigest() for p in objects)  # no half-written file
    assert not (landing / "cbs" / "batches").exists()  # no manifest for a fetch that never finished
    live = CbsSource("live", cbs_server.v4_url, cbs_server.v3_url, DEFAULT_SNAPSHOT_DIR, landing, FAST)
    assert_rerun_completes(warehouse, live, catalogue, before)


@pytest.mark.parametrize("phase,table", [("staging publish", "staging.cbs_period"),
                                         ("raw load", "raw.cbs_response")])
def test_kill_9_during_the_publish(warehouse: Warehouse, replay: CbsSource, catalogue: CbsCatalogue,
                                   tmp_path: Path, phase: str, table: str) -> None:
    before = publish_previous_version(warehouse, replay, catalogue)
    with Hold(warehouse.url, table, tmp_path) as hold:
        child = start(tmp_path, warehouse.url, action="load", table="bevolking", batch_id="killed", force=True,
                      **hold.child_args())
        statement = hold.wait(child)
        if hold.postgres:  # the transaction had already written staging when it was killed
            assert "staging.cbs_observation" in child.tables_locked_for_writing()
        kill_when_held(hold, child)
    assert table in statement
    assert_previous_version_intact(warehouse, before)
    assert_rerun_completes(warehouse, replay, catalogue, before)


MODELS = load_project(DEFAULT_SQL_DIR)


def test_kill_9_during_the_marts_build(warehouse: Warehouse, replay: CbsSource, catalogue: CbsCatalogue,
                                       tmp_path: Path) -> None:
    warehouse.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(warehouse, load_catalogues(Settings()))
    for spec in catalogue.tables:
        load_cbs_table(spec, replay, warehouse, batch_id="first")
    assert not any(not t.passed for ts in build_all(warehouse, MODELS).values() for t in ts)
    before = published(warehouse, ("marts",))
    newer = load_cbs_table(catalogue.table("bevolking"), replay, warehouse, batch_id="second", force=True)
    warehouse.dispose()

    with Hold(warehouse.url, "marts.fact_indicator_value", tmp_path) as hold:
        child = start(tmp_path, warehouse.url, action="build", **hold.child_args())
        statement = kill_when_held(hold, child)
    assert statement.upper().startswith(("ALTER TABLE", "DROP TABLE"))  # the swap of the newly built table

    assert published(warehouse, ("marts",)) == before  # no half swap, no stray __new table
    assert not any(not t.passed for ts in build_all(warehouse, MODELS).values() for t in ts)  # the rerun
    with warehouse.engine.connect() as conn:
        loads = conn.execute(sa.text("SELECT DISTINCT load_id FROM marts.fact_indicator_value "
                                     "WHERE indicator_code = 'bevolking'")).scalars().all()
    assert loads == [newer.load_id]

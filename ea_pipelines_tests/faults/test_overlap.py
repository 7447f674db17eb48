"""Two runs at once, as separate processes, on DuckDB and PostgreSQL: they never both write.

PostgreSQL: the second waits (advisory lock per table or model, or a lock on what the first is writing) and
goes on once the first has committed. DuckDB: one process per file, so the second fails at once with a
clear :class:`WarehouseLocked` and writes nothing. Either way the warehouse ends as one run leaves it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SNAPSHOT_DIR, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.faults.harness import Child, Hold, load_status, population, published, start, wait_until

KEY = "table_id, measure_code, region_code, period_code, other_dimensions"


def second_run_is_queued_or_refused(hold: Hold, first: Child, second: Child, wh: Warehouse) -> None:
    """PostgreSQL: ``second`` waits for a lock while ``first`` is inside its transaction. DuckDB: it fails."""
    if hold.postgres:
        wait_until(lambda: any(b.wait_event_type == "Lock" for b in second.backends()),
                   "the second run to wait for the first", second.alive)
        assert first.alive() and second.alive()
    else:
        rc, result, err = second.finish()
        assert rc == 1 and result is None
        assert (f"WarehouseLocked: the warehouse {wh.duckdb_path} is in use by another process (PID {first.pid}), "
                f"most likely another run: DuckDB lets one process at a time open it. Nothing was written; "
                f"wait for that run to end and start again") in err


def test_two_loads_at_once(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.dispose()
    with Hold(warehouse.url, "staging.cbs_period", tmp_path) as hold:
        first = start(tmp_path, warehouse.url, action="load", table="bevolking", batch_id="first",
                      **hold.child_args())
        hold.wait(first)  # inside its publish transaction
        second = start(tmp_path, warehouse.url, action="load", table="bevolking", batch_id="second")
        second_run_is_queued_or_refused(hold, first, second, warehouse)
    assert first.succeed()["status"] == "published"
    if hold.postgres:  # it waited, then saw that the same data was just published
        assert second.succeed()["status"] == "unchanged"
        assert load_status(warehouse, "second") == ["unchanged"]
    else:
        assert load_status(warehouse, "second") == []
    assert load_status(warehouse, "first") == ["published"]
    with warehouse.engine.connect() as conn:
        rows, keys = conn.execute(sa.text(
            f"SELECT count(*), count(DISTINCT ({KEY})) FROM staging.cbs_observation")).one()
    assert rows == keys == 13_568 and population(warehouse) == [74_317.0]


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)  # DuckDB: the same file lock as above
def test_two_marts_builds_at_once(warehouse: Warehouse, catalogue: CbsCatalogue, tmp_path: Path) -> None:
    warehouse.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(warehouse, load_catalogues(Settings()))
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    for spec in catalogue.tables:
        load_cbs_table(spec, replay, warehouse, batch_id="b")
    for _ in range(2):  # the second build fills fact_indicator_value__previous: a steady state
        build_all(warehouse, load_project(DEFAULT_SQL_DIR))
    one_build = published(warehouse, ("marts",))
    warehouse.dispose()

    with Hold(warehouse.url, "marts.fact_indicator_value", tmp_path) as hold:
        first = start(tmp_path, warehouse.url, action="build", **hold.child_args())
        hold.wait(first)
        second = start(tmp_path, warehouse.url, action="build")
        second_run_is_queued_or_refused(hold, first, second, warehouse)
    assert first.succeed()["failed_tests"] == 0
    if hold.postgres:
        assert second.succeed()["failed_tests"] == 0
    assert published(warehouse, ("marts",)) == one_build  # same inputs: exactly what one build leaves



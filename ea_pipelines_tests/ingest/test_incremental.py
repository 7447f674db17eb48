"""Incremental refresh: when CBS's Modified and the catalogue entry are unchanged, only metadata is fetched.

Requests are counted on the fake server's side, over real HTTP, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.definitions import build_definitions
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.defs.test_definitions import settings_for

#: the metadata request an incremental run makes, per API
PROPERTIES = {"v4": "Properties", "v3": "TableInfos"}


def entity_sets(server: FakeCbsServer, since: int) -> list[str]:
    """Entity sets requested since request number ``since`` (``Observations``, ``Properties``, ...)."""
    return [re.sub(r"^/(?:odata/v1/CBS|ODataFeed/odata)/[^/]+/", "", path.split("?")[0])
            for path in server.requests[since:]]


def set_modified(server: FakeCbsServer, api: str, table_id: str, modified: str) -> None:
    table = server.tables[(api, table_id)]
    if api == "v4":
        props = json.loads(table.raw["Properties"]) if "Properties" in table.raw else table.entities["Properties"]
        props = {**props, "Modified": modified}
        server.tables[(api, table_id)] = dataclasses.replace(
            table, raw={k: v for k, v in table.raw.items() if k != "Properties"},
            entities={**table.entities, "Properties": props})
    else:
        infos = copy.deepcopy(table.entities["TableInfos"])
        infos["value"][0]["Modified"] = modified
        server.tables[(api, table_id)] = dataclasses.replace(table, entities={**table.entities, "TableInfos": infos})


def observation_rows(wh: Warehouse, table_id: str) -> int:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM staging.cbs_observation WHERE table_id = :t"),
                            {"t": table_id}).scalar()


@pytest.mark.parametrize("name", ["bevolking", "arbeidsdeelname_regionaal"])
def test_unchanged_modified_fetches_only_metadata(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                                  live_source: CbsSource, catalogue: CbsCatalogue,
                                                  name: str) -> None:
    spec = catalogue.table(name)
    first = load_cbs_table(spec, live_source, warehouse, batch_id="b1")
    assert first.status == "published" and first.skipped is None
    before = len(cbs_server.requests)

    second = load_cbs_table(spec, live_source, warehouse, batch_id="b2")

    assert entity_sets(cbs_server, before) == [PROPERTIES[spec.api]]  # one metadata request, nothing else
    assert second.status == "unchanged" and second.skipped and "observations" in second.skipped
    assert second.requests == 1 and 0 < second.bytes_received < first.bytes_received / 10
    assert second.rows == first.rows == observation_rows(warehouse, spec.table_id)
    with warehouse.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, message, http_requests, http_bytes, elapsed_seconds, "
                                   "source_modified FROM meta.load_log WHERE batch_id = 'b2'")).one()
    assert row.status == "unchanged" and row.message.startswith("skipped the data fetch")
    assert row.http_requests == 1 and row.http_bytes == second.bytes_received and row.elapsed_seconds >= 0
    assert row.source_modified == second.source_modified is not None


@pytest.mark.parametrize("name", ["bevolking", "arbeidsdeelname_regionaal"])
def test_changed_modified_fetches_everything(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                             live_source: CbsSource, catalogue: CbsCatalogue, name: str) -> None:
    spec = catalogue.table(name)
    load_cbs_table(spec, live_source, warehouse, batch_id="b1")
    set_modified(cbs_server, spec.api, spec.table_id, "2026-11-26T02:00:00+01:00")
    before = len(cbs_server.requests)

    second = load_cbs_table(spec, live_source, warehouse, batch_id="b2")

    requested = entity_sets(cbs_server, before)
    observations = "Observations" if spec.api == "v4" else "TypedDataSet"
    assert observations in requested and f"{observations}/$count" in requested
    assert second.skipped is None and second.status == "published"  # the Properties response changed
    assert second.source_modified == "2026-11-26T02:00:00+01:00"


def test_changed_catalogue_entry_fetches_everything(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                                    live_source: CbsSource, catalogue: CbsCatalogue) -> None:
    spec = catalogue.table("bevolking")
    first = load_cbs_table(spec, live_source, warehouse, batch_id="b1")
    narrower = dataclasses.replace(spec, period_from="2022JJ00")
    before = len(cbs_server.requests)

    second = load_cbs_table(narrower, live_source, warehouse, batch_id="b2")

    assert "Observations" in entity_sets(cbs_server, before)
    assert second.status == "published" and second.skipped is None
    assert 0 < second.rows < first.rows == 13_568
    assert observation_rows(warehouse, spec.table_id) == second.rows


def test_full_fetch_setting_fetches_everything(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                               live_source: CbsSource, catalogue: CbsCatalogue) -> None:
    spec = catalogue.table("bevolking")
    load_cbs_table(spec, live_source, warehouse, batch_id="b1")
    before = len(cbs_server.requests)

    second = load_cbs_table(spec, live_source, warehouse, batch_id="b2", full_fetch=True)

    assert entity_sets(cbs_server, before).count("Observations") == 14  # 13,568 rows at 1,000 a page
    assert second.status == "unchanged" and second.skipped is None  # same content hash: nothing written


def test_second_replay_run_skips_and_carries_the_checks_over(tmp_path: Path) -> None:
    """`make run` twice: the second nightly run fetches only Properties; it evaluates only `fresh` again, and
    records the other checks' results as carried over from the published load."""
    defs = build_definitions(settings_for(tmp_path, EA_DATA_DOCS_DIR=str(tmp_path / "docs")))
    job = defs.resolve_job_def("nightly_refresh")
    with dg.DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(instance=instance)
        second = job.execute_in_process(instance=instance)
    assert first.success and second.success
    meta = {e.asset_key.path[-1]: e.step_materialization_data.materialization.metadata
            for e in second.get_asset_materialization_events() if e.asset_key.path[0] == "cbs"}
    assert set(meta) == {"bevolking", "regionale_kerncijfers", "arbeidsdeelname_regionaal"}
    for m in meta.values():
        assert m["status"].value == "unchanged" and m["fetch"].value.startswith("metadata only")
        assert "observations" in m["skipped"].value and m["http_requests"].value == 0  # replay: no HTTP
    evaluations = second.get_asset_check_evaluations()
    cbs_checks = [e for e in evaluations if e.asset_key.path[0] == "cbs"]
    assert sorted(e.check_name for e in cbs_checks) == ["fresh"] * 3 and all(e.passed for e in cbs_checks)
    assert len([e for e in first.get_asset_check_evaluations() if e.asset_key.path[0] == "cbs"]) == 3 * 10
    engine = sa.create_engine(f"duckdb:///{tmp_path}/ea.duckdb")
    with engine.connect() as conn:
        carried = conn.execute(sa.text("SELECT count(*) FROM meta.check_result WHERE run_id = :r "
                                       "AND asset LIKE 'cbs/%' AND details LIKE '%carried over from load%'"),
                               {"r": second.run_id}).scalar()
    engine.dispose()
    assert carried == 3 * 9  # every check but fresh, which depends on today's date and is evaluated again


def test_run_config_forces_a_full_fetch(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path, EA_DATA_DOCS_DIR=str(tmp_path / "docs")))
    job = defs.resolve_job_def("nightly_refresh")
    bevolking = dg.AssetKey(["cbs", "bevolking"])
    with dg.DagsterInstance.ephemeral() as instance:
        job.execute_in_process(instance=instance, asset_selection=[bevolking])
        forced = job.execute_in_process(instance=instance, asset_selection=[bevolking], run_config={
            "ops": {"cbs__bevolking": {"config": {"full_fetch": True}}}})
    meta = forced.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert meta["fetch"].value == "full" and meta["status"].value == "unchanged"  # fetched, same content


def test_a_skipped_table_is_still_judged_fresh_today(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                                     live_source: CbsSource, catalogue: CbsCatalogue) -> None:
    """Checks are carried over from the published load, except ``fresh``: a table whose Modified never
    changes is exactly the stale table that check exists for."""
    import datetime as dt

    from ea_pipelines.quality.gate import QualityGate
    from ea_pipelines.reference.regions import RegionIndex

    spec = catalogue.table("bevolking")
    gate = QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=Path("/nonexistent"),
                       gx_max_rows=0)  # validate in SQL: no Data Docs needed
    first = load_cbs_table(spec, live_source, warehouse, batch_id="b1", gate=gate)
    assert first.status == "published" and all(o.passed for o in first.checks)

    years_later = dataclasses.replace(gate, today=dt.date(2040, 1, 1))
    second = load_cbs_table(spec, live_source, warehouse, batch_id="b2", gate=years_later)

    assert second.skipped
    outcomes = {o.check: o for o in second.checks}
    assert not outcomes["fresh"].passed and "expected at least 2037" in outcomes["fresh"].failures[0]
    assert all(o.passed and "carried over" in o.failures[-1] for name, o in outcomes.items() if name != "fresh")

"""Promises of the Dagster job, in real job runs: a transient CBS error is retried by the step's retry policy,
steps downstream of a failed ERROR check are skipped, and ``EA_CBS_FULL_FETCH`` forces a full fetch."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.definitions import build_definitions
from ea_pipelines.defs import cbs_assets
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable, Fault
from ea_pipelines.settings import DEFAULT_CATALOGUE
from ea_pipelines_tests.conftest import snapshot_rows
from ea_pipelines_tests.defs.test_definitions import settings_for

KERNCIJFERS = dg.AssetKey(["cbs", "regionale_kerncijfers"])  # 70072ned, synthetic
BEVOLKING = dg.AssetKey(["cbs", "bevolking"])


def events(result: dg.ExecuteInProcessResult, kind: str, step: str | None = None) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type_value == kind and (step is None or e.step_key == step)]


def test_a_transient_cbs_error_is_retried_by_the_step_retry_policy(
        fake_tables: list[FakeTable], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first attempt's requests fail beyond the HTTP client's budget (2 attempts); the step is retried by
    Dagster and the second attempt loads the table. Only the policy's delay is zeroed (30 s in production)."""
    real = cbs_assets.CBS_RETRY
    assert (real.max_retries, real.delay) == (2, 30)
    monkeypatch.setattr(cbs_assets, "CBS_RETRY", dg.RetryPolicy(max_retries=real.max_retries, delay=0,
                                                                backoff=real.backoff, jitter=real.jitter))
    with FakeCbsServer(fake_tables, page_size=200) as server:
        server.inject("/70072ned/Properties$", Fault("status", 503), Fault("status", 503))
        settings = settings_for(tmp_path, EA_SOURCE_MODE="live", EA_CBS_V4_URL=server.v4_url,
                                EA_CBS_V3_URL=server.v3_url, EA_HTTP_MAX_ATTEMPTS="2", EA_HTTP_BACKOFF_CAP="0")
        result = build_definitions(settings).resolve_job_def("nightly_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), asset_selection=[KERNCIJFERS], raise_on_error=False)
        properties_requests = [r for r in server.requests if r.split("?")[0].endswith("/70072ned/Properties")]

    assert result.success
    step = "cbs__regionale_kerncijfers"
    assert len(events(result, "STEP_UP_FOR_RETRY", step)) == 1
    assert len(events(result, "STEP_RESTARTED", step)) == 1
    assert len(events(result, "STEP_SUCCESS", step)) == 1 and events(result, "STEP_FAILURE", step) == []
    retry = events(result, "STEP_UP_FOR_RETRY", step)[0]
    assert retry.event_specific_data.error.cause.cls_name == "CbsTransientError"
    assert len(properties_requests) == 3  # 503, 503 (attempt 1 gives up), 200 (attempt 2)
    mats = [e for e in result.get_asset_materialization_events() if e.asset_key == KERNCIJFERS]
    meta = mats[0].step_materialization_data.materialization.metadata
    assert (meta["status"].value, meta["source_mode"].value, meta["dagster/row_count"].value) == \
        ("published", "live", snapshot_rows("70072ned"))
    engine = sa.create_engine(settings.warehouse_url)
    with engine.connect() as conn:
        loads = conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE batch_id = :r "
                                     "ORDER BY started_at"), {"r": result.run_id}).fetchall()
    engine.dispose()
    assert [s for s, _ in loads] == ["failed", "published"]
    assert loads[0].message.startswith("CbsTransientError: GET ") and "failed 2 times; last problem: HTTP 503" \
        in loads[0].message


def test_steps_downstream_of_a_failed_error_check_are_skipped(tmp_path: Path) -> None:
    """bevolking with an impossible range (at most 1,000 inhabitants): value_ranges fails, nothing of it is
    published, and everything built from it in the same run is skipped; unrelated steps still run.

    In Dagster 1.13 the failed blocking check fails the asset's step (DagsterAssetCheckFailedError, so the run
    is marked failed) and the steps downstream are not executed: they never start and the engine logs why."""
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    bevolking = next(t for t in raw["tables"] if t["name"] == "bevolking")
    bevolking["value_ranges"]["M000352"] = {"min": 1, "max": 1000}
    catalogue = tmp_path / "cbs_tables.yaml"
    catalogue.write_text(yaml.safe_dump(raw, sort_keys=False))  # filter order is in the request
    defs = build_definitions(settings_for(tmp_path, EA_CBS_CATALOGUE=str(catalogue)))
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=instance, raise_on_error=False)

    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key, e.check_name, e.severity) for e in failed] == \
        [(BEVOLKING, "value_ranges", dg.AssetCheckSeverity.ERROR)]
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert BEVOLKING not in materialized
    failure = events(result, "STEP_FAILURE", "cbs__bevolking")
    assert len(failure) == 1 and failure[0].event_specific_data.error.cls_name == "DagsterAssetCheckFailedError"
    assert not result.success
    started = {e.step_key for e in events(result, "STEP_START")}
    messages = {(r.step_key, r.user_message) for r in instance.all_logs(result.run_id)}
    # downstream of cbs/bevolking, by hand from the SQL project: staging → intermediate → marts → report
    downstream = ["staging__stg_cbs_value", "intermediate__int_population", "intermediate__int_indicator_cbs",
                  "marts__fact_indicator_value", "marts__kernindicatoren", "reporting__council_report",
                  "reporting__duckdb_readonly_copy"]
    assert started.isdisjoint(downstream), sorted(started)
    assert ("staging__stg_cbs_value",
            "Dependencies for step staging__stg_cbs_value failed: ['cbs__bevolking']. Not executing.") in messages
    for key in (["staging", "stg_cbs_value"], ["marts", "kernindicatoren"], ["reporting", "council_report"]):
        assert dg.AssetKey(key) not in materialized
    # not downstream of it: the other CBS tables and the deliveries ran
    assert {KERNCIJFERS, dg.AssetKey(["cbs", "arbeidsdeelname_regionaal"]),
            dg.AssetKey(["deliveries", "mkb_ranking"])} <= materialized
    engine = sa.create_engine(f"duckdb:///{tmp_path}/ea.duckdb")
    with engine.connect() as conn:
        population = conn.execute(sa.text("SELECT count(*) FROM staging.cbs_observation "
                                          "WHERE table_id = '03759ned'")).scalar()
        status = conn.execute(sa.text("SELECT status FROM meta.load_log WHERE table_id = '03759ned'")).scalar()
    engine.dispose()
    assert (population, status) == (0, "blocked")


def test_ea_cbs_full_fetch_forces_a_full_fetch(tmp_path: Path) -> None:
    """Without the setting a second run reads Properties only; with EA_CBS_FULL_FETCH=true it fetches in full."""
    def run(**extra: str) -> dict[str, object]:
        defs = build_definitions(settings_for(tmp_path, **extra))
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), asset_selection=[BEVOLKING])
        meta = result.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
        return {k: meta[k].value for k in ("fetch", "status", "skipped")}

    assert run()["status"] == "published"
    assert run() == {"fetch": "metadata only (nothing changed upstream)", "status": "unchanged",
                     "skipped": "MeasureCodes, Dimensions, dimension codes, $count, observations, quality checks, "
                                "publish"}
    assert run(EA_CBS_FULL_FETCH="true") == {"fetch": "full", "status": "unchanged", "skipped": "nothing"}

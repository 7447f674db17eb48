"""The CBS asset when CBS cannot be reached: it keeps the live version and says the table is stale; an entry
with editions is one asset."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import dagster as dg

from ea_pipelines.definitions import build_definitions
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines_tests.defs.test_definitions import settings_for

BEVOLKING = dg.AssetKey(["cbs", "bevolking"])


def _dead_root() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _run(tmp_path: Path, instance: dg.DagsterInstance, **env: str) -> dg.ExecuteInProcessResult:
    defs = build_definitions(settings_for(tmp_path, **env))
    return defs.resolve_job_def("nightly_refresh").execute_in_process(instance=instance, asset_selection=[BEVOLKING])


def test_unreachable_cbs_keeps_the_live_version_and_the_asset_says_stale(cbs_server: FakeCbsServer,
                                                                         tmp_path: Path) -> None:
    dead = _dead_root()
    with dg.DagsterInstance.ephemeral() as instance:
        live = _run(tmp_path, instance, EA_SOURCE_MODE="live", EA_CBS_V4_URL=cbs_server.v4_url)
        offline = _run(tmp_path, instance, EA_SOURCE_MODE="auto", EA_CBS_V4_URL=f"{dead}/odata/v1/CBS")
        others = [dg.AssetCheckKey(BEVOLKING, e.check_name) for e in live.get_asset_check_evaluations()
                  if e.asset_key == BEVOLKING and e.check_name != "fresh"]  # the live run evaluated every check
        last = instance.event_log_storage.get_asset_check_summary_records(others)
    assert live.success and offline.success
    first = live.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    meta = offline.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert (first["status"].value, first["source_mode"].value, first["stale"].value) == ("published", "live", False)
    assert (meta["status"].value, meta["source_mode"].value, meta["stale"].value) == ("kept", "fallback", True)
    assert meta["published_load"].value == first["load_id"].value
    assert meta["note"].value.startswith("CBS unreachable (") and "kept the published version" in meta["note"].value
    checks = {e.check_name: e for e in offline.get_asset_check_evaluations() if e.asset_key == BEVOLKING}
    assert list(checks) == ["fresh"]  # the only check evaluated again: the published data did not change
    assert not checks["fresh"].passed and checks["fresh"].severity == dg.AssetCheckSeverity.WARN
    # the other nine stand as the live run evaluated them (what the UI's asset health shows)
    assert len(last) == 9 and all(r.last_completed_check_execution_record.run_id == live.run_id
                                  and r.last_completed_check_execution_record.evaluation.passed for r in last.values())


def test_an_entry_with_editions_is_one_asset_that_says_which_editions_it_loaded(tmp_path: Path) -> None:
    """Replay (no network): 85969NED from its snapshot, its successors skipped for want of one; the asset
    materialises once, with the editions in its metadata and each check once."""
    key = dg.AssetKey(["cbs", "arbeidsdeelname_regionaal"])
    dead = _dead_root()
    defs = build_definitions(settings_for(tmp_path, EA_SOURCE_MODE="replay", EA_CBS_V3_URL=f"{dead}/ODataFeed/odata"))
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=instance, asset_selection=[key])
    assert result.success
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    meta = event.step_materialization_data.materialization.metadata
    assert (meta["status"].value, meta["source_mode"].value) == ("published", "replay")
    editions = meta["editions"].value
    assert re.search(r"\|\s*85969NED\s*\|\s*published\s*\|\s*replay", editions)
    assert re.search(r"\|\s*86111NED\s*\|\s*skipped", editions) and re.search(r"\|\s*86276NED\s*\|\s*skipped", editions)
    checks = [e.check_name for e in result.get_asset_check_evaluations() if e.asset_key == key]
    assert len(checks) == len(set(checks)) == 10

"""The kennispunt assets: a Swing ODS variable materialised live over HTTP (key sent, never shown), and from the
synthetic snapshot when the site's Open Data Service is switched off."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.definitions import build_definitions
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.settings import Settings
from ea_pipelines_tests.defs.test_definitions import settings_for

VAR = load_swing_catalogue(Settings().swing_catalogue_path).variable("groenblauw_waardering")
KEY = dg.AssetKey(["kennispunt", VAR.name])
PERIODS = ("2022", "2023")


def _run(tmp_path: Path, instance: dg.DagsterInstance, **env: str) -> tuple[dg.ExecuteInProcessResult, dg.Definitions]:
    defs = build_definitions(settings_for(tmp_path, **env))
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=instance, asset_selection=[KEY])
    return result, defs


def test_live_over_http_then_fallback_when_the_service_is_off(tmp_path: Path) -> None:
    values = {(c, p): "7.0" for c, _ in TWENTE for p in PERIODS}
    with FakeSwingServer([FakeVariable(VAR.variable, VAR.title, values)], periods=PERIODS,
                         api_key="k-123") as ods, dg.DagsterInstance.ephemeral() as instance:
        live, defs = _run(tmp_path, instance, EA_SOURCE_MODE="live", EA_SWING_ODS_URL=ods.ods_url,
                          EA_SWING_API_KEY="k-123")
        assert ods.keys_seen and set(ods.keys_seen) == {"k-123"}
        ods.enabled = False
        off, _ = _run(tmp_path / "off", instance, EA_SOURCE_MODE="auto", EA_SWING_ODS_URL=ods.ods_url,
                      EA_SWING_API_KEY="k-123")
    assert live.success and off.success
    meta = live.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert (meta["status"].value, meta["source_mode"].value, meta["provenance"].value) == \
        ("published", "live", "swing_live")
    assert meta["dagster/row_count"].value == len(TWENTE) * len(PERIODS)
    fallback = off.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert (fallback["source_mode"].value, fallback["provenance"].value, fallback["synthetic_snapshot"].value) == \
        ("fallback", "synthetic", True)
    assert "administrator must enable the Open Data Service" in fallback["note"].value
    checks = {e.check_name: e.passed for e in live.get_asset_check_evaluations() if e.asset_key == KEY}
    assert len(checks) == 10 and all(checks.values())
    shown = str(defs.resources["swing"])  # what the UI shows of the resource config
    assert "k-123" not in shown and "api_key_set=True" in shown


def test_ods_2_with_gemeente_codes_loads_live_and_an_unchanged_last_update_skips_the_fetch(tmp_path: Path) -> None:
    """The field as other Swing sites show it: ODS 2.0 (/ods/odata, a key on every request), GeoItems written
    gemeente_<number>, a LastUpdate on the variable."""
    regions = tuple((f"gemeente_{int(code[2:])}", name) for code, name in TWENTE)
    values = {(c, p): "7.0" for c, _ in regions for p in PERIODS}
    variable = FakeVariable(VAR.variable, VAR.title, values, last_update="2026-11-20T06:00:00")
    env = {"EA_SOURCE_MODE": "live", "EA_SWING_API_KEY": "k-2.0"}
    with FakeSwingServer([variable], regions=regions, periods=PERIODS, version="2.0", api_key="k-2.0") as ods, \
            dg.DagsterInstance.ephemeral() as instance:
        assert ods.ods_url.endswith("/ods/odata")
        first, _ = _run(tmp_path, instance, EA_SWING_ODS_URL=ods.ods_url, **env)
        values_asked = sum("/Values" in r for r in ods.requests)
        second, _ = _run(tmp_path, instance, EA_SWING_ODS_URL=ods.ods_url, **env)
        assert sum("/Values" in r for r in ods.requests) == values_asked > 0  # the second run asked for none
        assert set(ods.keys_seen) == {"k-2.0"}
    assert first.success and second.success
    meta = [e.step_materialization_data.materialization.metadata for r in (first, second)
            for e in r.get_asset_materialization_events()]
    assert [(m["status"].value, m["source_mode"].value) for m in meta] == [("published", "live"),
                                                                          ("unchanged", "live")]
    assert meta[0]["provenance"].value == "swing_live" and meta[0]["dagster/row_count"].value == len(TWENTE) * 2
    assert "Swing LastUpdate 2026-11-20T06:00:00" in meta[1]["note"].value

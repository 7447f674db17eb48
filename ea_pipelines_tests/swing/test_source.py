"""The Swing ODS client over real HTTP against the fake ODS: paging, '?', keys, a switched-off service, unknown
variables, landing and replay of what was landed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_pipelines.catalogue.swing import SwingCatalogue
from ea_pipelines.cbs.errors import CbsAccessDenied, CbsBadResponse, CbsIncompleteLoad
from ea_pipelines.devtools.fake_cbs_server import Fault
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.swing.errors import SwingServiceOff, SwingVariableNotFound
from ea_pipelines.swing.reader import cbs_region
from ea_pipelines.swing.source import SwingSource
from ea_pipelines_tests.swing.conftest import PERIODS, swing_source


def test_live_fetch_pages_and_maps_codes_and_missing_values(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                            tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    result = swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    obs = result.data.observations
    assert result.mode == "live" and not result.synthetic
    assert len(obs) == len(TWENTE) * len(PERIODS) == result.data.expected_rows
    values = sum("/Values" in r for r in ods.requests)
    assert values == -(-len(obs) // ods.page_size) > 1  # every page followed through @odata.nextLink
    almelo = obs.set_index(["region_code", "period_code"])
    assert almelo.loc[("GM0153", "2023JJ00"), "value"] == pytest.approx((153 + 2023) / 100)
    missing = almelo.loc[("GM0141", "2022JJ00")]
    assert missing["value"] != missing["value"] and missing["value_attribute"] == "missing"  # '?' -> NULL
    assert set(obs.measure_code) == {var.variable}
    assert set(result.data.regions.region_code) == {c for c, _ in TWENTE}


def test_landed_responses_replay_to_the_same_data(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                  tmp_path: Path) -> None:
    var = swing_catalogue.variables[1]
    live = swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    objects = [p for p in (tmp_path / "landing" / "swing" / "objects").rglob("*.json")]
    assert len(objects) == len(json.loads(live.manifest.read_text())["responses"])
    source = SwingSource.create("replay", "https://unused.invalid/jiveservices/odata", live.manifest.parents[1],
                                tmp_path / "other", swing_catalogue)
    replayed = source.fetch(var.table(), "b2")
    assert replayed.mode == "replay" and replayed.data.content_hash == live.data.content_hash
    assert replayed.data.observations.equals(live.data.observations)


def test_a_site_that_wants_a_key_names_the_setting(fake_variables: list[FakeVariable],
                                                   swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    with FakeSwingServer(fake_variables, periods=PERIODS, api_key="s3cret-key") as ods:
        with pytest.raises(CbsAccessDenied, match="needs an API key: set EA_SWING_API_KEY") as err:
            swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
        assert err.value.status == 401
        with pytest.raises(CbsAccessDenied, match="refused the API key in EA_SWING_API_KEY") as wrong:
            swing_source("live", ods.ods_url, tmp_path, swing_catalogue, api_key="wrong").fetch(var.table(), "b1")
        assert "wrong" not in str(wrong.value)
        result = swing_source("live", ods.ods_url, tmp_path, swing_catalogue, api_key="s3cret-key").fetch(
            var.table(), "b1")
        assert ods.keys_seen[-1] == "s3cret-key" and len(result.data.observations) == len(TWENTE) * len(PERIODS)
    landed = [p.read_bytes() for p in (tmp_path / "landing").rglob("*") if p.is_file()]
    assert landed and not any(b"s3cret-key" in body for body in landed)  # not in a landed body or manifest
    assert "s3cret-key" not in repr(swing_source("live", ods.ods_url, tmp_path, swing_catalogue, "s3cret-key"))


def test_a_switched_off_service_says_the_administrator_must_enable_it(
        fake_variables: list[FakeVariable], swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    with FakeSwingServer(fake_variables, enabled=False) as ods:
        with pytest.raises(SwingServiceOff, match="administrator must enable the Open Data Service"):
            swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
        result = swing_source("auto", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    assert result.mode == "fallback" and result.synthetic  # the bundled snapshot, labelled synthetic
    assert "Open Data Service" in result.note and "SYNTHETIC" in result.note
    assert len(result.data.observations) > 0


def test_an_unknown_variable_is_named_with_the_nearest_codes(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                             tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    ods.variables.pop(var.variable)
    ods.variables["kp_bt_ondernemersver_pct_2"] = FakeVariable("kp_bt_ondernemersver_pct_2", "renamed")
    with pytest.raises(SwingVariableNotFound) as err:
        swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    message = str(err.value)
    assert var.variable in message and "kp_bt_ondernemersver_pct_2" in message and var.name in message
    assert "nearest codes on the site" in message


def test_bare_municipality_numbers_become_cbs_codes(swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[2]
    regions = (("141", "Almelo"), ("0153", "Enschede"))
    values = {(c, p): "7.5" for c, _ in regions for p in PERIODS}
    with FakeSwingServer([FakeVariable(var.variable, var.title, values)], regions=regions, periods=PERIODS) as ods:
        result = swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    assert set(result.data.observations.region_code) == {"GM0141", "GM0153"}
    with pytest.raises(ValueError, match="not a municipality code"):
        cbs_region("gemeente", "Almelo")


def test_a_value_that_is_no_number_fails_naming_the_response(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                             tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    ods.variables[var.variable].values[("GM0189", "2023")] = "n.v.t."
    with pytest.raises(CbsBadResponse, match=r"Values\?\$skip=40.*n\.v\.t\."):
        swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")


def test_a_missing_row_is_an_incomplete_load(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                             tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]

    def drop_one(path: str, params: dict[str, str], body: bytes) -> bytes:
        doc = json.loads(body)
        doc["value"] = doc["value"][1:]
        return json.dumps(doc).encode()

    ods.tamper(r"/Values$", drop_one)
    with pytest.raises(CbsIncompleteLoad, match=f"{len(TWENTE) * len(PERIODS)} rows"):
        swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")


def test_server_errors_are_retried(ods: FakeSwingServer, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    ods.inject(r"/Values$", Fault("status", status=503), Fault("reset"))
    result = swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    assert len(result.data.observations) == len(TWENTE) * len(PERIODS)
    first_page = [r for r in ods.requests if r.endswith("/Values")]
    assert len(first_page) == 3  # 503, reset, then the answer

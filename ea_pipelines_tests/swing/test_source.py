"""The Swing ODS client over real HTTP against the fake ODS: paging, '?', keys, a switched-off service, unknown
variables, landing and replay of what was landed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ea_pipelines.catalogue.swing import SwingCatalogue
from ea_pipelines.cbs.errors import CbsAccessDenied, CbsBadResponse, CbsIncompleteLoad
from ea_pipelines.devtools.fake_cbs_server import Fault
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.swing.errors import SwingGeoCodeError, SwingKeyMissing, SwingServiceOff, SwingVariableNotFound
from ea_pipelines.swing.source import SwingSource, ods_version
from ea_pipelines_tests.swing.conftest import PERIODS, fake_ods, live_source, swing_source


def test_live_fetch_pages_and_maps_codes_and_missing_values(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                            tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    result = live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
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
    live = live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    objects = [p for p in (tmp_path / "landing" / "swing" / "objects").rglob("*.json")]
    assert len(objects) == len(json.loads(live.manifest.read_text())["responses"])
    source = SwingSource.create("replay", "https://unused.invalid/jiveservices/odata", live.manifest.parents[1],
                                tmp_path / "other", swing_catalogue)
    replayed = source.fetch(var.table(), "b2")
    assert replayed.mode == "replay" and replayed.data.content_hash == live.data.content_hash
    assert replayed.data.observations.equals(live.data.observations)


def test_a_site_that_wants_a_key_names_the_setting(fake_variables: list[FakeVariable], ods_version: str,
                                                   swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    with FakeSwingServer(fake_variables, periods=PERIODS, api_key="s3cret-key", version=ods_version) as ods:
        if ods_version == "2.0":  # ODS 2.0 always wants one: refused before any request
            with pytest.raises(SwingKeyMissing, match="ODS 2.0 root .* set EA_SWING_API_KEY"):
                swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
            with pytest.raises(SwingKeyMissing):
                swing_source("auto", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
            assert ods.requests == []
        else:
            with pytest.raises(CbsAccessDenied, match="needs an API key: set EA_SWING_API_KEY") as err:
                swing_source("live", ods.ods_url, tmp_path, swing_catalogue).fetch(var.table(), "b1")
            assert err.value.status == 401
        with pytest.raises(CbsAccessDenied, match="refused the API key in EA_SWING_API_KEY") as wrong:
            swing_source("live", ods.ods_url, tmp_path, swing_catalogue, api_key="wrong").fetch(var.table(), "b1")
        assert "wrong" not in str(wrong.value)
        sent = len(ods.keys_seen)
        result = swing_source("live", ods.ods_url, tmp_path, swing_catalogue, api_key="s3cret-key").fetch(
            var.table(), "b1")
        assert ods.keys_seen[-1] == "s3cret-key" and len(result.data.observations) == len(TWENTE) * len(PERIODS)
        if ods_version == "2.0":  # the key went with every request, page links included
            assert set(ods.keys_seen[sent:]) == {"s3cret-key"} and len(ods.keys_seen) - sent > 3
    landed = [p.read_bytes() for p in (tmp_path / "landing").rglob("*") if p.is_file()]
    assert landed and not any(b"s3cret-key" in body for body in landed)  # not in a landed body or manifest
    assert "s3cret-key" not in repr(swing_source("live", ods.ods_url, tmp_path, swing_catalogue, "s3cret-key"))


def test_a_switched_off_service_says_the_administrator_must_enable_it(
        fake_variables: list[FakeVariable], ods_version: str, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    with fake_ods(fake_variables, ods_version, enabled=False) as ods:
        with pytest.raises(SwingServiceOff, match="administrator must enable the Open Data Service"):
            live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
        result = live_source(ods, tmp_path, swing_catalogue, mode="auto").fetch(var.table(), "b1")
    assert result.mode == "fallback" and result.synthetic  # the bundled snapshot, labelled synthetic
    assert "Open Data Service" in result.note and "SYNTHETIC" in result.note
    assert len(result.data.observations) > 0


def test_an_unknown_variable_is_named_with_the_nearest_codes(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                             tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    ods.variables.pop(var.variable)
    ods.variables["kp_bt_ondernemersver_pct_2"] = FakeVariable("kp_bt_ondernemersver_pct_2", "renamed")
    with pytest.raises(SwingVariableNotFound) as err:
        live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    message = str(err.value)
    assert var.variable in message and "kp_bt_ondernemersver_pct_2" in message and var.name in message
    assert "nearest codes on the site" in message




def test_a_value_that_is_no_number_fails_naming_the_response(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                                             tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    ods.variables[var.variable].values[("GM0189", "2023")] = "n.v.t."
    with pytest.raises(CbsBadResponse, match=r"Values\?\$skip=40.*n\.v\.t\."):
        live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")


def test_a_missing_row_is_an_incomplete_load(ods: FakeSwingServer, swing_catalogue: SwingCatalogue,
                                             tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]

    def drop_one(path: str, params: dict[str, str], body: bytes) -> bytes:
        doc = json.loads(body)
        doc["value"] = doc["value"][1:]
        return json.dumps(doc).encode()

    ods.tamper(r"/Values$", drop_one)
    with pytest.raises(CbsIncompleteLoad, match=f"{len(TWENTE) * len(PERIODS)} rows"):
        live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")


def test_server_errors_are_retried(ods: FakeSwingServer, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    ods.inject(r"/Values$", Fault("status", status=503), Fault("reset"))
    result = live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    assert len(result.data.observations) == len(TWENTE) * len(PERIODS)
    first_page = [r for r in ods.requests if r.endswith("/Values")]
    assert len(first_page) == 3  # 503, reset, then the answer


FORMS = ["GM{n:04d}", "{n}", "{n:04d}", "gemeente_{n}", "Gemeente_{n:04d}", "gemeente2024_{n}", "id-{n}x"]


@pytest.mark.parametrize("form", FORMS)
def test_region_codes_as_swing_sites_write_them_load_live(form: str, ods_version: str,
                                                          swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    """Each site spells its GeoItems one way; an opaque id (last form) is matched by the GeoItem's name."""
    var = swing_catalogue.variables[2]
    numbers = {form.format(n=int(code[2:])): int(code[2:]) for code, _ in TWENTE}
    regions = tuple((form.format(n=int(code[2:])), name) for code, name in TWENTE)
    values = {(c, p): f"{(numbers[c] + int(p)) / 100:.2f}" for c, _ in regions for p in PERIODS}
    with fake_ods([FakeVariable(var.variable, var.title, values)], ods_version, regions=regions,
                  periods=PERIODS) as ods:
        result = live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    obs = result.data.observations.set_index(["region_code", "period_code"])["value"]
    assert set(result.data.regions.region_code) == {c for c, _ in TWENTE} and len(obs) == len(TWENTE) * len(PERIODS)
    for code, _ in TWENTE:
        assert obs[(code, "2023JJ00")] == pytest.approx((int(code[2:]) + 2023) / 100)


def test_a_geo_level_with_a_vintage_loads_live(ods_version: str, swing_catalogue: SwingCatalogue,
                                               tmp_path: Path) -> None:
    var = dataclasses.replace(swing_catalogue.variables[0], geo_level="gemeente2024")
    catalogue = SwingCatalogue(swing_catalogue.site, (var,), swing_catalogue.path)
    regions = tuple((f"gemeente2024_{int(code[2:])}", name) for code, name in TWENTE)
    values = {(c, p): "1.5" for c, _ in regions for p in PERIODS}
    with fake_ods([FakeVariable(var.variable, var.title, values, geo_level="gemeente2024")], ods_version,
                  regions=regions, periods=PERIODS, geo_level="gemeente2024") as ods:
        result = live_source(ods, tmp_path, catalogue).fetch(var.table(), "b1")
    assert set(result.data.observations.region_code) == {c for c, _ in TWENTE}
    assert any("GeoLevels('gemeente2024')/GeoItems" in r for r in ods.requests)


def test_a_level_that_is_no_municipality_fails_naming_the_codes_seen(ods_version: str,
                                                                     swing_catalogue: SwingCatalogue,
                                                                     tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]
    regions = (("gemeente_141", "Almelo"), ("provincie_23", "Overijssel"), ("res_17", "Twente"))
    with fake_ods([FakeVariable(var.variable, var.title, {})], ods_version, regions=regions,
                  periods=PERIODS) as ods:
        with pytest.raises(SwingGeoCodeError, match=r"2 of the 3 GeoItems .* 'provincie_23' \(Overijssel\), "
                                                    r"'res_17' \(Twente\)"):
            live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
        assert not any("/Values" in r for r in ods.requests)  # refused before any value was read


@pytest.mark.parametrize(("url", "version"), [
    ("https://twente.incijfers.nl/ods/odata", "2.0"), ("https://twente.incijfers.nl/ods/odata/", "2.0"),
    ("https://klimaatmonitor.databank.nl/ODS/OData", "2.0"), ("http://127.0.0.1:8080/proxy/ods/odata", "2.0"),
    ("https://twente.incijfers.nl/jiveservices/odata", "1"), ("https://swing.eu/JiveServices/odata/", "1"),
    ("https://ods.example.nl/odata", "1"), ("https://x.nl/ods/odata/Variables", "1"), ("https://x.nl/odata", "1"),
])
def test_the_url_chooses_the_ods_version(url: str, version: str) -> None:
    assert ods_version(url) == version


def test_an_ods_2_root_without_a_key_names_the_setting_and_no_secret(swing_catalogue: SwingCatalogue,
                                                                     tmp_path: Path) -> None:
    source = swing_source("live", "https://user:pw-9@twente.incijfers.nl/ods/odata", tmp_path, swing_catalogue)
    with pytest.raises(SwingKeyMissing) as err:
        source.fetch(swing_catalogue.variables[0].table(), "b1")
    message = str(err.value)
    assert "EA_SWING_API_KEY" in message and "No request was made" in message and "pw-9" not in message
    assert not (tmp_path / "landing").exists()


def test_value_rows_may_spell_a_geo_item_otherwise_but_not_name_another_region(
        ods: FakeSwingServer, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variables[0]

    def respell(region: str, to: str):
        def tamper(path: str, params: dict[str, str], body: bytes) -> bytes:
            doc = json.loads(body)
            for row in doc["value"]:
                row["ExternalCode"] = to if row["ExternalCode"] == region else row["ExternalCode"]
            return json.dumps(doc).encode()
        return tamper

    ods.tamper(r"/Values$", respell("GM0141", "gemeente_141"))  # GeoItems say GM0141
    result = live_source(ods, tmp_path, swing_catalogue).fetch(var.table(), "b1")
    assert set(result.data.observations.region_code) == {c for c, _ in TWENTE}
    ods.tamper(r"/Values$", respell("gemeente_141", "gemeente_363"))  # applied after the first: Amsterdam
    with pytest.raises(CbsBadResponse, match="'gemeente_363', which is not among the GeoItems"):
        live_source(ods, tmp_path / "2", swing_catalogue).fetch(var.table(), "b1")

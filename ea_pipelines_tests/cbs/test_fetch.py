"""The real client against the fake server: paging, v3 padding, completeness and the specific errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ea_pipelines.catalogue.cbs import CbsCatalogue, RegionSelection
from ea_pipelines.cbs.errors import (
    CbsError,
    CbsIncompleteLoad,
    CbsMeasureMissing,
    CbsTableDiscontinued,
    CbsTableIdCaseError,
)
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines_tests.conftest import FAST, POPULATION, snapshot_rows


def test_v4_real_capture_over_many_pages(cbs_server: FakeCbsServer, live_source: CbsSource,
                                         catalogue: CbsCatalogue) -> None:
    result = live_source.fetch(catalogue.table("bevolking"), batch_id="t")
    obs = result.data.observations
    pages = [r for r in cbs_server.requests if "/Observations?" in r]
    assert len(pages) == 14  # 13,568 rows at 1,000 a page, following @odata.nextLink
    assert len(obs) == result.data.announced_rows == 13_568
    almelo = obs[(obs.region_code == "GM0141") & (obs.period_code == "2024JJ00") & (obs.measure_code == "M000352")]
    assert almelo.value.tolist() == [74_317.0]
    assert set(obs.period_status) == {"definitief"}
    assert json.loads(almelo.other_dimensions.iloc[0]) == {"BurgerlijkeStaat": "T001019", "Geslacht": "T001038",
                                                           "Leeftijd": "10000"}
    impossible = obs[obs.value_attribute == "Impossible"]
    assert len(impossible) > 0 and impossible.value.isna().all()


def test_v4_measure_filter_is_sent_when_the_table_has_more_measures(cbs_server: FakeCbsServer,
                                                                    live_source: CbsSource,
                                                                    catalogue: CbsCatalogue) -> None:
    spec = catalogue.table("regionale_kerncijfers")
    result = live_source.fetch(spec, batch_id="t")
    assert set(result.data.observations.measure_code) == set(spec.measure_codes)
    assert any("Measure+eq" in r or "Measure%20eq" in r for r in cbs_server.requests)
    periods = result.data.periods.set_index("period_code")
    assert periods.status.isna().all()  # CBS's own period Status, null in the real 70072ned (as served)
    assert periods.description["2026JJ00"].startswith("Uitkomsten zijn voorlopig over:")
    regions = set(result.data.observations.region_code)
    assert set(catalogue.programme.region_codes) <= regions and all(spec.regions.matches(r) for r in regions)


def test_v3_padded_codes_are_trimmed_and_padded_in_the_filter(cbs_server: FakeCbsServer, live_source: CbsSource,
                                                              catalogue: CbsCatalogue) -> None:
    # the programme's regions as explicit codes: they are sent padded, as v3 keys are
    spec = dataclasses.replace(catalogue.table("arbeidsdeelname_regionaal"),
                               regions=RegionSelection(codes=catalogue.programme.region_codes))
    result = live_source.fetch(spec, batch_id="t")
    obs = result.data.observations
    assert set(obs.region_code) == set(catalogue.programme.region_codes)
    assert all(c == c.strip() for c in obs.region_code)
    assert set(obs.other_dimensions) == {'{"Geslacht": "T001038"}'}  # only the total, trimmed
    typed = [r for r in cbs_server.requests if "/TypedDataSet?" in r]
    assert typed and all("%24format=json" in r for r in typed)
    assert "GM0141++++" in typed[0] or "GM0141%20%20%20%20" in typed[0]  # padded to the key width
    assert len(obs) == result.data.announced_rows * len(spec.measures)


def test_v3_paging_follows_odata_nextlink(fake_tables: list[FakeTable], catalogue: CbsCatalogue,
                                          tmp_path: Path) -> None:
    with FakeCbsServer(fake_tables, page_size=50) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "landing", FAST)
        spec = catalogue.table("arbeidsdeelname_regionaal")
        result = source.fetch(spec, batch_id="t")
        pages = [r for r in server.requests if "/TypedDataSet?" in r]
    wide_rows = snapshot_rows("85969NED") // len(spec.measure_codes)  # the synthetic table's, as served
    assert result.data.announced_rows == wide_rows and len(pages) == -(-wide_rows // 50)
    assert len(result.data.observations) == snapshot_rows("85969NED")


def test_row_count_mismatch_refuses_the_load(fake_tables: list[FakeTable], catalogue: CbsCatalogue,
                                             tmp_path: Path) -> None:
    class Short(FakeCbsServer):
        def answer(self, path, params):
            status, ctype, body = super().answer(path, params)
            if path.endswith("/Observations") and params.get("$skip") == "13000":
                data = json.loads(body)
                data["value"] = data["value"][:-3]  # the last page lost three rows
                body = json.dumps(data).encode()
            return status, ctype, body

    with Short(fake_tables, page_size=1_000) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "l", FAST)
        with pytest.raises(CbsIncompleteLoad, match="announced 13568 rows for the filter but 13565 arrived"):
            source.fetch(catalogue.table("bevolking"), batch_id="t")


def _with_properties(tables: list[FakeTable], table_id: str, **changes: object) -> list[FakeTable]:
    out = []
    for t in tables:
        if t.table_id == table_id:
            props = {**json.loads(t.raw["Properties"]), **changes}
            raw = {k: v for k, v in t.raw.items() if k != "Properties"}
            t = dataclasses.replace(t, raw=raw, entities={**t.entities, "Properties": props})
        out.append(t)
    return out


def test_discontinued_table(fake_tables: list[FakeTable], catalogue: CbsCatalogue, tmp_path: Path) -> None:
    with FakeCbsServer(_with_properties(fake_tables, "03759ned", Status="Gediscontinueerd")) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "l", FAST)
        with pytest.raises(CbsTableDiscontinued, match="03759ned: CBS reports this table as 'Gediscontinueerd'"):
            source.fetch(catalogue.table("bevolking"), batch_id="t")


def test_missing_measure_names_the_renamed_code(fake_tables: list[FakeTable], catalogue: CbsCatalogue,
                                                tmp_path: Path) -> None:
    spec = dataclasses.replace(catalogue.table("regionale_kerncijfers"),
                               measures={"M000308_5": "Banen", "M000200_2": "Vestigingen"})
    with FakeCbsServer(fake_tables) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "l", FAST)
        with pytest.raises(CbsMeasureMissing, match=r"M000308_5 \(the table now has M000308_3\)"):
            source.fetch(spec, batch_id="t")


@pytest.mark.parametrize("name,wrong,right", [("bevolking", "03759NED", "03759ned"),
                                              ("arbeidsdeelname_regionaal", "85969ned", "85969NED")])
def test_table_id_in_the_wrong_case(cbs_server: FakeCbsServer, live_source: CbsSource, catalogue: CbsCatalogue,
                                    name: str, wrong: str, right: str) -> None:
    spec = dataclasses.replace(catalogue.table(name), table_id=wrong)
    with pytest.raises(CbsTableIdCaseError, match=f"{wrong}: no such table, but CBS has '{right}'"):
        live_source.fetch(spec, batch_id="t")


def test_unknown_filter_code_is_named(cbs_server: FakeCbsServer, live_source: CbsSource,
                                      catalogue: CbsCatalogue) -> None:
    spec = dataclasses.replace(catalogue.table("bevolking"), filters={"Geslacht": ("T009999",)})
    with pytest.raises(CbsError, match="dimension Geslacht has no code\\(s\\) T009999"):
        live_source.fetch(spec, batch_id="t")


def test_capture_is_used_as_is() -> None:
    """The bundled 03759ned snapshot is the real capture, byte for byte."""
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "cbs_v4" / "03759ned"
    if not shared.exists():
        pytest.skip(f"../shared not present at {shared}")
    for f in shared.iterdir():
        assert (POPULATION / f.name).read_bytes() == f.read_bytes(), f.name


def _reference_measures() -> list:
    from ea_pipelines.cbs.readers import Measure
    from ea_pipelines.devtools.synthetic import REFERENCE_DIR

    raw = json.loads((REFERENCE_DIR / "70072ned" / "measure-codes.transcribed.json").read_bytes())["value"]
    return [Measure(m["Identifier"], m["Title"], m["Unit"], m["Decimals"], m["DataType"]) for m in raw]


@pytest.mark.parametrize("mutate", [lambda c: c + "x", lambda c: c.lower() + "_9", lambda c: c[:-1]])
def test_a_wrong_key_names_the_nearest_real_measures(mutate) -> None:
    """Over every third of the 248 real 70072ned measures (titles like "Naam" and "Code" included): a wrong key
    with the catalogue's title names the real measure among the nearest."""
    from ea_pipelines.cbs.fetch import nearest_measures

    measures = _reference_measures()
    missed = [m.code for m in measures[::3]
              if mutate(m.code) != m.code and m.code not in nearest_measures(mutate(m.code), m.title, measures)]
    assert missed == []


def test_a_wrong_v3_key_fails_naming_the_nearest(cbs_server: FakeCbsServer, live_source: CbsSource,
                                                 catalogue: CbsCatalogue) -> None:
    spec = dataclasses.replace(catalogue.table("arbeidsdeelname_regionaal"),
                               measures={"WerkzameBeroepsbevolking_7": "Werkzame beroepsbevolking (x 1 000)",
                                         "Werklozen_3": "Werkloze beroepsbevolking"})
    with pytest.raises(CbsMeasureMissing) as err:
        live_source.fetch(spec, batch_id="t")
    message = str(err.value)
    assert "WerkzameBeroepsbevolking_7 (the table now has WerkzameBeroepsbevolking_2)" in message
    assert "Werklozen_3; nearest: WerklozeBeroepsbevolking_3 'Werkloze beroepsbevolking'" in message

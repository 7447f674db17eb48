"""Editions and successors (issue 13, item 2): the catalogue names a chain or a search rule; the editions are
discovered from the CBS catalogue listing (v4 Datasets, v3 ODataCatalog/Tables) over HTTP from the fake
server, or offline from what the snapshot manifests recorded."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, CbsTable, load_cbs_catalogue
from ea_pipelines.cbs import editions as cbs_editions
from ea_pipelines.cbs.errors import CbsHostUnreachable
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.devtools.synthetic_editions import TITLE_PREFIX, SyntheticEdition, edition_entry, edition_table
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_SNAPSHOT_DIR
from ea_pipelines_tests.conftest import FAST

A = SyntheticEdition("95001NED", 2022, (2021, 2022), 100_000, "Gediscontinueerd")
B = SyntheticEdition("95002NED", 2023, (2021, 2022, 2023), 200_000, "Gediscontinueerd")
C = SyntheticEdition("95003NED", 2024, (2022, 2023, 2024), 300_000)


def catalogue_with(tmp_path: Path, **entry_extra: object) -> CbsTable:
    programme = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))["programme"]
    entry = edition_entry("v3", entry_extra.pop("table_id", A.table_id), **entry_extra)
    path = tmp_path / "cbs_tables.yaml"
    path.write_text(yaml.safe_dump({"programme": programme, "tables": [entry]}), encoding="utf-8")
    return load_cbs_catalogue(path).tables[0]


def dead_root() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# -- the catalogue entry --------------------------------------------------------------------------------


def test_the_real_entry_names_the_regional_labour_tables_successors() -> None:
    spec = load_cbs_catalogue(DEFAULT_CATALOGUE).table("arbeidsdeelname_regionaal")
    assert spec.editions == ("85969NED", "86111NED", "86276NED") and spec.has_editions
    assert spec.edition_title_prefix == "Arbeidsdeelname; binding arbeidsmarkt; regio (indeling"
    assert not load_cbs_catalogue(DEFAULT_CATALOGUE).table("bevolking").has_editions


def test_editions_and_successors_are_two_spellings_of_one_chain(tmp_path: Path) -> None:
    assert catalogue_with(tmp_path, successors=[B.table_id, C.table_id]).editions == (A.table_id, B.table_id,
                                                                                     C.table_id)
    assert catalogue_with(tmp_path, table_id=B.table_id,
                          editions=[A.table_id, B.table_id, C.table_id]).editions == (A.table_id, B.table_id,
                                                                                      C.table_id)


@pytest.mark.parametrize(("extra", "message"), [
    ({"editions": ["95002NED", "95003NED"]}, "must include the entry's table_id"),
    ({"successors": ["95002NED", "95002NED"]}, "listed twice"),
    ({"successors": ["95002NED"], "editions": ["95001NED", "95002NED"]}, "not both"),
    ({"successors": []}, "non-empty list"),
    ({"successors": ["../etc"]}, "edition table_id"),
    ({"edition_search": {"title": "x"}}, "title_prefix"),
    ({"edition_search": {"title_prefix": "it's"}}, "quote"),
])
def test_a_wrong_chain_is_refused_naming_the_entry(tmp_path: Path, extra: dict, message: str) -> None:
    with pytest.raises(CatalogueError, match="edities") as err:
        catalogue_with(tmp_path, **extra)
    assert message in str(err.value)


def test_one_table_cannot_be_an_edition_of_two_entries(tmp_path: Path) -> None:
    programme = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))["programme"]
    first = edition_entry("v3", A.table_id, successors=[B.table_id])
    second = {**edition_entry("v3", C.table_id, successors=[B.table_id]), "name": "andere"}
    path = tmp_path / "cbs_tables.yaml"
    path.write_text(yaml.safe_dump({"programme": programme, "tables": [first, second]}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="95002NED is an edition of both 'edities' and 'andere'"):
        load_cbs_catalogue(path)


# -- discovery from the CBS catalogue listing ------------------------------------------------------------


@pytest.mark.parametrize("api", ["v4", "v3"])
def test_the_listing_gives_each_editions_status_and_the_newest(api: str, tmp_path: Path) -> None:
    spec = catalogue_with(tmp_path, successors=[B.table_id, C.table_id])
    spec = spec if api == "v3" else load_as(spec, api)
    with FakeCbsServer([edition_table(api, e) for e in (A, B, C)]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path / "snap", tmp_path / "land", FAST)
        found = source.editions(spec)
        asked = [r for r in server.requests if "Datasets" in r or "ODataCatalog" in r]
    assert found.ids == (A.table_id, B.table_id, C.table_id) and found.newest.table_id == C.table_id
    assert [e.status for e in found.editions] == ["Gediscontinueerd", "Gediscontinueerd", "Regulier"]
    assert [e.title for e in found.editions] == [A.title, B.title, C.title]
    assert len(asked) == 1  # one bounded request for the whole entry
    assert (("/ODataCatalog/Tables?" if api == "v3" else "/odata/v1/CBS/Datasets?") in asked[0])
    warnings = found.warnings()
    assert any(w.startswith(f"{A.table_id} is 'Gediscontinueerd' at CBS; its successor is {B.table_id} and the "
                            f"newest edition is {C.table_id}") for w in warnings)
    assert found.successor_of(A.table_id) == B.table_id and found.successor_of(C.table_id) is None


def load_as(spec: CbsTable, api: str) -> CbsTable:
    import dataclasses

    return dataclasses.replace(spec, api=api)


def test_the_search_rule_finds_an_edition_the_entry_does_not_name_and_orders_it(tmp_path: Path) -> None:
    spec = catalogue_with(tmp_path, successors=[B.table_id], edition_search={"title_prefix": TITLE_PREFIX})
    other = SyntheticEdition("95000NED", 2021, (2021,), 0)  # an older edition, found by its title too
    with FakeCbsServer([edition_table("v3", e) for e in (other, A, B, C)]) as server:
        found = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path, FAST).editions(spec)
    assert found.ids == ("95000NED", A.table_id, B.table_id, C.table_id)
    assert [e.configured for e in found.editions] == [False, True, True, False]
    assert any("not named in the catalogue entry: 95000NED, 95003NED" in w for w in found.warnings())


def test_a_newest_edition_that_is_discontinued_asks_for_its_successor(tmp_path: Path) -> None:
    spec = catalogue_with(tmp_path, successors=[B.table_id])
    with FakeCbsServer([edition_table("v3", e) for e in (A, B)]) as server:
        found = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path, FAST).editions(spec)
    assert any(w.startswith(f"the newest known edition {B.table_id} is 'Gediscontinueerd' at CBS and no successor")
               for w in found.warnings())


def test_an_unusable_listing_falls_back_to_the_configured_chain(tmp_path: Path) -> None:
    spec = catalogue_with(tmp_path, successors=[B.table_id, C.table_id])
    with FakeCbsServer([edition_table("v3", e) for e in (A, B, C)]) as server:
        server.tamper("ODataCatalog", lambda path, params, body: b'{"value": "no list"}')
        found = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path, FAST).editions(spec)
    assert found.ids == (A.table_id, B.table_id, C.table_id)
    assert all(e.status == "" for e in found.editions)
    assert found.origin.startswith("catalogue entry (CBS catalogue listing failed")


# -- offline: what the snapshot manifests recorded ------------------------------------------------------------


def test_replay_reads_the_editions_the_manifest_recorded_without_network(tmp_path: Path) -> None:
    spec = load_cbs_catalogue(DEFAULT_CATALOGUE).table("arbeidsdeelname_regionaal")
    root = dead_root()  # nothing listens: any request would fail
    source = CbsSource("replay", root + "/odata/v1/CBS", root + "/ODataFeed/odata", DEFAULT_SNAPSHOT_DIR, tmp_path)
    found = source.editions(spec)
    assert found.ids == ("85969NED", "86111NED", "86276NED")
    assert found.origin == f"snapshot manifest {DEFAULT_SNAPSHOT_DIR / '85969NED' / 'manifest.json'}"
    recorded = json.loads((DEFAULT_SNAPSHOT_DIR / "85969NED" / "manifest.json").read_text())["editions"]
    assert [r["Identifier"] for r in recorded] == list(found.ids)
    assert source.has_snapshot("85969NED") and not source.has_snapshot("86276NED")


def test_auto_falls_back_to_the_manifests_when_cbs_is_unreachable_and_live_fails(tmp_path: Path) -> None:
    spec = load_cbs_catalogue(DEFAULT_CATALOGUE).table("arbeidsdeelname_regionaal")
    root = dead_root()
    auto = CbsSource("auto", root + "/odata/v1/CBS", root + "/ODataFeed/odata", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    assert auto.editions(spec).origin.startswith("snapshot manifest")
    live = CbsSource("live", root + "/odata/v1/CBS", root + "/ODataFeed/odata", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    with pytest.raises(CbsHostUnreachable):
        live.editions(spec)


def test_without_recorded_editions_replay_uses_the_configured_chain(tmp_path: Path) -> None:
    spec = catalogue_with(tmp_path, successors=[B.table_id])
    found = cbs_editions.from_manifests(spec, tmp_path / "no-snapshots")
    assert found.ids == (A.table_id, B.table_id) and found.origin.startswith("catalogue entry")


def test_the_fake_listing_serves_rows_shaped_like_the_tables_own_metadata(tmp_path: Path) -> None:
    import requests

    with FakeCbsServer([edition_table("v3", A), edition_table("v4", C)]) as server:
        v3 = requests.get(f"{server.root}/ODataCatalog/Tables", params={"$format": "json"}, timeout=5).json()
        v4 = requests.get(f"{server.v4_url}/Datasets", params={"$select": "Identifier,Status"}, timeout=5).json()
    [row] = v3["value"]
    assert {"ID", "Identifier", "Title", "Summary", "Modified", "MetaDataModified", "OutputStatus", "Frequency",
            "Period", "RecordCount", "ApiUrl", "FeedUrl"} <= set(row)
    assert (row["Identifier"], row["OutputStatus"], row["Period"]) == (A.table_id, "Gediscontinueerd", "2021 - 2022")
    assert v3["odata.metadata"].endswith("/ODataCatalog/$metadata#Tables")
    assert v4["value"] == [{"Identifier": C.table_id, "Status": "Regulier"}]
    assert v4["@odata.context"].endswith("/odata/v1/CBS/$metadata#Datasets")

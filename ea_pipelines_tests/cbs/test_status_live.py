"""Statuses loaded live from the fake CBS server, which serves 70072ned with its real metadata (null period Status,
the real Descriptions, the measures' MeasureGroupId; MeasureGroups inferred): no figure is definitief for a topic
its period's Description names as provisional, through staging and into marts.fact_indicator_value. And the same
rules for a v3 table (TopicGroup parents)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.cbs import CbsCatalogue, load_cbs_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.cbs.status import (
    DEFINITIEF,
    NADER_VOORLOPIG,
    ONBEKEND,
    VOORLOPIG,
    MeasureGroup,
    measure_path,
    parse_notice,
)
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.devtools.shapes import Shape, shape_entry, shape_table
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.sqlmodels.test_marts import MODELS, failed_tests


def _served(fake_tables: list[FakeTable], table_id: str) -> FakeTable:
    return next(t for t in fake_tables if t.table_id == table_id)


def _named(table: FakeTable) -> dict[tuple[str, str], set[str]]:
    """(period, measure) -> the statuses its period's Description gives to a topic whose title is on the measure's
    group path (the last segment of the topic: a superset of what the rules match, so a test of "never
    definitief" over it cannot pass by matching too little)."""
    groups = {g["Id"]: MeasureGroup(g["Id"], g["Title"], g["ParentId"])
              for g in table.entities["MeasureGroups"]["value"]}
    paths = {m["Identifier"]: measure_path(m["Title"], m["MeasureGroupId"], groups)
             for m in table.entities["MeasureCodes"]["value"]}
    out: dict[tuple[str, str], set[str]] = {}
    for p in table.entities["PeriodenCodes"]["value"]:
        for st, topic in parse_notice(p["Description"]).topics:
            for code, path in paths.items():
                if topic[-1] in path:
                    out.setdefault((p["Identifier"], code), set()).add(st)
    return out


def test_70072ned_live_no_figure_of_a_provisional_topic_is_definitief(
        cbs_server: FakeCbsServer, live_source: CbsSource, catalogue: CbsCatalogue,
        fake_tables: list[FakeTable]) -> None:
    spec = catalogue.table("regionale_kerncijfers")
    obs = live_source.fetch(spec, batch_id="t").data.observations
    assert any("/MeasureGroups" in r for r in cbs_server.requests)  # read because the statuses need them
    assert obs.period_status.isna().all() and obs.status.notna().all()
    named = _named(_served(fake_tables, "70072ned"))
    flagged = obs[[(p, m) in named for p, m in zip(obs.period_code, obs.measure_code, strict=True)]]
    assert len(flagged) > 0 and DEFINITIEF not in set(flagged.status)
    got = obs.groupby(["period_code", "measure_code"]).status.agg(set).to_dict()
    assert got[("2024JJ00", "M000200_2")] == {VOORLOPIG}  # Bedrijfsvestigingen
    assert got[("2026JJ00", "M000200_2")] == {VOORLOPIG}
    assert got[("2024JJ00", "X033647")] == got[("2024JJ00", "90210_3")] == {NADER_VOORLOPIG}  # Sociale zekerheid
    assert got[("2025JJ00", "90210_3")] == {VOORLOPIG}
    assert got[("2022JJ00", "M000308_3")] == {NADER_VOORLOPIG}  # "banen van werknemers"
    assert got[("2020JJ00", "X033647")] == {NADER_VOORLOPIG}  # "uitkeringsontvangers"
    # not named, and every named topic is a group of the table: definitief, as the table's description says
    assert got[("2024JJ00", "M000308_3")] == got[("2019JJ00", "M000200_2")] == {DEFINITIEF}
    # 2021 names "gediplomeerden naar woongemeente", which is no group of the table: the rest is unknown
    assert got[("2021JJ00", "M000200_2")] == got[("2021JJ00", "M000308_3")] == {ONBEKEND}


def test_70072ned_live_into_the_facts(cbs_server: FakeCbsServer, live_source: CbsSource, catalogue: CbsCatalogue,
                                      wh: Warehouse, fake_tables: list[FakeTable]) -> None:
    for name in ("bevolking", "regionale_kerncijfers"):
        assert load_cbs_table(catalogue.table(name), live_source, wh, batch_id="b1").status == "published"
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        facts = pd.read_sql(sa.text("SELECT indicator_code, region_code, period_code, status "
                                    "FROM marts.fact_indicator_value"), conn)
    numerator = {"bijstand_per_10000": "90210_3", "vestigingen_per_1000": "M000200_2", "banen": "M000308_3"}
    named = _named(_served(fake_tables, "70072ned"))
    checked = 0
    for code, measure in numerator.items():
        rows = facts[facts.indicator_code == code]
        assert len(rows) > 0, code
        for period, st in zip(rows.period_code, rows.status, strict=True):
            if (period, measure) in named:
                assert st != DEFINITIEF, (code, period)
                checked += 1
    assert checked > 0
    almelo = facts[(facts.region_code == "GM0141")].set_index(["indicator_code", "period_code"]).status
    assert almelo[("vestigingen_per_1000", "2024JJ00")] == VOORLOPIG
    assert almelo[("bijstand_per_10000", "2024JJ00")] == NADER_VOORLOPIG
    assert almelo[("banen", "2021JJ00")] == ONBEKEND
    assert set(facts.status) <= {DEFINITIEF, VOORLOPIG, NADER_VOORLOPIG, ONBEKEND}


def _v3_with_topic_groups(descriptions: dict[str, str | None], status: str | None) -> FakeTable:
    """A v3 shape whose first measure sits in TopicGroup "Werk" > "Banen" and the second in "Inkomen", its periods
    with ``status`` and the given Descriptions."""
    table = shape_table(Shape("v3", regions=True, extra_dims=0, filtered=0, periods=("JJ",), attributes=False,
                              number=95))
    entities = copy.deepcopy(table.entities)
    props = entities["DataProperties"]["value"]
    topics = [p for p in props if p["Type"] == "Topic"]
    base = max(p["ID"] for p in props) + 1
    props += [{"odata.type": "Cbs.OData.TopicGroup", "ID": base, "Position": base, "ParentID": None,
               "Type": "TopicGroup", "Key": "", "Title": "Werk", "Description": ""},
              {"odata.type": "Cbs.OData.TopicGroup", "ID": base + 1, "Position": base + 1, "ParentID": base,
               "Type": "TopicGroup", "Key": "", "Title": "Banen", "Description": ""},
              {"odata.type": "Cbs.OData.TopicGroup", "ID": base + 2, "Position": base + 2, "ParentID": None,
               "Type": "TopicGroup", "Key": "", "Title": "Inkomen", "Description": ""}]
    topics[0]["ParentID"], topics[1]["ParentID"] = base + 1, base + 2
    for p in entities["Perioden"]["value"]:
        p["Status"], p["Description"] = status, descriptions.get(p["Key"])
    entities["TableInfos"]["value"][0]["Description"] = (
        "De cijfers in deze tabel zijn definitief tenzij is aangegeven dat ze voorlopig zijn.")
    return dataclasses.replace(table, entities=entities)


def _v3_statuses(table: FakeTable, tmp_path: Path) -> dict[tuple[str, str], set[str]]:
    path = tmp_path / "cat.yaml"
    entry = shape_entry(Shape("v3", regions=True, extra_dims=0, filtered=0, periods=("JJ",), attributes=False,
                              number=95))
    path.write_text(yaml.safe_dump({"programme": {
        "municipality": {"code": "GM0164", "name": "Hengelo"},
        "peer_group": {"name": "Twente", "corop": "CR12", "municipalities": ["GM0164", "GM0153"]},
        "province": "PV23", "country": "NL01"}, "tables": [entry]}))
    spec = load_cbs_catalogue(path).tables[0]
    with FakeCbsServer([table]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "landing", FAST)
        obs = source.fetch(spec, batch_id="t").data.observations
    return obs.groupby(["period_code", "measure_code"]).status.agg(set).to_dict()


def test_v3_topic_groups_name_the_provisional_figures(tmp_path: Path) -> None:
    table = _v3_with_topic_groups({"2023JJ00": "Uitkomsten zijn voorlopig over:\r\n- banen;",
                                   "2024JJ00": "Uitkomsten zijn nader voorlopig over: Werk - Banen\r\n\r\n"
                                               "Uitkomsten zijn voorlopig over: Inkomen",
                                   "2022JJ00": "Uitkomsten zijn voorlopig over:\r\nOnbekend onderwerp"}, None)
    got = _v3_statuses(table, tmp_path)
    assert got[("2023JJ00", "Aantal_1")] == {VOORLOPIG} and got[("2023JJ00", "Aandeel_2")] == {DEFINITIEF}
    assert got[("2024JJ00", "Aantal_1")] == {NADER_VOORLOPIG} and got[("2024JJ00", "Aandeel_2")] == {VOORLOPIG}
    assert got[("2022JJ00", "Aantal_1")] == got[("2022JJ00", "Aandeel_2")] == {ONBEKEND}
    assert got[("2021JJ00", "Aantal_1")] == {DEFINITIEF}


def test_v3_period_status_holds_for_every_figure(tmp_path: Path) -> None:
    got = _v3_statuses(_v3_with_topic_groups({"2023JJ00": "Uitkomsten zijn voorlopig over: Banen"}, "Definitief"),
                       tmp_path)
    assert set().union(*got.values()) == {DEFINITIEF}

"""The region dimension by what it is: a GeoDimension, the identifier RegioS whatever its Kind (real 85792NED:
Kind "Dimension", DataType "Float"), codes that are CBS region codes, or the catalogue's region_dimension. A
regions filter on a table without one is refused naming the entry. Loaded live from the fake server, v4 and v3."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, CbsTable, load_cbs_catalogue
from ea_pipelines.cbs.errors import CbsError
from ea_pipelines.cbs.readers import Measure
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.devtools.shapes import REGIONS, Shape, shape_entry, shape_table
from ea_pipelines_tests.conftest import FAST

PROGRAMME = {"municipality": {"code": "GM0164", "name": "Hengelo"},
             "peer_group": {"name": "Twente", "corop": "CR12", "municipalities": ["GM0164", "GM0153"]},
             "province": "PV23", "country": "NL01"}


def _shape(api: str, regions: bool = True) -> Shape:
    return Shape(api, regions=regions, extra_dims=1, filtered=1, periods=("JJ",), attributes=False,
                 number=96 if api == "v4" else 97)


def _retype(table: FakeTable, *, kind: str = "Dimension", rename: str | None = None,
            datatype: str | None = "Float", extra_code: str | None = None) -> FakeTable:
    """``table`` with its RegioS typed ``kind`` (v4 Kind / v3 Type), maybe renamed, its numeric measures typed
    ``datatype``, and maybe one code more that is no region code."""
    e: dict[str, Any] = copy.deepcopy(table.entities)
    rows = copy.deepcopy(table.rows)
    new = rename or "RegioS"
    v4 = table.api == "v4"
    dims = e["Dimensions"]["value"] if v4 else e["DataProperties"]["value"]
    for d in dims:
        if d.get("Identifier", d.get("Key")) == "RegioS":
            d.update({"Kind": kind, "@odata.type": f"#Cbs.Ccb.Models.{kind}", "Identifier": new} if v4 else
                     {"Type": kind, "odata.type": f"Cbs.OData.{kind}", "Key": new})
        if not v4 and d.get("Type") == "Topic" and datatype and d.get("Datatype") != "String":
            d["Datatype"] = datatype
    if v4 and datatype:
        for m in e["MeasureCodes"]["value"]:
            if m["DataType"] != "String":
                m["DataType"] = datatype
    codes = e.pop("RegioSCodes" if v4 else "RegioS")
    if extra_code:
        codes["value"].append({"Identifier": extra_code, "Title": "Totaal", "Description": ""} if v4 else
                              {"Key": extra_code.ljust(10), "Title": "Totaal", "Description": None})
    e[f"{new}Codes" if v4 else new] = codes
    for r in rows:
        r[new] = r.pop("RegioS")
    return dataclasses.replace(table, entities=e, rows=rows)


def _spec(tmp_path: Path, api: str, with_regions: bool = True, **changes: Any) -> CbsTable:
    entry = shape_entry(_shape(api, with_regions))
    entry.update(changes)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"programme": PROGRAMME, "defaults": {"regions": "programme"},
                                    "tables": [entry]}))
    return load_cbs_catalogue(path).tables[0]


def _fetch(table: FakeTable, spec: CbsTable, tmp_path: Path):
    with FakeCbsServer([table]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "landing", FAST)
        return source.fetch(spec, batch_id="t").data


CASES = list(itertools.product(("v4", "v3"), ("Dimension", "GeoDimension"), ("Float", "Double", "Long", "Integer")))


@pytest.mark.parametrize("api,kind,datatype", CASES)
def test_regios_is_the_region_dimension_whatever_its_kind(tmp_path: Path, api: str, kind: str,
                                                          datatype: str) -> None:
    table = _retype(shape_table(_shape(api)), kind=kind, datatype=datatype)
    spec = _spec(tmp_path, api, regions={"prefixes": ["NL", "PV"]})
    data = _fetch(table, spec, tmp_path)
    obs = data.observations
    assert set(obs.region_code) == {c for c in REGIONS if c[:2] in ("NL", "PV")}  # the filter was applied
    assert all("RegioS" not in d for d in obs.other_dimensions)
    assert obs.value.notna().any() and obs.value_text.isna().all()  # every numeric data type is a number
    assert set(data.regions.region_code) == set(obs.region_code)


@pytest.mark.parametrize("api", ["v4", "v3"])
def test_a_dimension_of_region_codes_is_the_region_dimension(tmp_path: Path, api: str) -> None:
    table = _retype(shape_table(_shape(api)), rename="Gemeenten")
    data = _fetch(table, _spec(tmp_path, api, regions={"prefixes": ["GM"]}), tmp_path)
    assert set(data.observations.region_code) == {c for c in REGIONS if c.startswith("GM")}


@pytest.mark.parametrize("api", ["v4", "v3"])
def test_the_catalogue_names_a_region_dimension_with_other_codes(tmp_path: Path, api: str) -> None:
    table = _retype(shape_table(_shape(api)), rename="Woonregio", extra_code="T001")
    with pytest.raises(CbsError, match="catalogue entry 'shape_9[67]' selects regions, but the table has no region"):
        _fetch(table, _spec(tmp_path, api, regions={"prefixes": ["GM"]}), tmp_path)
    spec = _spec(tmp_path, api, regions={"prefixes": ["GM"]}, region_dimension="Woonregio")
    data = _fetch(table, spec, tmp_path)
    assert set(data.observations.region_code) == {c for c in REGIONS if c.startswith("GM")}


@pytest.mark.parametrize("api", ["v4", "v3"])
def test_a_regions_filter_on_a_national_table_is_refused_naming_the_entry(tmp_path: Path, api: str) -> None:
    table = shape_table(_shape(api, regions=False))
    with pytest.raises(CbsError, match=r"catalogue entry 'shape_9[67]' selects regions.*no region dimension"):
        _fetch(table, _spec(tmp_path, api, False, regions={"prefixes": ["NL"]}), tmp_path)
    data = _fetch(table, _spec(tmp_path, api, with_regions=False), tmp_path)  # the defaults' regions: not the entry's
    assert data.observations.region_code.isna().all()


def test_a_named_region_dimension_the_table_lacks_is_refused(tmp_path: Path) -> None:
    table = shape_table(_shape("v4"))
    with pytest.raises(CbsError, match="names region_dimension 'Regio', which the table does not have"):
        _fetch(table, _spec(tmp_path, "v4", region_dimension="Regio"), tmp_path)


@pytest.mark.parametrize("value,message", [("Regio's", "region_dimension"), ("Geslacht", "also under filters")])
def test_region_dimension_is_checked_when_the_catalogue_is_loaded(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        _spec(tmp_path, "v4", region_dimension=value)


@pytest.mark.parametrize("datatype,text", [("Float", False), ("Double", False), ("Long", False), ("Integer", False),
                                           ("Decimal", False), ("String", True), (" string ", True)])
def test_numeric_data_types_are_numbers(datatype: str, text: bool) -> None:
    assert Measure("M", "m", None, None, datatype).is_text is text

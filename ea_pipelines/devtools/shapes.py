"""CBS tables of every shape for the fake server, each with the catalogue entry that loads it.

A :class:`Shape` says which dimensions a table has (a region dimension or not, 0-3 further dimensions
of which some are filtered in the catalogue entry), which period types it mixes (yearly, quarterly,
monthly), whether some values are missing with a value attribute (StatLine's "x" and "."), and which
API serves it (v4 long rows, or the v3 feed with wide rows and space-padded keys). :func:`shape_table`
builds the table in that API's exact response format; :func:`shape_entry` the catalogue entry a user
would write for it. :func:`inject` breaks a table the way a bad upstream version would.

All values are ILLUSTRATIVE (generated, not CBS figures); the tables say SYNTHETIC in their descriptions.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

from ea_pipelines.devtools.fake_cbs_server import FakeTable

#: further dimensions: id -> codes (v3 pads keys to the width CBS uses for that dimension)
EXTRA_DIMS: dict[str, tuple[str, ...]] = {
    "Geslacht": ("T001038", "3000", "4000"),
    "Leeftijd": ("10000", "52020", "53105"),
    "BedrijfstakkenBranchesSBI2008": ("T001081", "300003", "350000"),
}
#: the codes a filtered dimension keeps: the first filter keeps one code, the second several, ...
FILTER_KEEPS = ((0,), (0, 1), (0, 2))
#: served regions; the catalogue entry selects GM, PV and NL, so CR12 is served but not fetched
REGIONS = {"GM0164": "Hengelo", "GM0153": "Enschede", "GM0363": "Amsterdam", "CR12": "Twente (CR)",
           "PV23": "Overijssel", "NL01": "Nederland"}
REGION_PREFIXES = ("GM", "PV", "NL")
PERIODS = {
    "JJ": [f"{y}JJ00" for y in range(2021, 2025)],
    "KW": [f"{y}KW0{q}" for y in (2023, 2024) for q in range(1, 5)],
    "MM": [f"2024MM{m:02d}" for m in range(1, 13)],
}
PERIOD_TITLES = {"JJ": "{y}", "KW": "{y} {n}e kwartaal", "MM": "{y} maand {n}"}
#: measures: (v4 identifier, v3 key, title, unit, decimals, (min, max))
MEASURES = (("M001234", "Aantal_1", "Aantal", "aantal", 0, (0, None)),
            ("M005678_2", "Aandeel_2", "Aandeel", "%", 1, (0, 100)))
#: the text-valued measure of a shape with ``text`` (v4 DataType/v3 Datatype "String"; v4 sends StringValue)
TEXT_MEASURE = ("M009999", "Toelichting_3", "Toelichting", None, 0, (None, None))
#: v4 value attributes of a missing value (StatLine's "." and "x", and an impossible cell)
ATTRIBUTES = ("Missing", "Confidential", "Impossible")
PERIOD_MIXES = (("JJ",), ("JJ", "KW"), ("JJ", "MM"), ("JJ", "KW", "MM"))
DEFECTS = ("duplicate_row", "unknown_region", "future_period", "out_of_range", "missing_measure")
MODIFIED = "2026-10-01T02:00:00+02:00"


@dataclass(frozen=True)
class Shape:
    api: str  # v4 or v3
    regions: bool
    extra_dims: int  # 0-3 further dimensions
    filtered: int  # how many of them the catalogue entry filters (the others are kept in other_dimensions)
    periods: tuple[str, ...]  # period types: JJ, KW, MM
    attributes: bool  # some values missing, with a value attribute (v4) or null (v3)
    number: int = 0
    text: bool = False  # a text-valued measure besides the numeric ones

    @property
    def measures(self) -> tuple[tuple[Any, ...], ...]:
        return (*MEASURES, TEXT_MEASURE) if self.text else MEASURES

    @property
    def table_id(self) -> str:
        return f"9{self.number:04d}" + ("ned" if self.api == "v4" else "NED")

    @property
    def name(self) -> str:
        return f"shape_{self.number:02d}"

    @property
    def dims(self) -> list[str]:
        return list(EXTRA_DIMS)[: self.extra_dims]

    def describe(self) -> str:
        kept = self.extra_dims - self.filtered
        return (f"{self.api}, {'regions' if self.regions else 'national'}, {self.filtered} filtered + {kept} kept "
                f"dimension(s), periods {'+'.join(self.periods)}{', missing values' if self.attributes else ''}"
                f"{', a text measure' if self.text else ''}")

    def kept_codes(self, dim: str) -> tuple[str, ...]:
        """The codes of ``dim`` the catalogue entry fetches."""
        i = self.dims.index(dim)
        codes = EXTRA_DIMS[dim]
        return tuple(codes[k] for k in FILTER_KEEPS[i]) if i < self.filtered else codes

    @property
    def expected_rows(self) -> int:
        """Observations the catalogue entry fetches: measures x regions x periods x kept dimension codes."""
        regions = sum(1 for c in REGIONS if c.startswith(REGION_PREFIXES)) if self.regions else 1
        periods = sum(len(PERIODS[p]) for p in self.periods)
        combos = 1
        for dim in self.dims:
            combos *= len(self.kept_codes(dim))
        return len(self.measures) * regions * periods * combos

    def defects(self) -> list[str]:
        """The defects that apply to this shape (no region to make unknown in a national table; a v3 row
        holds every measure, so a measure cannot go missing from it)."""
        return [d for d in DEFECTS if not (d == "unknown_region" and not self.regions)
                and not (d == "missing_measure" and self.api == "v3")]


def all_shapes() -> list[Shape]:
    """64 shapes: v4/v3 x with/without regions x 0-3 further dimensions x 4 period mixes; how many dimensions
    are filtered and whether values are missing vary along."""
    out = []
    for number, (api, regions, extra, periods) in enumerate(itertools.product(
            ("v4", "v3"), (True, False), range(4), PERIOD_MIXES)):
        out.append(Shape(api, regions, extra, filtered=number % (extra + 1), periods=periods,
                         attributes=number % 2 == 0, number=number, text=number % 3 == 1))
    return out


def _value(shape: Shape, m: int, i: int) -> float | int | str:
    """An illustrative value: counts as integers, shares between 0 and 100, the text measure a remark."""
    if m == len(MEASURES):
        return text_value(i)
    return 1000 + 7 * i if m == 0 else round((13 * i) % 1000 / 10, 1)


def text_value(i: int) -> str:
    """The text of observation ``i`` of a text-valued measure (StatLine shows such remarks as they are)."""
    return ("geen wijziging", "nieuw ingedeeld", "voorlopige indeling")[(i // 3) % 3]


def _cells(shape: Shape) -> list[tuple[str | None, str, dict[str, str]]]:
    """(region, period, further dimension codes) of every served row."""
    regions: list[str | None] = list(REGIONS) if shape.regions else [None]
    periods = [p for kind in shape.periods for p in PERIODS[kind]]
    combos = list(itertools.product(*(EXTRA_DIMS[d] for d in shape.dims)))
    return [(r, p, dict(zip(shape.dims, combo, strict=True)))
            for r in regions for p in periods for combo in combos]


def _missing(shape: Shape, i: int) -> str | None:
    """The value attribute of observation ``i`` when its value is missing, else None."""
    return ATTRIBUTES[(i // 11) % len(ATTRIBUTES)] if shape.attributes and i % 11 in (4, 5) else None


def _period_title(code: str) -> str:
    kind, year, n = code[4:6], code[:4], int(code[6:8])
    return PERIOD_TITLES[kind].format(y=year, n=n)


def shape_table(shape: Shape) -> FakeTable:
    return _v4(shape) if shape.api == "v4" else _v3(shape)


def _v4(shape: Shape) -> FakeTable:
    base = f"https://datasets.cbs.nl/odata/v1/CBS/{shape.table_id}"
    ctx = f"{base}/$metadata#"

    def dim(identifier: str, kind: str, typ: str) -> dict[str, Any]:
        return {"@odata.type": f"#Cbs.Ccb.Models.{typ}", "Identifier": identifier, "Title": identifier,
                "Description": "", "Kind": kind, "ContainsGroups": False, "ContainsCodes": True,
                "CodesUrl": f"{base}/{identifier}Codes", "GroupsUrl": None}

    dims = [dim(d, "Dimension", "Dimension") for d in shape.dims]
    if shape.regions:
        dims.append(dim("RegioS", "GeoDimension", "GeoDimension"))
    dims.append(dim("Perioden", "TimeDimension", "TimeDimension"))
    periods = [p for kind in shape.periods for p in PERIODS[kind]]
    entities: dict[str, Any] = {
        "Properties": {"@odata.context": ctx + "Properties", "Identifier": shape.table_id,
                       "Title": f"Vormtabel {shape.number}: {shape.describe()}",
                       "Description": "SYNTHETIC test table for ea-pipelines: illustrative values.",
                       "Language": "nl", "Modified": MODIFIED, "Frequency": "Per maand", "Status": "Regulier",
                       "DatasetType": "Numeric", "ObservationCount": 0, "Source": "CBS."},
        "Dimensions": {"@odata.context": ctx + "Dimensions", "value": dims},
        "MeasureCodes": {"@odata.context": ctx + "MeasureCodes", "value": [
            {"Identifier": ident, "Index": i, "Title": title, "Description": "", "MeasureGroupId": None,
             "DataType": _datatype(unit, decimals), "Unit": unit, "Decimals": decimals,
             "PresentationType": "Absolute"} for i, (ident, _, title, unit, decimals, _) in enumerate(shape.measures)]},
        "PeriodenCodes": {"@odata.context": ctx + "PeriodenCodes", "value": [
            {"Identifier": p, "Index": i, "Title": _period_title(p), "Description": "", "DimensionGroupId": None,
             "Status": "Definitief"} for i, p in enumerate(periods)]},
    }
    if shape.regions:
        entities["RegioSCodes"] = {"@odata.context": ctx + "RegioSCodes", "value": [
            {"Identifier": c, "Index": i, "Title": t, "Description": "", "DimensionGroupId": c[:2]}
            for i, (c, t) in enumerate(REGIONS.items())]}
    for d in shape.dims:
        entities[f"{d}Codes"] = {"@odata.context": ctx + f"{d}Codes", "value": [
            {"Identifier": c, "Index": i, "Title": f"{d} {c}", "Description": "", "DimensionGroupId": None}
            for i, c in enumerate(EXTRA_DIMS[d])]}
    rows = []
    for region, period, others in _cells(shape):
        for m, (ident, *_rest) in enumerate(shape.measures):
            i = len(rows)
            text = m == len(MEASURES)
            attribute = None if text else _missing(shape, i)
            row: dict[str, Any] = {"Id": i, "Measure": ident, "ValueAttribute": attribute or "None",
                                   "Value": None if attribute or text else _value(shape, m, i),
                                   "StringValue": _value(shape, m, i) if text else None}
            row.update(others)
            if region is not None:
                row["RegioS"] = region
            row["Perioden"] = period
            rows.append(row)
    entities["Properties"]["ObservationCount"] = len(rows)
    return FakeTable("v4", shape.table_id, entities, rows)


def _datatype(unit: str | None, decimals: int) -> str:
    return "String" if unit is None else "Long" if decimals == 0 else "Double"


def _pad(code: str, width: int = 10) -> str:
    return code.ljust(width)


def _v3(shape: Shape) -> FakeTable:
    meta = f"https://opendata.cbs.nl/ODataFeed/odata/{shape.table_id}/$metadata#Cbs.OData.WebAPI."
    props: list[dict[str, Any]] = []
    for d in shape.dims:
        props.append({"odata.type": "Cbs.OData.Dimension", "Type": "Dimension", "Key": d, "Title": d})
    if shape.regions:
        props.append({"odata.type": "Cbs.OData.GeoDimension", "Type": "GeoDimension", "Key": "RegioS",
                      "Title": "Regio's", "MapYear": 2024, "ReleasePolicy": False})
    props.append({"odata.type": "Cbs.OData.TimeDimension", "Type": "TimeDimension", "Key": "Perioden",
                  "Title": "Perioden", "ReleasePolicy": True})
    for _, key, title, unit, decimals, _ in shape.measures:
        props.append({"odata.type": "Cbs.OData.Topic", "Type": "Topic", "Key": key, "Title": title,
                      "Datatype": _datatype(unit, decimals), "Unit": unit, "Decimals": decimals,
                      "Default": "Impossible"})
    for i, p in enumerate(props):
        p.update({"ID": i, "Position": i, "ParentID": None, "Description": "", "Default": p.get("Default", "None")})
    periods = [p for kind in shape.periods for p in PERIODS[kind]]
    entities: dict[str, Any] = {
        "TableInfos": {"odata.metadata": meta + "TableInfos", "value": [{
            "ID": 0, "Title": f"Vormtabel {shape.number}: {shape.describe()}", "Identifier": shape.table_id,
            "Summary": "SYNTHETIC test table for ea-pipelines: illustrative values.", "Modified": MODIFIED[:19],
            "MetaDataModified": MODIFIED[:19], "OutputStatus": "Regulier", "Frequency": "Perkwartaal",
            "Language": "nl", "Catalog": "CBS", "RecordCount": 0, "ColumnCount": len(props)}]},
        "DataProperties": {"odata.metadata": meta + "DataProperties", "value": props},
        "Perioden": {"odata.metadata": meta + "Perioden", "value": [
            {"Key": p, "Title": _period_title(p), "Description": None, "Status": "Definitief"} for p in periods]},
    }
    if shape.regions:
        entities["RegioS"] = {"odata.metadata": meta + "RegioS", "value": [
            {"Key": _pad(c), "Title": t, "Description": None, "CategoryGroupID": None} for c, t in REGIONS.items()]}
    for d in shape.dims:
        entities[d] = {"odata.metadata": meta + d, "value": [
            {"Key": _pad(c, 8), "Title": f"{d} {c}", "Description": None, "CategoryGroupID": None}
            for c in EXTRA_DIMS[d]]}
    rows = []
    for region, period, others in _cells(shape):
        row: dict[str, Any] = {"ID": len(rows)}
        row.update({d: _pad(c, 8) for d, c in others.items()})
        if region is not None:
            row["RegioS"] = _pad(region)
        row["Perioden"] = period
        for m, (_, key, *_rest) in enumerate(shape.measures):
            i = len(rows) * len(shape.measures) + m
            row[key] = None if _missing(shape, i) and m < len(MEASURES) else _value(shape, m, i)
        rows.append(row)
    entities["TableInfos"]["value"][0]["RecordCount"] = len(rows)
    return FakeTable("v3", shape.table_id, entities, rows)


def shape_entry(shape: Shape) -> dict[str, Any]:
    """The catalogue entry a user writes for ``shape`` (as YAML would read it)."""
    entry: dict[str, Any] = {
        "name": shape.name, "table_id": shape.table_id, "api": shape.api,
        "title": f"Vormtabel {shape.number}", "description": shape.describe(), "frequency": "Per maand",
        "measures": {(ident if shape.api == "v4" else key): title for ident, key, title, *_ in shape.measures},
        "value_ranges": {(ident if shape.api == "v4" else key): {"min": low, "max": high}
                         for ident, key, _, _, _, (low, high) in MEASURES},
    }
    if shape.filtered:
        entry["filters"] = {d: list(shape.kept_codes(d)) for d in shape.dims[: shape.filtered]}
    if shape.regions:
        entry["regions"] = {"prefixes": list(REGION_PREFIXES)}
    return entry


def inject(table: FakeTable, defect: str) -> FakeTable:
    """``table`` with one defect a bad upstream version could have; each is one named check's to block.

    duplicate_row (key_unique), unknown_region (regions_known), future_period (periods_valid),
    out_of_range (value_ranges), missing_measure (measures_present; v4 only).
    """
    rows = copy.deepcopy(table.rows)
    v4 = table.api == "v4"
    # the first fetched row: a municipality (the served order starts with one) and a kept dimension code
    target = rows[0]
    if defect == "duplicate_row":
        rows.append({**target, ("Id" if v4 else "ID"): len(rows)})
    elif defect == "unknown_region":
        target["RegioS"] = "GM9999" if v4 else _pad("GM9999")
    elif defect == "future_period":
        target["Perioden"] = "2099JJ00"
    elif defect == "out_of_range":
        if v4:
            target.update(Value=-5, ValueAttribute="None")
        else:
            target[MEASURES[0][1]] = -5
    elif defect == "missing_measure":
        if not v4:
            raise ValueError("missing_measure applies to v4 tables only (a v3 row holds every measure)")
        rows = [r for r in rows if r["Measure"] != MEASURES[1][0]]
    else:
        raise ValueError(f"unknown defect {defect!r}")
    return dataclasses.replace(table, rows=rows)


#: the check each defect must fail
DEFECT_CHECK = {"duplicate_row": "key_unique", "unknown_region": "regions_known", "future_period": "periods_valid",
                "out_of_range": "value_ranges", "missing_measure": "measures_present"}

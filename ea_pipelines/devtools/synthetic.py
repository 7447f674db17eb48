"""Tables for the fake CBS server: the real 03759ned capture, and synthetic tables in CBS's formats.

Synthetic values are ILLUSTRATIVE, not CBS figures. They are generated deterministically, scaled per
region by the real population of 1 January 2024 from the 03759ned capture, so that the shapes, sizes
and relations between regions look like the real thing.

A table with real metadata in ``cbs_reference/`` (70072ned) is served with that metadata: its Properties,
Dimensions, all MeasureCodes (codes, titles, ``Double`` data types, ``MeasureGroupId``) and PeriodenCodes (a null
``Status`` and the real Descriptions that name the provisional topics); only its MeasureGroups' titles are
inferred (``MEASURE_GROUPS_70072``) and its values invented. The v3 labour-force table's measure keys come from the
project's domain brief and public code and are NOT verified against the live table.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ea_pipelines.catalogue.cbs import CbsCatalogue, CbsTable
from ea_pipelines.devtools.fake_cbs_server import FakeTable

#: real CBS metadata per table (see cbs_reference/README.md)
REFERENCE_DIR = Path(__file__).resolve().parent / "cbs_reference"
#: marks a synthetic table's description, before the real one
SYNTHETIC_NOTE = "SYNTHETIC test table for ea-pipelines: illustrative values."

CAPTURE_FILES = {"Properties": "properties.json", "Dimensions": "dimensions.json",
                 "MeasureCodes": "measure-codes.json"}


def capture_file_for(entity: str) -> str:
    """File name of a v4 entity set in a capture folder (``RegioSCodes`` -> ``codes-RegioS.json``)."""
    if entity in CAPTURE_FILES:
        return CAPTURE_FILES[entity]
    if entity.endswith("Codes"):
        return f"codes-{entity[:-5]}.json"
    if entity == "Observations":
        return "observations-page-1.json"
    raise KeyError(entity)


def capture_table(folder: Path) -> FakeTable:
    """A v4 table served from a real capture, byte for byte."""
    props = json.loads((folder / "properties.json").read_bytes())
    dims = json.loads((folder / "dimensions.json").read_bytes())["value"]
    raw = {"Properties": (folder / "properties.json").read_bytes(),
           "Dimensions": (folder / "dimensions.json").read_bytes(),
           "MeasureCodes": (folder / "measure-codes.json").read_bytes()}
    for d in dims:
        raw[f"{d['Identifier']}Codes"] = (folder / f"codes-{d['Identifier']}.json").read_bytes()
    rows = json.loads((folder / "observations-page-1.json").read_bytes())["value"]
    return FakeTable("v4", props["Identifier"], {}, rows, raw)


# -- synthetic tables ---------------------------------------------------------------------------------

#: level for the catalogue municipality in the last year, and yearly growth, per measure
PROFILES: dict[str, dict[str, tuple[float, float]]] = {
    "70072ned": {
        "M000308_3": (38.2, 0.012),      # banen van werknemers x 1 000
        "M000200_2": (6120.0, 0.025),    # bedrijfsvestigingen
        "X033647": (9850.0, -0.008),     # uitkeringsontvangers
        "90210_3": (3310.0, -0.015),     # personen met bijstand tot AOW-leeftijd
        "M000352_3": (75166.0, 0.004),   # totale bevolking: in the table, not in the catalogue
    },
    "85969NED": {
        "BeroepsEnNietBeroepsbevolking_1": (55.0, 0.004),
        "WerkzameBeroepsbevolking_2": (36.5, 0.011),
        "WerklozeBeroepsbevolking_3": (2.1, -0.03),
        "NietBeroepsbevolking_4": (16.4, -0.012),
    },
}
TITLES = {
    "BeroepsEnNietBeroepsbevolking_1": "Bevolking 15 tot 75 jaar",
}
FIRST_YEAR, LAST_YEAR = 2013, 2025
#: a table with reference metadata: the last year of each measure (CBS publishes topics at different paces; the
#: real 70072ned has bedrijfsvestigingen and population for 2026, jobs up to 2024)
LAST_YEAR_OF = {"70072ned": {"M000308_3": 2024, "M000200_2": 2026, "X033647": 2025, "90210_3": 2025,
                             "M000352_3": 2026}}

#: The MeasureGroups of 70072ned: id -> (title, parent id). INFERRED, not captured: the real ids of the groups the
#: measures name (MeasureGroupId), titled after their measures and after the topics the periods' Descriptions
#: use; top-level groups have invented ids (syn_...). See cbs_reference/README.md.
MEASURE_GROUPS_70072: dict[str, tuple[str, str | None]] = {
    "syn_bevolking": ("Bevolking", None),
    "M000352_2": ("Bevolkingssamenstelling op 1 januari", "syn_bevolking"),
    "T001038": ("Geslacht", "M000352_2"),
    "10000_1": ("Leeftijdsgroepen", "M000352_2"),
    "T001019_1": ("Burgerlijke staat", "M000352_2"),
    "T001040": ("Bevolking naar herkomst", "M000352_2"),
    "A051735_1": ("Geboren in Nederland", "T001040"),
    "D000110_1": ("Geboren buiten Nederland", "T001040"),
    "X019007": ("Stedelijkheid", "M000352_2"),
    "M000314": ("Geboorte en sterfte", "syn_bevolking"),
    "T001440_1": ("Sterfte naar doodsoorzaak", "M000314"),
    "M000338": ("Verhuizingen", "syn_bevolking"),
    "M000319": ("Migratie", "syn_bevolking"),
    "M000101_1": ("Bevolkingsgroei", "syn_bevolking"),
    "T001086": ("Particuliere huishoudens", "syn_bevolking"),
    "1050010_4": ("Particuliere huishoudens, relatief", "T001086"),
    "1050010_1": ("Huishoudensgrootte", "T001086"),
    "syn_wonen": ("Wonen", None),
    "M000297": ("Voorraad woningen", "syn_wonen"),
    "T001132_2": ("Eigendom", "M000297"),
    "M000205": ("Gemiddelde WOZ-waarde van woningen", "syn_wonen"),
    "M005515": ("Onderwijs naar schoolregio", None),
    "syn_onderwijs_woonregio": ("Onderwijs naar woonregio", None),
    "M005515_2": ("Leerlingen", "syn_onderwijs_woonregio"),
    "D000346": ("Gediplomeerden", "syn_onderwijs_woonregio"),
    "T001143": ("Onderwijsniveau", None),
    "syn_arbeid": ("Arbeid", None),
    "M000308_2": ("Banen van werknemers", "syn_arbeid"),
    "M000308_4": ("Banen van werknemers, relatief", "syn_arbeid"),
    "syn_inkomen": ("Inkomen en vermogen", None),
    "M000002": ("Particuliere huishoudens", "syn_inkomen"),
    "M000264": ("Gemiddeld gestandaardiseerd inkomen", "syn_inkomen"),
    "M000222_1": ("Mediaan vermogen", "syn_inkomen"),
    "M000939": ("Gemiddeld besteedbaar inkomen", "syn_inkomen"),
    "syn_sociale_zekerheid": ("Sociale zekerheid", None),
    "M000280_1": ("Uitkeringsontvangers", "syn_sociale_zekerheid"),
    "M000220": ("Soort uitkering", "M000280_1"),
    "D007077": ("Bijstand", "M000220"),
    "D006837_1": ("Arbeidsongeschiktheid", "M000220"),
    "M000200": ("Bedrijfsvestigingen", None),
    "M000200_4": ("Bedrijfsvestigingen naar activiteit", "M000200"),
    "syn_landbouw": ("Landbouw", None),
    "A044028_2": ("Graasdieren", "syn_landbouw"),
    "A044002": ("Hokdieren", "syn_landbouw"),
    "M007352": ("Cultuurgrond", "syn_landbouw"),
    "M000326": ("Mestproductie", "syn_landbouw"),
    "M000200_2": ("Mest", "syn_landbouw"),
    "syn_verkeer": ("Motorvoertuigen", None),
    "A018928": ("Motorvoertuigenpark", "syn_verkeer"),
    "T001491_1": ("Lengte van wegen", "syn_verkeer"),
    "syn_nabijheid": ("Nabijheid voorzieningen", None),
    "M006381_1": ("Gezondheid en welzijn", "syn_nabijheid"),
    "D000127": ("Kinderopvang", "syn_nabijheid"),
    "D000130": ("Scholen", "syn_nabijheid"),
    "D000303": ("Detailhandel", "syn_nabijheid"),
    "A047841_7": ("Horeca", "syn_nabijheid"),
    "M000146_2": ("Vrije tijd en cultuur", "syn_nabijheid"),
    "D000118_2": ("Groen", "syn_nabijheid"),
    "M000146": ("Verkeer en vervoer", "syn_nabijheid"),
    "syn_milieu": ("Milieu en bodemgebruik", None),
    "M000348_2": ("Afval van huishoudens", "syn_milieu"),
    "M000146_3": ("Bodemgebruik, relatief", "syn_milieu"),
    "D000029_2": ("Omgevingsadressendichtheid", "syn_milieu"),
    "syn_oppervlakte": ("Oppervlakte", None),
    "A044029_4": ("Oppervlakte land", "syn_oppervlakte"),
    "A047040_1": ("Oppervlakte water", "syn_oppervlakte"),
    "syn_indelingen": ("Regionale indelingen", None),
    **{g: (f"Indeling {g}", "syn_indelingen") for g in (
        "AM0000", "AR0000", "T001455_2", "CP0000", "A044029_2", "GG0000", "JZ0000", "KK0000", "LB0000", "LG0000",
        "LD0000", "P00005_1", "RE0000", "ES0000", "RA0000", "RT0000", "TR0000", "VT0000", "VR0000", "ZK0000")},
}


def _populations(capture: Path) -> dict[str, dict[str, tuple[str, float]]]:
    """Per year (``2024``): every region with a population on 1 January in the capture, with its name."""
    names = {c["Identifier"]: c["Title"] for c in
             json.loads((capture / "codes-RegioS.json").read_bytes())["value"]}
    out: dict[str, dict[str, tuple[str, float]]] = {}
    for r in json.loads((capture / "observations-page-1.json").read_bytes())["value"]:
        if r["Measure"] == "M000352" and r["Value"] is not None:
            out.setdefault(r["Perioden"][:4], {})[r["RegioS"]] = (names[r["RegioS"]], float(r["Value"]))
    return out


#: tables that CBS recalculates to one regional classification for all years
CLASSIFICATIONS = {"85969NED": "2023"}  # "regio (indeling 2023)"
#: the reference year of the weights, and of the region classification of a table "(indeling 2023)"
WEIGHT_YEAR = "2024"


def _regions(catalogue: CbsCatalogue, capture: Path, years: range,
             classification: str | None) -> dict[int, dict[str, tuple[str, float]]]:
    """Per year: the regions a table has that year, each with a size weight relative to the municipality.

    The country, the programme's province and COROP area (the sum of its members), and every municipality that
    existed on 1 January of that year in the capture (years before the capture take its first year), so that
    municipalities of the same size class can be compared and merged municipalities appear in older years, as
    in the real tables. A table with a fixed regional classification (``classification``, e.g. "2023": CBS
    recalculates all years to it) has that year's municipalities in every year.
    """
    pops = _populations(capture)
    first = min(pops)
    prog = catalogue.programme
    base = pops[WEIGHT_YEAR][prog.municipality_code][1]
    out = {}
    for year in years:
        ref = pops[classification or max(first, min(str(year), max(pops)))]
        regions: dict[str, tuple[str, float]] = {}
        for code in (prog.country, prog.province):
            regions[code] = pops[WEIGHT_YEAR][code]
        members = sum(pops[WEIGHT_YEAR][m][1] for m in prog.peer_municipalities)
        regions[prog.peer_corop] = (f"{prog.peer_group_name} (CR)", members)
        for code, (name, pop) in sorted(ref.items()):
            if code.startswith("GM"):  # the weight of the reference year, where the municipality has one
                regions[code] = (name, pops[WEIGHT_YEAR].get(code, (name, pop))[1])
        out[year] = {code: (name, pop / base) for code, (name, pop) in regions.items()}
    return out


def _codes(regions: dict[int, dict[str, tuple[str, float]]]) -> dict[str, str]:
    """Every region code of any year, with its name, in first-seen order."""
    return {code: name for year in sorted(regions) for code, (name, _) in regions[year].items()}


def _status(year: int, last: int) -> str:
    return "Voorlopig" if year == last else "Nader voorlopig" if year == last - 1 else "Definitief"


def _value(rng: random.Random, level: float, growth: float, weight: float, year: int, last: int) -> float:
    noise = 1 + rng.uniform(-0.03, 0.03)
    return level * weight * (1 + growth) ** (year - last) * noise


def _round(value: float, decimals: int) -> float | int:
    return round(value, decimals) if decimals else int(round(value))


def synthetic_table(spec: CbsTable, catalogue: CbsCatalogue, capture: Path) -> FakeTable:
    """A table in the exact response format of ``spec.api``, with illustrative values (and the real metadata,
    where ``cbs_reference`` has it)."""
    profile = PROFILES[spec.table_id]
    if (REFERENCE_DIR / spec.table_id).is_dir():
        return reference_table(spec, catalogue, capture)
    last = LAST_YEAR if spec.api == "v4" else LAST_YEAR - 1
    years = range(FIRST_YEAR, last + 1)
    regions = _regions(catalogue, capture, years, CLASSIFICATIONS.get(spec.table_id))
    rng = random.Random(f"ea-pipelines:{spec.table_id}")
    decimals = {m: (1 if level < 100 else 0) for m, (level, _) in profile.items()}
    if spec.api == "v4":
        return _v4(spec, profile, regions, years, last, rng, decimals)
    return _v3(spec, profile, regions, years, last, rng, decimals)


def _v4(spec, profile, regions, years, last, rng, decimals) -> FakeTable:
    base = f"https://datasets.cbs.nl/odata/v1/CBS/{spec.table_id}"
    ctx = f"{base}/$metadata#"
    entities: dict[str, Any] = {
        "Properties": {"@odata.context": ctx + "Properties", "Identifier": spec.table_id, "Title": spec.title,
                       "Description": SYNTHETIC_NOTE,
                       "Language": "nl", "Modified": f"{last + 1}-03-14T02:00:00+01:00",
                       "Frequency": spec.frequency, "Status": "Regulier", "DatasetType": "Numeric",
                       "ObservationCount": 0, "License": "https://creativecommons.org/licenses/by/4.0/",
                       "Source": "CBS."},
        "Dimensions": {"@odata.context": ctx + "Dimensions", "value": [
            {"@odata.type": "#Cbs.Ccb.Models.GeoDimension", "Identifier": "RegioS", "Title": "Regio's",
             "Description": "", "MapYear": "", "ReleasePolicy": None, "Kind": "GeoDimension",
             "ContainsGroups": True, "ContainsCodes": True, "CodesUrl": f"{base}/RegioSCodes",
             "GroupsUrl": f"{base}/RegioSGroups"},
            {"@odata.type": "#Cbs.Ccb.Models.TimeDimension", "Identifier": "Perioden", "Title": "Perioden",
             "Description": "", "ReleasePolicy": True, "Kind": "TimeDimension", "ContainsGroups": False,
             "ContainsCodes": True, "CodesUrl": f"{base}/PeriodenCodes", "GroupsUrl": None}]},
        "MeasureCodes": {"@odata.context": ctx + "MeasureCodes", "value": [
            {"Identifier": m, "Index": i, "Title": spec.measures.get(m) or TITLES.get(m, m), "Description": "",
             "MeasureGroupId": None, "DataType": "Double" if decimals[m] else "Long",
             "Unit": "x 1 000" if "x 1 000" in (spec.measures.get(m) or "") else "aantal",
             "Decimals": decimals[m], "PresentationType": "Absolute"}
            for i, m in enumerate(profile, start=1)]},
        "RegioSCodes": {"@odata.context": ctx + "RegioSCodes", "value": [
            {"Identifier": code, "Index": i, "Title": name, "Description": "", "DimensionGroupId": code[:2]}
            for i, (code, name) in enumerate(_codes(regions).items(), start=1)]},
        "PeriodenCodes": {"@odata.context": ctx + "PeriodenCodes", "value": [
            {"Identifier": f"{y}JJ00", "Index": i, "Title": str(y) + (" *" if y >= last - 1 else ""),
             "Description": "", "DimensionGroupId": "0", "Status": _status(y, last)}
            for i, y in enumerate(years, start=1)]},
    }
    rows = []
    for code in _codes(regions):
        for y in (y for y in years if code in regions[y]):
            weight = regions[y][code][1]
            for m, (level, growth) in profile.items():
                rows.append({"Id": len(rows), "Measure": m, "ValueAttribute": "None",
                             "Value": _round(_value(rng, level, growth, weight, y, last), decimals[m]),
                             "StringValue": None, "RegioS": code, "Perioden": f"{y}JJ00"})
    entities["Properties"]["ObservationCount"] = len(rows)
    return FakeTable("v4", spec.table_id, entities, rows)


def _reference(table_id: str, name: str) -> Any:
    return json.loads((REFERENCE_DIR / table_id / name).read_bytes())


def reference_table(spec: CbsTable, catalogue: CbsCatalogue, capture: Path) -> FakeTable:
    """A v4 table served with its real metadata (``cbs_reference/<table>``) and invented values for the measures
    of ``PROFILES``: every measure code, title, data type and group id, the dimensions, and the periods with their
    null Status and real Descriptions, as CBS serves them; the MeasureGroups inferred (``MEASURE_GROUPS_70072``)."""
    table_id = spec.table_id
    profile = PROFILES[table_id]
    props = _reference(table_id, "properties.json")
    props["Description"] = f"{SYNTHETIC_NOTE}\n{props.get('Description') or ''}"
    base = f"https://datasets.cbs.nl/odata/v1/CBS/{table_id}"
    ctx = f"{base}/$metadata#"
    measures = _reference(table_id, "measure-codes.transcribed.json")
    for m in measures["value"]:
        m.setdefault("Description", "")
    periods = _reference(table_id, "codes-Perioden.json")
    last_of = LAST_YEAR_OF[table_id]
    years = range(FIRST_YEAR, max(last_of.values()) + 1)
    regions = _regions(catalogue, capture, years, None)
    rng = random.Random(f"ea-pipelines:{table_id}")
    info = {m["Identifier"]: m for m in measures["value"]}
    entities: dict[str, Any] = {
        "Properties": props,
        "Dimensions": _reference(table_id, "dimensions.json"),
        "MeasureCodes": measures,
        "MeasureGroups": {"@odata.context": ctx + "MeasureGroups", "value": [
            {"Id": ident, "Index": i, "Title": title, "Description": "", "ParentId": parent}
            for i, (ident, (title, parent)) in enumerate(MEASURE_GROUPS_70072.items(), start=1)]},
        "RegioSCodes": {"@odata.context": ctx + "RegioSCodes", "value": [
            {"Identifier": code, "Index": i, "Title": name, "Description": "", "DimensionGroupId": code[:2]}
            for i, (code, name) in enumerate(_codes(regions).items(), start=1)]},
        "PeriodenCodes": periods,
    }
    rows = []
    for code in _codes(regions):
        for y in (y for y in years if code in regions[y]):
            weight = regions[y][code][1]
            for m, (level, growth) in profile.items():
                if y > last_of[m]:
                    continue
                value = _value(rng, level, growth, weight, y, last_of[m])
                rows.append({"Id": len(rows), "Measure": m, "ValueAttribute": "None",
                             "Value": _round(value, int(info[m].get("Decimals") or 0)),
                             "StringValue": None, "RegioS": code, "Perioden": f"{y}JJ00"})
    props["ObservationCount"] = len(rows)
    return FakeTable("v4", table_id, entities, rows)


def _pad(code: str, width: int) -> str:
    return code.ljust(width)


def _v3(spec, profile, regions, years, last, rng, decimals) -> FakeTable:
    meta = f"https://opendata.cbs.nl/ODataFeed/odata/{spec.table_id}/$metadata#Cbs.OData.WebAPI."
    genders = {"T001038": ("Totaal mannen en vrouwen", 1.0), "3000": ("Mannen", 0.51), "4000": ("Vrouwen", 0.49)}
    props: list[dict[str, Any]] = [
        {"odata.type": "Cbs.OData.Dimension", "ID": 0, "Position": 0, "ParentID": None, "Type": "Dimension",
         "Key": "Geslacht", "Title": "Geslacht", "Description": "", "Default": "None"},
        {"odata.type": "Cbs.OData.GeoDimension", "ID": 1, "Position": 1, "ParentID": None,
         "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's", "Description": "", "Default": "None",
         "MapYear": 2023, "ReleasePolicy": False},
        {"odata.type": "Cbs.OData.TimeDimension", "ID": 2, "Position": 2, "ParentID": None,
         "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden", "Description": "", "Default": "None",
         "ReleasePolicy": True},
    ]
    for i, m in enumerate(profile, start=3):
        props.append({"odata.type": "Cbs.OData.Topic", "ID": i, "Position": i, "ParentID": None, "Type": "Topic",
                      "Key": m, "Title": (spec.measures.get(m) or m).replace(" (x 1 000)", ""),
                      "Description": "", "Datatype": "Double", "Unit": "x 1 000", "Decimals": decimals[m],
                      "Default": "Impossible"})
    entities: dict[str, Any] = {
        "TableInfos": {"odata.metadata": meta + "TableInfos", "value": [{
            "ID": 0, "Title": spec.title, "ShortTitle": spec.title[:60], "Identifier": spec.table_id,
            "Summary": "SYNTHETIC test table for ea-pipelines: illustrative values.",
            "Modified": f"{last + 2}-02-16T02:00:00", "MetaDataModified": f"{last + 2}-02-16T02:00:00",
            "ReasonDelivery": "Actualisering", "ExplanatoryText": "", "OutputStatus": "Regulier",
            "Source": "CBS.", "Language": "nl", "Catalog": "CBS", "Frequency": spec.frequency,
            "Period": f"{years[0]}-{last}", "SummaryAndLinks": "", "ApiUrl": "", "FeedUrl": "",
            "DefaultPresentation": "", "DefaultSelection": "", "GraphTypes": "Table", "RecordCount": 0,
            "ColumnCount": len(props), "SearchPriority": "2"}]},
        "DataProperties": {"odata.metadata": meta + "DataProperties", "value": props},
        "Geslacht": {"odata.metadata": meta + "Geslacht", "value": [
            {"Key": _pad(k, 8), "Title": t, "Description": None, "CategoryGroupID": None}
            for k, (t, _) in genders.items()]},
        "RegioS": {"odata.metadata": meta + "RegioS", "value": [
            {"Key": _pad(code, 10), "Title": name, "Description": None, "CategoryGroupID": None}
            for code, name in _codes(regions).items()]},
        "Perioden": {"odata.metadata": meta + "Perioden", "value": [
            {"Key": f"{y}JJ00", "Title": str(y) + (" *" if y == last else ""), "Description": None,
             "Status": _status(y, last)} for y in years]},
    }
    rows = []
    for g, (_, share) in genders.items():
        for code in _codes(regions):
            for y in (y for y in years if code in regions[y]):
                weight = regions[y][code][1]
                row: dict[str, Any] = {"ID": len(rows), "Geslacht": _pad(g, 8), "RegioS": _pad(code, 10),
                                       "Perioden": f"{y}JJ00"}
                for m, (level, growth) in profile.items():
                    row[m] = _round(_value(rng, level, growth, weight * share, y, last), decimals[m])
                rows.append(row)
    entities["TableInfos"]["value"][0]["RecordCount"] = len(rows)
    return FakeTable("v3", spec.table_id, entities, rows)


#: the labour-force concept codes of the v4 editions (86276NED, as public client code reads it; the same codes as
#: the real 80590ned): werkzame and werkloze beroepsbevolking, x 1 000
CONCEPT_CODES = {"WerkzameBeroepsbevolking_2": ("3000795_2", "Werkzame beroepsbevolking"),
                 "WerklozeBeroepsbevolking_3": ("3000800_2", "Werkloze beroepsbevolking")}


def v4_edition(v3: FakeTable, table_id: str, years: tuple[int, ...], offset: float = 0.0) -> FakeTable:
    """A SYNTHETIC v4 edition of a synthetic v3 table: its rows for ``years`` as long v4 Observations with the
    concept codes of ``CONCEPT_CODES`` (``offset`` added, so a test can tell the editions apart), Geslacht,
    RegioS and Perioden as v4 dimensions, null period statuses with a Description naming no topic."""
    base = f"https://datasets.cbs.nl/odata/v1/CBS/{table_id}"
    ctx = f"{base}/$metadata#"
    periods = {f"{y}JJ00" for y in years}
    info = v3.entities["TableInfos"]["value"][0]

    def codes(entity: str, dim: str) -> dict[str, Any]:
        return {"@odata.context": ctx + f"{dim}Codes", "value": [
            {"Identifier": c["Key"].strip(), "Index": i, "Title": c["Title"], "Description": c.get("Description") or "",
             "DimensionGroupId": None} for i, c in enumerate(v3.entities[entity]["value"], start=1)]}

    dims = [("Geslacht", "Dimension"), ("RegioS", "GeoDimension"), ("Perioden", "TimeDimension")]
    entities: dict[str, Any] = {
        "Properties": {"@odata.context": ctx + "Properties", "Identifier": table_id,
                       "Title": "Arbeidsdeelname; binding arbeidsmarkt; regio (indeling 2025)",
                       "Description": SYNTHETIC_NOTE, "Language": "nl", "Modified": info["Modified"] + "+01:00",
                       "Frequency": info["Frequency"], "Status": "Regulier", "DatasetType": "Numeric",
                       "ObservationCount": 0, "Source": "CBS."},
        "Dimensions": {"@odata.context": ctx + "Dimensions", "value": [
            {"@odata.type": f"#Cbs.Ccb.Models.{kind}", "Identifier": d, "Title": d, "Description": "", "Kind": kind,
             "ContainsGroups": False, "ContainsCodes": True, "CodesUrl": f"{base}/{d}Codes", "GroupsUrl": None}
            for d, kind in dims]},
        "MeasureCodes": {"@odata.context": ctx + "MeasureCodes", "value": [
            {"Identifier": code, "Index": i, "Title": title, "Description": "", "MeasureGroupId": None,
             # the values are the v3 edition's (plus an offset), so they keep its one decimal
             "DataType": "Double", "Unit": "x 1 000", "Decimals": 1, "PresentationType": "Absolute"}
            for i, (code, title) in enumerate(CONCEPT_CODES.values(), start=1)]},
        "GeslachtCodes": codes("Geslacht", "Geslacht"),
        "RegioSCodes": codes("RegioS", "RegioS"),
        "PeriodenCodes": {"@odata.context": ctx + "PeriodenCodes", "value": [
            {"Identifier": f"{y}JJ00", "Index": i, "Title": str(y), "Description": "", "DimensionGroupId": "0",
             "Status": None} for i, y in enumerate(years, start=1)]},
    }
    rows = []
    for r in v3.rows:
        if r["Perioden"] not in periods:
            continue
        for key, (code, _) in CONCEPT_CODES.items():
            rows.append({"Id": len(rows), "Measure": code, "ValueAttribute": "None",
                         "Value": None if r[key] is None else r[key] + offset, "StringValue": None,
                         "Geslacht": r["Geslacht"].strip(), "RegioS": r["RegioS"].strip(), "Perioden": r["Perioden"]})
    entities["Properties"]["ObservationCount"] = len(rows)
    return FakeTable("v4", table_id, entities, rows)

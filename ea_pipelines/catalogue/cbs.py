"""Reads and checks ``cbs_tables.yaml``: the programme's regions and the CBS tables to fetch."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ea_pipelines.numbers import NumberRefused, finite

REGION_CODE = re.compile(r"^(NL\d{2}|LD\d{2}|PV\d{2}|CR\d{2}|GM\d{4})$")
PERIOD_CODE = re.compile(r"^\d{4}(JJ00|KW0[1-4]|MM(0[1-9]|1[0-2]))$")
ASSET_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: identifiers that reach URLs, OData filters, landing paths and derived column names: checked, never evaluated
TABLE_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
MEASURE_CODE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
DIMENSION = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
DIMENSION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
APIS = ("v4", "v3")


class CatalogueError(ValueError):
    """The catalogue file is wrong; the message names the file and the entry."""


@dataclass(frozen=True)
class Programme:
    """The municipality whose programme this is, and the regions it is compared with."""

    name: str
    municipality_code: str
    municipality_name: str
    peer_group_name: str
    peer_corop: str
    peer_municipalities: tuple[str, ...]
    province: str
    country: str

    @property
    def region_codes(self) -> tuple[str, ...]:
        """Municipality, peer municipalities, COROP, province, country: in that order, no repeats."""
        ordered = [self.municipality_code, *self.peer_municipalities, self.peer_corop, self.province, self.country]
        return tuple(dict.fromkeys(ordered))


@dataclass(frozen=True)
class RegionSelection:
    """Which regions to fetch: explicit codes, or code prefixes (``GM`` = every municipality)."""

    codes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def matches(self, code: str) -> bool:
        return code in self.codes or any(code.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class TableShape:
    """Which dimensions a CBS table has, as its metadata says: the checks follow from it.

    ``regions``: the table has a geographic dimension (``region_code`` is null for every row otherwise);
    ``periods``: it has a time dimension; ``others``: its further dimensions (``other_dimensions``);
    ``region_codes``: the table's own region code list, so its codes are known even where the bundled code list
    lacks them (a municipality created after it was built).
    """

    regions: bool = True
    periods: bool = True
    others: tuple[str, ...] = ()
    region_codes: frozenset[str] = frozenset()

    @property
    def key(self) -> list[str]:
        """The columns that identify an observation: the measure and the dimensions the table has."""
        return ["measure_code", *(["region_code"] if self.regions else []),
                *(["period_code"] if self.periods else []), "other_dimensions"]

    @property
    def required(self) -> tuple[str, ...]:
        """Text columns that must be filled in for this shape."""
        return ("table_id", *self.key)

    def describe(self) -> str:
        dims = [*(["regions"] if self.regions else []), *(["periods"] if self.periods else []), *self.others]
        return ", ".join(dims) or "no dimensions"


@dataclass(frozen=True)
class EditionReading:
    """How one edition of an entry is read when it differs from the entry: another API, its own measure codes.

    ``measures`` maps the edition's own code (a v4 concept code such as ``3000795_2``) to the entry's measure it
    stands for; the edition loads those measures only (the entry's others are not known in that edition).
    """

    api: str
    measures: dict[str, str]


@dataclass(frozen=True)
class CbsTable:
    """One catalogue entry: a CBS table, what to fetch from it and how to present it."""

    name: str
    table_id: str
    api: str
    title: str
    description: str
    frequency: str
    measures: dict[str, str]
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    regions: RegionSelection = RegionSelection()
    period_from: str | None = None
    owners: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    #: measure code -> (min, max), either may be None; checked before publishing
    value_ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    #: the table's editions, oldest first (``editions:`` or ``table_id`` + ``successors:``); each edition is
    #: loaded as its own table (its own table_id in staging); () = the table has no known successors
    editions: tuple[str, ...] = ()
    #: search rule on the CBS catalogue: titles starting with this text are editions too (found at load time)
    edition_title_prefix: str | None = None
    #: set on the spec of one edition by the load: the next newer edition. A discontinued table with a
    #: successor is loaded with a warning naming it (its periods may still be needed); without, it fails.
    successor: str | None = None
    #: the table's region dimension as the entry names it (``region_dimension:``); None: found from the table's
    #: metadata (a GeoDimension, the identifier RegioS, or codes that are CBS region codes)
    region_dimension: str | None = None
    #: the entry itself (not the defaults) selects regions: a table without a region dimension is then refused
    regions_explicit: bool = False
    #: editions read otherwise than the entry (``edition_readings:``): edition table id -> how
    edition_readings: dict[str, EditionReading] = field(default_factory=dict)

    @property
    def has_editions(self) -> bool:
        """The entry names successors or a search rule: the load discovers and loads every edition."""
        return len(self.editions) > 1 or self.edition_title_prefix is not None

    @property
    def measure_codes(self) -> tuple[str, ...]:
        return tuple(self.measures)

    def fingerprint(self) -> str:
        """Hash of what decides which rows are fetched: a changed entry must fetch the table again."""
        what = {"table_id": self.table_id, "api": self.api, "measures": sorted(self.measures),
                "filters": {k: list(v) for k, v in sorted(self.filters.items())},
                "regions": {"codes": list(self.regions.codes), "prefixes": list(self.regions.prefixes)},
                "period_from": self.period_from}
        if self.region_dimension:  # only when named, so that the fingerprints of other entries stay as they were
            what["region_dimension"] = self.region_dimension
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class CbsCatalogue:
    programme: Programme
    tables: tuple[CbsTable, ...]
    path: Path

    def table(self, name: str) -> CbsTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"{self.path}: no table named {name!r}")


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise CatalogueError(f"{where}: missing required key {key!r}")
    return entry[key]


def _identifier(value: Any, pattern: re.Pattern[str], what: str, where: str) -> str:
    text = str(value).strip()
    if not pattern.match(text):
        raise CatalogueError(f"{where}: {what} {str(value)[:80]!r} may only hold letters, digits"
                             f"{' and _' if '_' in pattern.pattern else ''} (pattern {pattern.pattern})")
    return text


def _region(code: Any, where: str) -> str:
    code = str(code).strip()
    if not REGION_CODE.match(code):
        raise CatalogueError(f"{where}: {code!r} is not a CBS region code (GMnnnn, CRnn, PVnn, LDnn or NLnn)")
    return code


def _programme(raw: dict[str, Any], where: str) -> Programme:
    muni = _require(raw, "municipality", where)
    peers = _require(raw, "peer_group", where)
    members = tuple(_region(c, f"{where}.peer_group") for c in _require(peers, "municipalities", where))
    return Programme(
        name=str(raw.get("name", "")),
        municipality_code=_region(_require(muni, "code", f"{where}.municipality"), where),
        municipality_name=str(_require(muni, "name", f"{where}.municipality")),
        peer_group_name=str(_require(peers, "name", f"{where}.peer_group")),
        peer_corop=_region(_require(peers, "corop", f"{where}.peer_group"), where),
        peer_municipalities=members,
        province=_region(_require(raw, "province", where), where),
        country=_region(_require(raw, "country", where), where),
    )


def _regions(raw: Any, programme: Programme, where: str) -> RegionSelection:
    if raw == "programme":
        return RegionSelection(codes=programme.region_codes)
    if isinstance(raw, dict) and set(raw) <= {"codes", "prefixes"}:
        codes = tuple(_region(c, where) for c in raw.get("codes", []))
        prefixes = tuple(str(p) for p in raw.get("prefixes", []))
        bad = [p for p in prefixes if p not in ("NL", "LD", "PV", "CR", "GM")]
        if bad or not (codes or prefixes):
            raise CatalogueError(f"{where}: regions needs codes or prefixes out of NL, LD, PV, CR, GM")
        return RegionSelection(codes=codes, prefixes=prefixes)
    raise CatalogueError(f"{where}: regions must be 'programme' or a mapping with codes and/or prefixes")


def bound(value: Any, where: str) -> float | None:
    """A range limit from a catalogue: a finite number (YAML int or float) or absent. A string (``"5"``, ``"1+1"``),
    a mapping (``{"$PARAMETER": "1+1"}``), a boolean, ``.nan`` and ``.inf`` are refused, naming the entry."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogueError(f"{where}: {str(value)[:80]!r} is not a number (write a plain number without quotes, "
                             "such as 0 or 12.5)")
    try:
        return finite(value)
    except NumberRefused as exc:
        raise CatalogueError(f"{where}: {value!r} is not a finite number") from exc


def value_range(raw: Any, where: str) -> tuple[float | None, float | None]:
    """``{min: .., max: ..}`` (either may be left out) as numbers, min not above max; shared by the CBS, Swing and
    delivery catalogues."""
    if not isinstance(raw, dict) or not set(raw) <= {"min", "max"}:
        raise CatalogueError(f"{where} must be {{min: .., max: ..}}")
    low, high = bound(raw.get("min"), f"{where}.min"), bound(raw.get("max"), f"{where}.max")
    if low is not None and high is not None and low > high:
        raise CatalogueError(f"{where}: min {low:g} is above max {high:g}")
    return low, high


def _ranges(raw: Any, measures: dict[str, Any], where: str) -> dict[str, tuple[float | None, float | None]]:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: value_ranges must map measure codes to {{min, max}}")
    out = {}
    for code, rng in raw.items():
        if str(code) not in measures:
            raise CatalogueError(f"{where}: value_ranges names {code!r}, which is not one of the measures")
        out[str(code)] = value_range(rng, f"{where}: value_ranges.{code}")
    return out


def _editions(entry: dict[str, Any], table_id: str, where: str) -> tuple[tuple[str, ...], str | None]:
    """``editions: [A, B, C]`` (oldest first, holding ``table_id``) or ``successors: [B, C]`` (newer than
    ``table_id``, oldest first); ``edition_search: {title_prefix: ...}`` adds editions found in the CBS catalogue."""
    if "editions" in entry and "successors" in entry:
        raise CatalogueError(f"{where}: give editions or successors, not both")
    listed = entry.get("editions") if "editions" in entry else entry.get("successors")
    if listed is not None and (not isinstance(listed, list) or not listed):
        raise CatalogueError(f"{where}: editions/successors must be a non-empty list of CBS table ids")
    ids = [_identifier(i, TABLE_ID, "edition table_id", where) for i in listed or []]
    if "editions" in entry:
        if table_id not in ids:
            raise CatalogueError(f"{where}: editions {ids} must include the entry's table_id {table_id!r}")
    else:
        ids = [table_id, *ids]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{where}: an edition is listed twice: {ids}")
    search = entry.get("edition_search")
    prefix = None
    if search is not None:
        if not isinstance(search, dict) or set(search) != {"title_prefix"} or not str(search["title_prefix"]).strip():
            raise CatalogueError(f"{where}: edition_search must be {{title_prefix: <start of the CBS title>}}")
        prefix = str(search["title_prefix"])
        if "'" in prefix:
            raise CatalogueError(f"{where}: edition_search.title_prefix may not hold a quote")
    return (tuple(ids) if len(ids) > 1 else ()), prefix


def _readings(raw: Any, editions: tuple[str, ...], measures: dict[str, Any], where: str) -> dict[str, EditionReading]:
    """``edition_readings: {<edition>: {api: v4, measures: {<edition's code>: <entry's code>}}}``."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: edition_readings must map an edition's table id to {{api, measures}}")
    out = {}
    for edition, reading in raw.items():
        edition = _identifier(edition, TABLE_ID, "edition_readings table id", where)
        if edition not in editions:
            raise CatalogueError(f"{where}: edition_readings names {edition}, which is not one of the editions "
                                 f"{list(editions)}")
        if not isinstance(reading, dict) or set(reading) != {"api", "measures"}:
            raise CatalogueError(f"{where}: edition_readings.{edition} must be {{api: .., measures: {{..}}}}")
        api = str(reading["api"])
        if api not in APIS:
            raise CatalogueError(f"{where}: edition_readings.{edition}.api must be one of {APIS}, not {api!r}")
        codes = reading["measures"]
        if not isinstance(codes, dict) or not codes:
            raise CatalogueError(f"{where}: edition_readings.{edition}.measures must map the edition's measure "
                                 "codes to the entry's")
        unquoted = [k for k in codes if not isinstance(k, str)]
        if unquoted:
            raise CatalogueError(f"{where}: edition_readings.{edition}: measure code(s) {unquoted} were read as "
                                 "numbers: put them in quotes")
        mapped = {_identifier(k, MEASURE_CODE, "measure code", where): str(v).strip() for k, v in codes.items()}
        unknown = sorted(v for v in mapped.values() if v not in measures)
        if unknown:
            raise CatalogueError(f"{where}: edition_readings.{edition} maps to {unknown}, which are not the entry's "
                                 "measures")
        if len(set(mapped.values())) < len(mapped):
            raise CatalogueError(f"{where}: edition_readings.{edition} maps two codes to one measure")
        out[edition] = EditionReading(api, mapped)
    return out


def _table(raw: dict[str, Any], defaults: dict[str, Any], programme: Programme, where: str) -> CbsTable:
    entry = {**defaults, **raw}
    name = str(_require(entry, "name", where))
    where = f"{where} ({name})"
    if not ASSET_NAME.match(name):
        raise CatalogueError(f"{where}: name must be lower case letters, digits and underscores")
    api = str(_require(entry, "api", where))
    if api not in APIS:
        raise CatalogueError(f"{where}: api must be one of {APIS}, not {api!r}")
    measures = _require(entry, "measures", where)
    if not isinstance(measures, dict):
        raise CatalogueError(f"{where}: measures must map each measure code to its title")
    unquoted = [k for k in measures if not isinstance(k, str)]
    if unquoted:  # YAML reads 90210_3 as the number 902103
        raise CatalogueError(f"{where}: measure code(s) {unquoted} were read as numbers: put them in quotes")
    filters = entry.get("filters") or {}
    if not isinstance(filters, dict) or not all(isinstance(v, list) and v for v in filters.values()):
        raise CatalogueError(f"{where}: filters must map a dimension to a non-empty list of codes")
    for code in measures:
        _identifier(code, MEASURE_CODE, "measure code", where)
    for dim, codes in filters.items():
        _identifier(dim, DIMENSION, "filter dimension", where)
        for code in codes:
            _identifier(code, DIMENSION_CODE, f"filter code of {dim}", where)
    period_from = (entry.get("periods") or {}).get("from")
    if period_from is not None and not PERIOD_CODE.match(str(period_from)):
        raise CatalogueError(f"{where}: periods.from {period_from!r} is not a CBS period code like 2019JJ00")
    table_id = _identifier(_require(entry, "table_id", where), TABLE_ID, "table_id", where)
    editions, title_prefix = _editions(entry, table_id, where)
    region_dim = entry.get("region_dimension")
    if region_dim is not None:
        region_dim = _identifier(region_dim, DIMENSION, "region_dimension", where)
        if region_dim in filters:
            raise CatalogueError(f"{where}: region_dimension {region_dim!r} is also under filters: select its "
                                 "codes with regions")
    return CbsTable(
        name=name,
        table_id=table_id,
        api=api,
        title=str(_require(entry, "title", where)),
        description=" ".join(str(entry.get("description", "")).split()),
        frequency=str(entry.get("frequency", "")),
        measures={str(k).strip(): str(v) for k, v in measures.items()},
        filters={str(k): tuple(str(c) for c in v) for k, v in filters.items()},
        regions=_regions(entry.get("regions", "programme"), programme, where),
        period_from=str(period_from) if period_from else None,
        owners=tuple(entry.get("owners") or ()),
        kinds=tuple(entry.get("kinds") or ()),
        value_ranges=_ranges(entry.get("value_ranges") or {}, measures, where),
        editions=editions,
        edition_title_prefix=title_prefix,
        region_dimension=region_dim,
        regions_explicit="regions" in raw,
        edition_readings=_readings(entry.get("edition_readings"), editions, measures, where),
    )


def load_cbs_catalogue(path: Path) -> CbsCatalogue:
    """Parse and check the catalogue; errors name the file and the entry."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected a mapping with 'programme' and 'tables'")
    programme = _programme(_require(raw, "programme", str(path)), f"{path}: programme")
    defaults = raw.get("defaults") or {}
    tables = tuple(
        _table(entry, defaults, programme, f"{path}: tables[{i}]")
        for i, entry in enumerate(_require(raw, "tables", str(path)))
    )
    for attr in ("name", "table_id"):
        values = [getattr(t, attr) for t in tables]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise CatalogueError(f"{path}: duplicate table {attr}: {', '.join(dupes)}")
    # an edition belongs to one entry: two entries loading one CBS table would overwrite each other
    owners: dict[str, str] = {}
    for t in tables:
        for edition in t.editions or (t.table_id,):
            if owners.setdefault(edition, t.name) != t.name:
                raise CatalogueError(f"{path}: table {edition} is an edition of both {owners[edition]!r} "
                                     f"and {t.name!r}")
    return CbsCatalogue(programme=programme, tables=tables, path=Path(path))

"""Reads and checks ``swing_variables.yaml``: the variables of a Swing Open Data Service to fetch.

Each entry becomes a :class:`SwingVariable`, whose :meth:`SwingVariable.table` is a
:class:`~ea_pipelines.catalogue.cbs.CbsTable` with one measure (the variable): the Swing source is fetched,
checked and published by the same machinery as a CBS table (``ea_pipelines.ingest.cbs_table``), into the same
staging tables, under ``meta.load_log.source = 'swing'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ea_pipelines.catalogue.cbs import ASSET_NAME, CatalogueError, CbsTable, RegionSelection, value_range

#: a Swing variable code: it reaches URLs (Variables('<code>')), landing paths and staging.cbs_observation.table_id
VARIABLE_CODE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
#: ODS geo levels this project maps to CBS region codes, with the CBS prefix of their codes
GEO_LEVELS = {"gemeente": "GM"}
#: a geo level with its vintage (``gemeente16``, ``gemeente2024``: Swing sites name levels so) is that level
LEVEL_VINTAGE = re.compile(r"^(?P<level>[a-z]+?)(?:\d{2}|\d{4})?$", re.ASCII)


def geo_prefix(geo_level: str) -> str | None:
    """The CBS prefix of the codes of ``geo_level`` (``gemeente``, ``gemeente2024``: GM); None: not supported."""
    m = LEVEL_VINTAGE.match(geo_level)
    return GEO_LEVELS.get(m["level"]) if m else None
#: ODS period levels this project maps to CBS period codes, with the CBS suffix of their codes
PERIOD_LEVELS = {"year": "JJ00"}
LEVEL = re.compile(r"^[A-Za-z0-9_]{1,32}$")


@dataclass(frozen=True)
class SwingVariable:
    """One catalogue entry: a variable of the ODS at one geo and period level."""

    name: str
    variable: str
    title: str
    indicator: str | None
    geo_level: str
    period_level: str
    unit: str
    period_from: str | None = None  # a year, "2019"
    value_range: tuple[float | None, float | None] = (None, None)
    owners: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def table(self) -> CbsTable:
        """The entry as the shared fetch/publish machinery sees it: a table with one measure."""
        return CbsTable(
            name=self.name, table_id=self.variable, api="swing", title=self.title,
            description=f"Swing ODS variable {self.variable} at geo level {self.geo_level}, period level "
                        f"{self.period_level}" + (f"; indicator {self.indicator}" if self.indicator else ""),
            frequency="Per jaar", measures={self.variable: self.title},
            regions=RegionSelection(prefixes=(geo_prefix(self.geo_level) or "",)),
            period_from=f"{self.period_from}{PERIOD_LEVELS[self.period_level]}" if self.period_from else None,
            owners=self.owners, kinds=self.kinds,
            value_ranges={self.variable: self.value_range} if self.value_range != (None, None) else {},
        )


@dataclass(frozen=True)
class SwingCatalogue:
    site: str
    variables: tuple[SwingVariable, ...]
    path: Path

    def variable(self, name: str) -> SwingVariable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.path}: no variable named {name!r}")

    def by_code(self, code: str) -> SwingVariable:
        for v in self.variables:
            if v.variable == code:
                return v
        raise KeyError(f"{self.path}: no entry for variable {code!r}")


def _entry(raw: dict[str, Any], defaults: dict[str, Any], where: str, indicators: set[str] | None) -> SwingVariable:
    entry = {**defaults, **raw}
    name = str(entry.get("name") or "")
    where = f"{where} ({name or '?'})"
    if not ASSET_NAME.match(name):
        raise CatalogueError(f"{where}: name must be lower case letters, digits and underscores")
    code = str(entry.get("variable") or "").strip()
    if not VARIABLE_CODE.match(code):
        raise CatalogueError(f"{where}: variable {code[:80]!r} may only hold letters, digits and _ "
                             f"(pattern {VARIABLE_CODE.pattern})")
    for key in ("title", "unit"):
        if not entry.get(key):
            raise CatalogueError(f"{where}: missing required key {key!r}")
    geo, period = str(entry.get("geo_level", "")), str(entry.get("period_level", ""))
    if geo_prefix(geo) is None:
        raise CatalogueError(f"{where}: geo_level {geo!r} is not supported (supported: {', '.join(GEO_LEVELS)}, "
                             f"also with a vintage: gemeente2024)")
    if period not in PERIOD_LEVELS:
        raise CatalogueError(f"{where}: period_level {period!r} is not supported "
                             f"(supported: {', '.join(PERIOD_LEVELS)})")
    indicator = entry.get("indicator")
    if indicator is not None and indicators is not None and str(indicator) not in indicators:
        raise CatalogueError(f"{where}: indicator {indicator!r} is not in indicators.yaml")
    start = (entry.get("periods") or {}).get("from")
    if start is not None and not re.fullmatch(r"\d{4}", str(start)):
        raise CatalogueError(f"{where}: periods.from {start!r} is not a year like 2019")
    rng = value_range(entry.get("value_range") or {}, f"{where}: value_range")
    return SwingVariable(
        name=name, variable=code, title=str(entry["title"]), indicator=str(indicator) if indicator else None,
        geo_level=geo, period_level=period, unit=str(entry["unit"]), period_from=str(start) if start else None,
        value_range=rng, owners=tuple(entry.get("owners") or ()),
        kinds=tuple(entry.get("kinds") or ()),
    )


def load_swing_catalogue(path: Path, *, indicators: set[str] | None = None,
                         cbs_table_ids: set[str] | None = None) -> SwingCatalogue:
    """Parse and check the catalogue; errors name the file and the entry.

    ``indicators``: the known indicator codes (an entry naming another fails); ``cbs_table_ids``: the CBS
    catalogue's table ids, which no variable code may equal (both share ``staging.cbs_observation.table_id``).
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("variables"), list):
        raise CatalogueError(f"{path}: expected a mapping with a list 'variables'")
    defaults = raw.get("defaults") or {}
    variables = tuple(_entry(e, defaults, f"{path}: variables[{i}]", indicators)
                      for i, e in enumerate(raw["variables"]))
    for attr in ("name", "variable"):
        values = [getattr(v, attr) for v in variables]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise CatalogueError(f"{path}: duplicate {attr}: {', '.join(dupes)}")
    clash = sorted({v.variable for v in variables if v.variable.lower() in {t.lower() for t in cbs_table_ids or ()}})
    if clash:
        raise CatalogueError(f"{path}: variable code(s) {', '.join(clash)} equal a CBS table id; both are stored "
                             f"by that id in staging.cbs_observation")
    return SwingCatalogue(site=str(raw.get("site", "")), variables=variables, path=Path(path))

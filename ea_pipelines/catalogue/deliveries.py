"""Reads and checks ``deliveries.yaml``: the partner delivery types, their columns and rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, bound

COLUMN_TYPES = ("integer", "decimal", "score", "text", "period", "date", "municipality", "region")
PERIOD_KINDS = ("year", "quarter", "month")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
#: codes that select value rules (indicator codes): compared with cell values, shown in Data Docs
RULE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

#: decimals of a decimal or score column that declares none (the marts' precision for unknown sources)
DEFAULT_DECIMALS = 6

#: warehouse SQL type per column type (accepted by DuckDB and PostgreSQL)
SQL_TYPES = {"integer": "BIGINT", "decimal": "FLOAT8", "score": "FLOAT8", "text": "TEXT", "period": "TEXT",
             "date": "DATE", "municipality": "TEXT", "region": "TEXT"}


def normalise_header(text: str) -> str:
    """Header as compared: lower case, trimmed, inner spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower())


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    type: str
    description: str
    example: str
    required: bool = True
    kinds: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    max_length: int | None = None  # text only: the most characters a cell may hold
    #: decimal and score: the most decimals a cell may have, and the precision the marts keep (integer: 0)
    decimals: int | None = None

    @property
    def precision(self) -> int | None:
        """Decimals the warehouse keeps for this column: declared, 0 for integers, None for non-numbers."""
        if self.type == "integer":
            return 0
        if self.type in ("decimal", "score"):
            return DEFAULT_DECIMALS if self.decimals is None else self.decimals
        return None

    @property
    def accepted_headers(self) -> set[str]:
        return {normalise_header(h) for h in (self.header, self.name, *self.aliases)}

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        if self.type == "score":
            return (1.0 if self.min is None else self.min, 10.0 if self.max is None else self.max)
        return self.min, self.max


@dataclass(frozen=True)
class AtMost:
    """Row rule: ``column`` must not exceed ``other`` (e.g. rank at most the number ranked)."""

    column: str
    other: str


@dataclass(frozen=True)
class ValueRule:
    unit: str | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class ValueRules:
    """Per-row unit and range, chosen by the value of one column (long-form deliveries)."""

    by: str
    value: str
    unit: str | None
    rules: dict[str, ValueRule]


@dataclass(frozen=True)
class DeliveryType:
    name: str
    title: str
    supplier: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    replace_by: tuple[str, ...]
    checks: tuple[AtMost, ...] = ()
    value_rules: ValueRules | None = None
    owners: tuple[str, ...] = field(default=("team:data-engineering",))
    #: how often the partner delivers (Dutch, as in cbs_tables.yaml): the source's freshness policy in the UI
    frequency: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class DeliveryCatalogue:
    types: tuple[DeliveryType, ...]
    path: Path

    def get(self, name: str) -> DeliveryType:
        for t in self.types:
            if t.name == name:
                return t
        raise KeyError(f"{self.path}: no delivery type {name!r}")


#: number column types; each needs a plausible range in the catalogue (a score's is its scale, 1-10)
NUMBER_TYPES = ("integer", "decimal", "score")
SCORE_SCALE = (1.0, 10.0)


def _range(raw: dict[str, Any], where: str) -> tuple[float | None, float | None]:
    """A number column's ``min`` and ``max``: both required (a score may keep its 1-10 scale), min not above max."""
    low, high = bound(raw.get("min"), f"{where}: min"), bound(raw.get("max"), f"{where}: max")
    if raw["type"] not in NUMBER_TYPES:
        if low is not None or high is not None:
            raise CatalogueError(f"{where}: min and max are for number columns only")
        return low, high
    if raw["type"] == "score":
        low, high = SCORE_SCALE[0] if low is None else low, SCORE_SCALE[1] if high is None else high
    if low is None or high is None:
        raise CatalogueError(f"{where}: a {raw['type']} column needs a plausible range, min and max (a value outside "
                             "it is refused; it also catches numbers read in the wrong convention, 1.250 as 1250)")
    if low > high:
        raise CatalogueError(f"{where}: min {low:g} is above max {high:g}")
    return low, high


def _column(raw: dict[str, Any], where: str) -> Column:
    for key in ("name", "header", "type"):
        if not raw.get(key):
            raise CatalogueError(f"{where}: missing required key {key!r}")
    where = f"{where} ({raw['name']})"
    if not IDENTIFIER.match(str(raw["name"])):
        raise CatalogueError(f"{where}: name must be lower case letters, digits and underscores")
    if raw["type"] not in COLUMN_TYPES:
        raise CatalogueError(f"{where}: type must be one of {', '.join(COLUMN_TYPES)}")
    kinds = tuple(raw.get("kinds") or (PERIOD_KINDS if raw["type"] == "period" else ()))
    if any(k not in PERIOD_KINDS for k in kinds):
        raise CatalogueError(f"{where}: kinds must be out of {', '.join(PERIOD_KINDS)}")
    max_length = raw.get("max_length")
    if max_length is not None and (raw["type"] != "text" or isinstance(max_length, bool)
                                   or not isinstance(max_length, int) or max_length < 1):
        raise CatalogueError(f"{where}: max_length is a whole number of 1 or more, for text columns only")
    low, high = _range(raw, where)
    decimals = raw.get("decimals")
    if decimals is not None and (raw["type"] not in ("decimal", "score") or isinstance(decimals, bool)
                                 or not isinstance(decimals, int) or not 0 <= decimals <= DEFAULT_DECIMALS):
        raise CatalogueError(f"{where}: decimals is a whole number from 0 to {DEFAULT_DECIMALS}, "
                             "for decimal and score columns only")
    return Column(
        name=str(raw["name"]), header=str(raw["header"]), type=str(raw["type"]),
        description=str(raw.get("description", "")), example=str(raw.get("example", "")),
        required=bool(raw.get("required", True)), kinds=kinds,
        min=low, max=high,
        allowed=tuple(str(a) for a in raw.get("allowed") or ()),
        aliases=tuple(str(a) for a in raw.get("aliases") or ()), max_length=max_length, decimals=decimals,
    )


def _rule(raw: Any, where: str) -> ValueRule:
    if not isinstance(raw, dict) or not set(raw) <= {"unit", "min", "max"}:
        raise CatalogueError(f"{where} must be {{unit: .., min: .., max: ..}}")
    low, high = bound(raw.get("min"), f"{where}.min"), bound(raw.get("max"), f"{where}.max")
    if low is not None and high is not None and low > high:
        raise CatalogueError(f"{where}: min {low:g} is above max {high:g}")
    return ValueRule(raw.get("unit"), low, high)


def _delivery(name: str, raw: dict[str, Any], where: str) -> DeliveryType:
    where = f"{where} ({name})"
    if not IDENTIFIER.match(name):
        raise CatalogueError(f"{where}: delivery type names are lower case letters, digits and underscores")
    columns = tuple(_column(c, f"{where}: columns[{i}]") for i, c in enumerate(raw.get("columns") or []))
    if not columns:
        raise CatalogueError(f"{where}: no columns")
    names = [c.name for c in columns]
    headers = [h for c in columns for h in c.accepted_headers]
    if len(set(names)) != len(names) or len(set(headers)) != len(headers):
        raise CatalogueError(f"{where}: column names and headers (with aliases) must be unique")
    key = tuple(raw.get("key") or ())
    replace_by = tuple(raw.get("replace_by") or ())
    for label, cols in (("key", key), ("replace_by", replace_by)):
        unknown = [c for c in cols if c not in names]
        if not cols or unknown:
            raise CatalogueError(f"{where}: {label} must list existing columns (unknown: {unknown})")
    checks = []
    for check in raw.get("checks") or []:
        if check.get("column") not in names or check.get("at_most") not in names:
            raise CatalogueError(f"{where}: check {check} names an unknown column")
        checks.append(AtMost(check["column"], check["at_most"]))
    rules = None
    if raw.get("value_rules"):
        vr = raw["value_rules"]
        for k in ("by", "value"):
            if vr.get(k) not in names:
                raise CatalogueError(f"{where}: value_rules.{k} must name a column")
        for code in vr.get("rules") or {}:
            if not RULE_CODE.match(str(code)):
                raise CatalogueError(f"{where}: value_rules code {str(code)[:80]!r} may only hold letters, digits, "
                                     f"_, . and - (pattern {RULE_CODE.pattern})")
        rules = ValueRules(
            by=vr["by"], value=vr["value"], unit=vr.get("unit"),
            rules={str(code): _rule(r, f"{where}: value_rules.rules.{code}")
                   for code, r in (vr.get("rules") or {}).items()})
    return DeliveryType(
        name=name, title=str(raw.get("title", name)), supplier=str(raw.get("supplier", "")),
        description=" ".join(str(raw.get("description", "")).split()), columns=columns, key=key,
        replace_by=replace_by, checks=tuple(checks), value_rules=rules,
        frequency=str(raw.get("frequency") or ""),
    )


def load_delivery_catalogue(path: Path) -> DeliveryCatalogue:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("deliveries"), dict):
        raise CatalogueError(f"{path}: expected a mapping 'deliveries' of delivery types")
    types = tuple(_delivery(str(n), d, str(path)) for n, d in raw["deliveries"].items())
    return DeliveryCatalogue(types=types, path=Path(path))

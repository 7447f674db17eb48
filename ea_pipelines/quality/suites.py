"""Expectation suites as plain data, built from the catalogues. No Great Expectations import here.

A suite is a list of :class:`Expectation` s, each belonging to one named check (``schema``,
``key_unique``, ...; see ``catalogue/checks.yaml``). The runner turns them into GX expectations and
reports per check, so a Dagster asset check is one named check over one or more expectations.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ea_pipelines import clock
from ea_pipelines.catalogue.cbs import CbsTable, TableShape
from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.deliveries.values import period_start

CHECKS_FILE = Path(__file__).resolve().parents[1] / "catalogue" / "checks.yaml"
PERIOD_REGEX = r"^\d{4}(?:JJ00|KW0[1-4]|MM(?:0[1-9]|1[0-2]))$"
#: period type (characters 5-6 of a period code) -> what it is; ``fresh`` is judged per type
PERIOD_TYPES = {"JJ": "yearly", "KW": "quarterly", "MM": "monthly"}
# GX's names: an object column is checked value by value ("str", "date"); numeric dtypes by dtype name.
TEXT_TYPES = ["str"]  # text columns are handed to GX as object dtype (see _as_objects)
FLOAT_TYPES = ["float64"]
INT_TYPES = ["Int64Dtype", "int64"]

CBS_CHECKS = ("schema", "not_null", "key_unique", "regions_known", "periods_valid", "value_ranges",
              "row_count_plausible", "complete", "measures_present", "fresh")
DELIVERY_CHECKS = ("schema", "not_null", "key_unique", "regions_known", "periods_valid", "value_ranges")


@dataclass(frozen=True)
class CheckConfig:
    name: str
    severity: str  # ERROR or WARN
    description: str
    params: dict[str, Any] = field(default_factory=dict)


def load_checks(path: Path = CHECKS_FILE) -> dict[str, CheckConfig]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["checks"]
    out = {}
    for name, cfg in raw.items():
        severity = str(cfg.get("severity", "ERROR")).upper()
        if severity not in ("ERROR", "WARN"):
            raise ValueError(f"{path}: check {name}: severity must be ERROR or WARN")
        params = {k: v for k, v in cfg.items() if k not in ("severity", "description")}
        out[name] = CheckConfig(name, severity, str(cfg.get("description", "")), params)
    return out


@dataclass(frozen=True)
class Expectation:
    check: str
    type: str  # GX expectation class name, e.g. ExpectColumnValuesToBeBetween
    kwargs: dict[str, Any]


@dataclass
class Suite:
    name: str
    checks: dict[str, CheckConfig]  # the checks this suite reports, in order
    expectations: list[Expectation]
    frame: pd.DataFrame  # the data to validate, with derived columns the expectations need
    #: check -> why it has nothing to evaluate for this table (e.g. no region dimension); it passes saying so
    notes: dict[str, str] = field(default_factory=dict)


def _as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas 3 string columns as object dtype: GX's type checks do not know the new 'str' dtype."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col].dtype) and out[col].dtype != object:
            out[col] = out[col].astype(object)
    return out


def _range(column: str, low: float | None, high: float | None, check: str = "value_ranges") -> Expectation:
    return Expectation(check, "ExpectColumnValuesToBeBetween", {"column": column, "min_value": low, "max_value": high})


def _range_where(frame: pd.DataFrame, column: str, by: str, code: str, low: float | None,
                 high: float | None) -> Expectation:
    """A range for the rows where ``by`` equals ``code``: a derived column holding ``column`` on those rows and
    null elsewhere (GX skips nulls), selected with a boolean mask. No expression is built from catalogue strings
    (a pandas ``row_condition`` would evaluate one)."""
    derived = f"{column}[{by}={code}]"
    frame[derived] = frame[column].where(frame[by].astype(object) == code)
    return _range(derived, low, high)


def _period_starts(codes: pd.Series) -> pd.Series:
    """Start date of each well-formed period code (NaT for the others, which the regex check reports)."""
    ok = codes.astype("string").str.match(PERIOD_REGEX).fillna(False).astype(bool)
    starts = pd.Series(pd.NaT, index=codes.index, dtype="datetime64[ns]")
    starts[ok] = pd.to_datetime([period_start(c) for c in codes[ok]])
    return starts


def _periods(frame: pd.DataFrame, column: str, today: dt.date) -> list[Expectation]:
    frame[f"{column}__start"] = _period_starts(frame[column])
    return [Expectation("periods_valid", "ExpectColumnValuesToMatchRegex", {"column": column, "regex": PERIOD_REGEX}),
            Expectation("periods_valid", "ExpectColumnValuesToBeBetween",
                        {"column": f"{column}__start", "max_value": pd.Timestamp(today)})]


def not_applicable(shape: TableShape) -> dict[str, str]:
    """Checks that have nothing to check for a table of ``shape``, with the reason."""
    notes = {}
    if not shape.regions:
        notes["regions_known"] = "not applicable: the table has no region dimension (region_code is null)"
    if not shape.periods:
        notes["periods_valid"] = "not applicable: the table has no time dimension (period_code is null)"
        notes["fresh"] = notes["periods_valid"]
    return notes


def cbs_suite(spec: CbsTable, observations: pd.DataFrame, *, checks: dict[str, CheckConfig],
              known_regions: set[str], expected_rows: int | None, previous_rows: int | None,
              today: dt.date, shape: TableShape | None = None) -> Suite:
    """The CBS checks for ``spec``; region and period checks, ``not_null`` and the key follow ``shape``
    (the dimensions the table has; by default regions and periods)."""
    shape = shape or TableShape()
    frame = _as_objects(observations)
    exps: list[Expectation] = []
    for col, types in [("table_id", TEXT_TYPES), ("measure_code", TEXT_TYPES), ("region_code", TEXT_TYPES),
                       ("period_code", TEXT_TYPES), ("other_dimensions", TEXT_TYPES), ("value", FLOAT_TYPES)]:
        exps.append(Expectation("schema", "ExpectColumnToExist", {"column": col}))
        exps.append(Expectation("schema", "ExpectColumnValuesToBeInTypeList", {"column": col, "type_list": types}))
    for col in shape.required:
        exps.append(Expectation("not_null", "ExpectColumnValuesToNotBeNull", {"column": col}))
    exps.append(Expectation("key_unique", "ExpectCompoundColumnsToBeUnique", {"column_list": shape.key}))
    if shape.regions:
        exps.append(Expectation("regions_known", "ExpectColumnValuesToBeInSet",
                                {"column": "region_code", "value_set": sorted(known_regions | shape.region_codes)}))
    if shape.periods:
        exps += _periods(frame, "period_code", today)
    for measure, (low, high) in spec.value_ranges.items():
        exps.append(_range_where(frame, "value", "measure_code", measure, low, high))
    if previous_rows:
        drop = float(checks["row_count_plausible"].params.get("max_drop", 0.2))
        exps.append(Expectation("row_count_plausible", "ExpectTableRowCountToBeBetween",
                                {"min_value": math.ceil(previous_rows * (1 - drop))}))
    if expected_rows is not None:
        exps.append(Expectation("complete", "ExpectTableRowCountToEqual", {"value": expected_rows}))
    exps.append(Expectation("measures_present", "ExpectColumnDistinctValuesToContainSet",
                            {"column": "measure_code", "value_set": sorted(spec.measure_codes)}))
    if shape.periods:
        max_age = int(checks["fresh"].params.get("max_age_years", 3))
        codes = frame["period_code"].astype("string")
        years = pd.to_numeric(codes.str[:4], errors="coerce").astype("Float64")
        kinds = codes.str[4:6]
        masks = {k: (kinds == k).fillna(False).astype(bool) for k in PERIOD_TYPES}
        present = [k for k, mask in masks.items() if mask.any()] or ["JJ"]  # no period at all: fails on JJ
        for kind in present:  # the latest period of each type (year, quarter, month) must be recent
            frame[f"period_year__{kind}"] = years.where(masks[kind]).to_numpy(dtype="float64", na_value=math.nan)
            exps.append(Expectation("fresh", "ExpectColumnMaxToBeBetween",
                                    {"column": f"period_year__{kind}", "min_value": today.year - max_age}))
    return Suite(f"cbs_{spec.name}", {c: checks[c] for c in CBS_CHECKS}, exps, frame, not_applicable(shape))


def delivery_check_names(dtype: DeliveryType, checks: dict[str, CheckConfig]) -> list[str]:
    """The checks that apply to a delivery type (known before any data arrives, for Dagster's specs)."""
    empty = pd.DataFrame({c.name: pd.Series(dtype=object) for c in dtype.columns})
    return list(delivery_suite(dtype, empty, checks=checks, known_regions=set(), today=clock.today()).checks)


def delivery_suite(dtype: DeliveryType, rows: pd.DataFrame, *, checks: dict[str, CheckConfig],
                   known_regions: set[str], today: dt.date) -> Suite:
    frame = _as_objects(rows)
    exps: list[Expectation] = []
    types = {"integer": INT_TYPES, "decimal": FLOAT_TYPES, "score": FLOAT_TYPES, "date": ["date"]}
    for col in dtype.columns:
        exps.append(Expectation("schema", "ExpectColumnToExist", {"column": col.name}))
        exps.append(Expectation("schema", "ExpectColumnValuesToBeInTypeList",
                                {"column": col.name, "type_list": types.get(col.type, TEXT_TYPES)}))
        if col.required:
            exps.append(Expectation("not_null", "ExpectColumnValuesToNotBeNull", {"column": col.name}))
        if col.type in ("municipality", "region"):
            exps.append(Expectation("regions_known", "ExpectColumnValuesToBeInSet",
                                    {"column": col.name, "value_set": sorted(known_regions)}))
        if col.type == "period":
            exps += _periods(frame, col.name, today)
        if col.type == "date":
            frame[f"{col.name}__ts"] = pd.to_datetime(frame[col.name])
            exps.append(Expectation("periods_valid", "ExpectColumnValuesToBeBetween",
                                    {"column": f"{col.name}__ts", "max_value": pd.Timestamp(today)}))
        low, high = col.bounds
        if col.type in ("integer", "decimal", "score") and (low is not None or high is not None):
            exps.append(_range(col.name, low, high))
        if col.allowed:
            exps.append(Expectation("value_ranges", "ExpectColumnValuesToBeInSet",
                                    {"column": col.name, "value_set": list(col.allowed)}))
    if dtype.value_rules:
        vr = dtype.value_rules
        for code, rule in vr.rules.items():
            if rule.min is not None or rule.max is not None:
                exps.append(_range_where(frame, vr.value, vr.by, code, rule.min, rule.max))
    exps.append(Expectation("key_unique", "ExpectCompoundColumnsToBeUnique", {"column_list": list(dtype.key)}))
    applicable = [c for c in DELIVERY_CHECKS if any(e.check == c for e in exps)]
    return Suite(f"delivery_{dtype.name}", {c: checks[c] for c in applicable}, exps, frame)

"""Range limits in every catalogue (CBS value_ranges, Swing value_range, delivery column min/max and value rules) are
finite numbers: anything else fails the catalogue load naming the file and the entry, before a value reaches a check.
Every number column of a delivery type needs a range."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SWING_CATALOGUE

#: limits that are not numbers, as YAML can hold them (a mapping that would reach an expression parser, text,
#: booleans, NaN and the infinities, a list)
NOT_NUMBERS: list[Any] = [{"$PARAMETER": "1+1"}, "1+1", "5", "", True, False, math.nan, math.inf, -math.inf, [1],
                          {"min": 1}]
IDS = [repr(v) for v in NOT_NUMBERS]


def _write(tmp_path: Path, source: Path, mutate: Callable[[dict], None]) -> Path:
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _refused(load: Callable[[Path], Any], path: Path, entry: str) -> str:
    with pytest.raises(CatalogueError) as err:
        load(path)
    message = str(err.value)
    assert str(path) in message and entry in message, message
    return message


def _cbs_table(raw: dict) -> dict:
    return next(t for t in raw["tables"] if t.get("value_ranges"))


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=IDS)
@pytest.mark.parametrize("limit", ["min", "max"])
def test_cbs_value_ranges_accept_numbers_only(tmp_path: Path, value: Any, limit: str) -> None:
    def mutate(raw: dict) -> None:
        ranges = _cbs_table(raw)["value_ranges"]
        ranges[next(iter(ranges))] = {limit: value}
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    table = _cbs_table(raw)
    entry = f"({table['name']}): value_ranges.{next(iter(table['value_ranges']))}.{limit}"
    message = _refused(load_cbs_catalogue, _write(tmp_path, DEFAULT_CATALOGUE, mutate), entry)
    assert "is not a number" in message or "is not a finite number" in message


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=IDS)
def test_swing_value_range_accepts_numbers_only(tmp_path: Path, value: Any) -> None:
    def mutate(raw: dict) -> None:
        raw["variables"][0]["value_range"] = {"min": 0, "max": value}
    raw = yaml.safe_load(DEFAULT_SWING_CATALOGUE.read_text(encoding="utf-8"))
    entry = f"({raw['variables'][0]['name']}): value_range.max"
    message = _refused(load_swing_catalogue, _write(tmp_path, DEFAULT_SWING_CATALOGUE, mutate), entry)
    assert "is not a number" in message or "is not a finite number" in message


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=IDS)
def test_delivery_column_range_accepts_numbers_only(tmp_path: Path, value: Any) -> None:
    def mutate(raw: dict) -> None:
        raw["deliveries"]["uwv_spanningsindicator"]["columns"][2]["max"] = value
    path = _write(tmp_path, DEFAULT_DELIVERY_CATALOGUE, mutate)
    message = _refused(load_delivery_catalogue, path, "(uwv_spanningsindicator): columns[2] (indicator_value): max")
    assert "is not a number" in message or "is not a finite number" in message


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=IDS)
def test_delivery_value_rule_accepts_numbers_only(tmp_path: Path, value: Any) -> None:
    def mutate(raw: dict) -> None:
        raw["deliveries"]["kennispunt_twente"]["value_rules"]["rules"]["grond_lokaal_mkb"]["min"] = value
    path = _write(tmp_path, DEFAULT_DELIVERY_CATALOGUE, mutate)
    message = _refused(load_delivery_catalogue, path, "(kennispunt_twente): value_rules.rules.grond_lokaal_mkb.min")
    assert "is not a number" in message or "is not a finite number" in message


@pytest.mark.parametrize("dtype,index,drop", [
    (dtype, i, drop)
    for dtype, spec in yaml.safe_load(DEFAULT_DELIVERY_CATALOGUE.read_text(encoding="utf-8"))["deliveries"].items()
    for i, col in enumerate(spec["columns"]) if col["type"] in ("integer", "decimal")
    for drop in ("min", "max")])
def test_every_number_column_needs_a_range(tmp_path: Path, dtype: str, index: int, drop: str) -> None:
    """Each integer and decimal column of the bundled catalogue has both limits, and without either it is refused."""
    def mutate(raw: dict) -> None:
        del raw["deliveries"][dtype]["columns"][index][drop]
    path = _write(tmp_path, DEFAULT_DELIVERY_CATALOGUE, mutate)
    message = _refused(load_delivery_catalogue, path, f"({dtype}): columns[{index}]")
    assert "column needs a plausible range, min and max" in message


def test_min_above_max_and_a_range_on_text_are_refused(tmp_path: Path) -> None:
    def above(raw: dict) -> None:
        raw["deliveries"]["uwv_spanningsindicator"]["columns"][2].update(min=5, max=1)
    assert "min 5 is above max 1" in _refused(load_delivery_catalogue, _write(tmp_path, DEFAULT_DELIVERY_CATALOGUE,
                                                                              above), "(indicator_value)")

    def on_text(raw: dict) -> None:
        raw["deliveries"]["uwv_spanningsindicator"]["columns"][1]["max"] = 3
    assert "for number columns only" in _refused(load_delivery_catalogue, _write(tmp_path, DEFAULT_DELIVERY_CATALOGUE,
                                                                                 on_text), "(area)")

    def swing(raw: dict) -> None:
        raw["variables"][0]["value_range"] = {"min": 10, "max": 1}
    assert "min 10 is above max 1" in _refused(load_swing_catalogue, _write(tmp_path, DEFAULT_SWING_CATALOGUE, swing),
                                               "value_range")


def test_the_bundled_catalogues_load_with_numeric_ranges() -> None:
    for t in load_cbs_catalogue(DEFAULT_CATALOGUE).tables:
        for low, high in t.value_ranges.values():
            assert all(x is None or (type(x) is float and math.isfinite(x)) for x in (low, high))
    for t in load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).types:
        for c in t.columns:
            if c.type in ("integer", "decimal", "score"):
                assert type(c.min) is float and type(c.max) is float and c.min <= c.max, (t.name, c.name)

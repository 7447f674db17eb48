"""Identifiers from a catalogue are checked against strict patterns when it is loaded, and never evaluated."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cbs.transport import under
from ea_pipelines.quality.gx_runner import run_suite
from ea_pipelines.quality.suites import delivery_suite, load_checks
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE

HOSTILE = ["../../../tmp/x", "a b", "x'; DROP TABLE staging.cbs_observation; --", "$(touch /tmp/pwned)",
           "`id`", "x\ny", "x/y", "..", "", "０３７５９ned", "t" * 200, "x\"==x or __import__('os').system('id')"]


def write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    mutate(raw["tables"][0])
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return path


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("field", ["table_id", "measure", "filter dimension", "filter code"])
def test_a_hostile_identifier_is_refused_naming_file_and_entry(tmp_path: Path, field: str, value: str) -> None:
    def mutate(table: dict) -> None:
        if field == "table_id":
            table["table_id"] = value
        elif field == "measure":
            table["measures"] = {value: "Bevolking", **table["measures"]}
        elif field == "filter dimension":
            table["filters"] = {value: ["T001038"]}
        else:
            table["filters"] = {"Geslacht": [value]}

    path = write(tmp_path, mutate)
    with pytest.raises(CatalogueError) as err:
        load_cbs_catalogue(path)
    message = str(err.value)
    assert message.startswith(f"{path}: tables[0] (bevolking): ")
    if value:  # an empty table_id is reported as missing
        assert "may only hold letters, digits" in message


def test_the_bundled_catalogue_passes() -> None:
    assert [t.table_id for t in load_cbs_catalogue(DEFAULT_CATALOGUE).tables] == ["03759ned", "70072ned", "85969NED"]


@pytest.mark.parametrize("parts", [("..", "x"), ("batches", "../../etc"), ("a/b",), ("",), ("x", "..", "..")])
def test_landing_paths_stay_under_their_root(tmp_path: Path, parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="refusing a landing path outside"):
        under(tmp_path, *parts)
    assert under(tmp_path, "batches", "run-1", "03759ned") == tmp_path / "batches" / "run-1" / "03759ned"


def test_a_crafted_value_rule_code_is_refused_by_the_catalogue(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_DELIVERY_CATALOGUE.read_text())
    name, dtype = next((n, t) for n, t in raw["deliveries"].items() if t.get("value_rules"))
    dtype["value_rules"]["rules"] = {"x\" or __import__('os').system('id') or \"x": {"min": 1}}
    path = tmp_path / "deliveries.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(CatalogueError, match=r"value_rules code .* may only hold letters, digits, _, \. and -"):
        load_delivery_catalogue(path)


def test_a_value_rule_code_is_compared_never_evaluated(tmp_path: Path) -> None:
    """Even a code that slipped past the catalogue is only a value to compare with (it used to become a pandas
    query): the suite is built around the catalogue's checks, with the rule swapped for a crafted one."""
    marker = tmp_path / "pwned"
    parsed = next(t for t in load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).types if t.value_rules)
    crafted = f"x\" or __import__('os').system('touch {marker}') or \"x"
    rule = next(iter(parsed.value_rules.rules.values()))
    parsed = dataclasses.replace(parsed, value_rules=dataclasses.replace(
        parsed.value_rules, rules={crafted: dataclasses.replace(rule, min=1, max=10)}))
    rows = pd.DataFrame({c.name: [c.example if c.example is not None else "x"] * 2 for c in parsed.columns})
    rows[parsed.value_rules.by] = [crafted, "anders"]
    rows[parsed.value_rules.value] = [11.0, 11.0]  # out of range only for the crafted code's row
    suite = delivery_suite(parsed, rows, checks=load_checks(), known_regions={"GM0141"},
                           today=dt.date(2026, 11, 30))
    outcomes = {o.check: o for o in run_suite(suite, tmp_path / "docs")}
    assert not marker.exists()
    ranges = [f for f in outcomes["value_ranges"].failures if f.startswith("expect_column_values_to_be_between")]
    assert len(ranges) == 1 and ranges[0].startswith("expect_column_values_to_be_between(column='value[indicator_code=")
    assert ranges[0].endswith("min_value=1.0, max_value=10.0): 1 rows")  # the crafted code's row only

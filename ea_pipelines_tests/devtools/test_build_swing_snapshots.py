"""The bundled Swing snapshots cover the periods their catalogue declares: every year from the entry's
``periods.from`` up to UNTIL, with values (not only '?') in every year, for the programme's municipality too."""

from __future__ import annotations

import json

import pytest

from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.devtools.build_swing_snapshots import UNTIL, declared_periods
from ea_pipelines.settings import DEFAULT_SWING_CATALOGUE, DEFAULT_SWING_SNAPSHOT_DIR

CATALOGUE = load_swing_catalogue(DEFAULT_SWING_CATALOGUE)


def values(variable: str) -> list[dict]:
    folder = DEFAULT_SWING_SNAPSHOT_DIR / variable
    manifest = json.loads((folder / "manifest.json").read_text())
    rows = []
    for entry in manifest["responses"].values():
        body = json.loads((folder / entry["file"]).read_text())
        if "/Values" in body.get("@odata.context", ""):
            rows += body["value"]
    return rows


@pytest.mark.parametrize("var", CATALOGUE.variables, ids=lambda v: v.variable)
def test_a_snapshot_covers_the_periods_its_catalogue_declares(var) -> None:  # noqa: ANN001
    rows = values(var.variable)
    declared = declared_periods(var.period_from)
    assert declared[-1] == str(UNTIL) and (var.period_from is None or declared[0] == var.period_from)
    assert sorted({r["Period"] for r in rows}) == list(declared)
    with_value = {r["Period"] for r in rows if r["ValueString"] != "?"}
    assert with_value == set(declared)


@pytest.mark.parametrize("period_from,until,expected", [
    ("2019", 2025, ("2019", "2020", "2021", "2022", "2023", "2024", "2025")), ("2025", 2025, ("2025",)),
    (None, 2023, ("2021", "2022", "2023"))])
def test_declared_periods(period_from: str | None, until: int, expected: tuple[str, ...]) -> None:
    assert declared_periods(period_from, until) == expected

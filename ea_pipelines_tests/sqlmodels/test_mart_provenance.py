"""Every mart with values has a provenance column: each column holding a figure has the provenance column that
names its class (``<prefix>_provenance`` for ``<prefix>_value``, else ``provenance``), documented like every
column. Read from the project's own models, so a new mart or column is covered without a change here."""

from __future__ import annotations

import pytest

from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project

MARTS = [m for m in load_project(DEFAULT_SQL_DIR) if m.layer == "marts"]
#: columns that hold a figure: a value, a count, a population, the parts of a ratio, a change
FIGURES = ("value", "result_count", "population", "numerator", "denominator", "change")
#: not a figure from a source: the plan's target
NOT_FIGURES = {"target_value"}


def figure_columns(columns: list[str]) -> list[str]:
    return [c for c in columns if c not in NOT_FIGURES and (c in FIGURES or c.endswith("_value"))]


def provenance_of(column: str, columns: list[str]) -> str | None:
    prefix = column.removesuffix("_value") if column.endswith("_value") else column
    for candidate in (f"{prefix}_provenance", "provenance"):
        if candidate in columns:
            return candidate
    return None


@pytest.mark.parametrize("model", MARTS, ids=lambda m: m.name)
def test_every_figure_has_its_provenance_column(model) -> None:  # noqa: ANN001
    columns = list(model.columns)
    missing = [c for c in figure_columns(columns) if provenance_of(c, columns) is None]
    assert not missing, f"{model.path}: figures without a provenance column: {missing}"


def test_the_rule_sees_the_figures_it_should() -> None:
    found = {m.name: figure_columns(list(m.columns)) for m in MARTS}
    assert "result_count" in found["programme_effort"] and "value" in found["indicator_first_seen"]
    assert "size_class_value" in found["kernindicatoren"] and "target_value" not in found["dim_indicator"]
    k = list(next(m for m in MARTS if m.name == "kernindicatoren").columns)
    assert provenance_of("size_class_value", k) == "size_class_provenance"
    assert provenance_of("latest_value", k) == "provenance"

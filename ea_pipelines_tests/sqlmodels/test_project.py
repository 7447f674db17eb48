"""The SQL project: refs and sources parsed, dependency order, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import ModelError, load_project, render


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_project_loads_in_dependency_order() -> None:
    models = load_project(DEFAULT_SQL_DIR)
    position = {m.name: i for i, m in enumerate(models)}
    for m in models:
        assert all(position[r] < position[m.name] for r in m.refs), m.name
    fact = next(m for m in models if m.name == "fact_indicator_value")
    assert set(fact.refs) == {"int_indicator_cbs", "int_indicator_delivery", "dim_indicator"}
    stg = next(m for m in models if m.name == "stg_cbs_value")
    assert stg.sources == [("staging", "cbs_measure"), ("staging", "cbs_observation"), ("meta", "load_log")]
    assert {m.layer for m in models} == {"staging", "intermediate", "marts"}
    assert {"kernindicatoren", "dim_region", "dim_period", "dim_indicator", "fact_indicator_value",
            "indicator_revision"} <= set(position)


def test_render_resolves_refs_sources_and_previous() -> None:
    sql = "select * from {{ ref('a') }} join {{source('staging','cbs_observation')}} join {{ previous('a') }}"
    assert render(sql, {"a": "marts.a"}) == ("select * from marts.a join staging.cbs_observation "
                                             "join marts.a__previous")


def test_unknown_ref_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "marts/a.sql", "select 1 as x")
    bad = write(tmp_path, "marts/b.sql", "select * from {{ ref('nope') }}")
    with pytest.raises(ModelError, match=f"{bad}: ref\\('nope'\\) names no model"):
        load_project(tmp_path)


def test_cycle_names_the_file_and_the_cycle(tmp_path: Path) -> None:
    write(tmp_path, "staging/a.sql", "select * from {{ ref('c') }}")
    write(tmp_path, "intermediate/b.sql", "select * from {{ ref('a') }}")
    write(tmp_path, "marts/c.sql", "select * from {{ ref('b') }}")
    with pytest.raises(ModelError, match=r"/(a|b|c)\.sql: dependency cycle (a -> c -> b -> a|b -> a -> c -> b|"
                                         r"c -> b -> a -> c)"):
        load_project(tmp_path)


def test_other_mistakes(tmp_path: Path) -> None:
    write(tmp_path, "marts/a.sql", "select {{ var('x') }}")
    with pytest.raises(ModelError, match=r"a\.sql: unsupported template tag"):
        load_project(tmp_path)
    write(tmp_path, "marts/a.sql", "select 1 as x")
    write(tmp_path, "marts/b.sql", "select 1 as y")
    write(tmp_path, "marts/a.yml", "tests:\n  sql:\n    t: \"select * from {{ ref('b') }}\"\n")
    with pytest.raises(ModelError, match=r"a\.yml: test t refs b, which is not built before a"):
        load_project(tmp_path)
    write(tmp_path, "marts/a.yml", "materialized: incremental\n")
    with pytest.raises(ModelError, match=r"a\.yml: materialized must be one of table, view, append"):
        load_project(tmp_path)

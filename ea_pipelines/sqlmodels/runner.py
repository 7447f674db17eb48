"""Build SQL models in the warehouse, each atomically, and run their tests. No Dagster here.

A table is built as ``<model>__new`` and swapped in within one transaction, so readers see the old or
the new table, never a half-built one; a failed build leaves the old table. ``append`` models insert
their rows in one transaction. The same SQL runs on DuckDB and PostgreSQL.

On PostgreSQL every model build first takes one lock shared by all models (``warehouse.locks``), so builds from two
runs queue model by model. A lock per model was not enough: one run's ``indicator_revision`` (reading
``fact_indicator_value`` and its ``__previous``) and another run's swap of ``fact_indicator_value``
took the same two tables in opposite order and deadlocked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.sqlmodels.project import Model, render
from ea_pipelines.warehouse import locks
from ea_pipelines.warehouse.db import Warehouse

SAMPLE_ROWS = 10


@dataclass
class TestResult:
    name: str
    failing: int
    sample: pd.DataFrame

    @property
    def passed(self) -> bool:
        return self.failing == 0


def relations(models: list[Model]) -> dict[str, str]:
    return {m.name: m.relation for m in models}


def _exists(conn: sa.Connection, schema: str, name: str) -> bool:
    return sa.inspect(conn).has_table(name, schema=schema)


def _column_types(conn: sa.Connection, schema: str, name: str) -> dict[str, str]:
    """Columns of a table, in order, with their SQL types as this dialect spells them."""
    return {c["name"]: c["type"].compile(dialect=conn.dialect)
            for c in sa.inspect(conn).get_columns(name, schema=schema)}


def _add_missing_columns(conn: sa.Connection, schema: str, target: str, like: str) -> None:
    """Give ``target`` the columns of ``like`` (same schema) it lacks, empty: a column added to a model
    reaches the rows an append model kept and the ``__previous`` copy built before the column existed."""
    have = _column_types(conn, schema, target)
    for col, typ in _column_types(conn, schema, like).items():
        if col not in have:
            conn.execute(sa.text(f"ALTER TABLE {schema}.{target} ADD COLUMN {col} {typ}"))


def _whole_tables(conn: sa.Connection) -> None:
    """Plan this transaction's queries for whole-table work (PostgreSQL).

    The models and their tests read whole tables through chains of CTEs, whose sizes PostgreSQL cannot estimate
    (it assumes one row) and then joins in nested loops: quadratic, 175 s for int_indicator_cbs over 48,000 CBS
    values instead of 0.4 s with hash joins. Without nested loops the plan's cost looks huge, so JIT is off too.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL enable_nestloop = off"))
        conn.execute(sa.text("SET LOCAL jit = off"))


def build(wh: Warehouse, model: Model, rels: dict[str, str]) -> int:
    """Materialise ``model``; returns its row count."""
    sql = render(model.sql, rels).strip().rstrip(";")
    rel, name = model.relation, model.name
    with wh.engine.begin() as conn:
        locks.hold(conn, "sqlmodels")  # one model build at a time, whichever run it belongs to
        _whole_tables(conn)
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {model.layer}"))
        if model.materialized == "view":
            conn.execute(sa.text(f"CREATE OR REPLACE VIEW {rel} AS {sql}"))
        elif model.materialized == "append":
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {rel}__shape"))
            conn.execute(sa.text(f"CREATE TABLE {rel}__shape AS SELECT * FROM ({sql}) AS q WHERE 1 = 0"))
            if _exists(conn, model.layer, name):
                _add_missing_columns(conn, model.layer, name, f"{name}__shape")
            else:
                conn.execute(sa.text(f"CREATE TABLE {rel} AS SELECT * FROM {rel}__shape"))
            cols = ", ".join(_column_types(conn, model.layer, f"{name}__shape"))
            conn.execute(sa.text(f"DROP TABLE {rel}__shape"))
            conn.execute(sa.text(f"INSERT INTO {rel} ({cols}) SELECT {cols} FROM ({sql}) AS q"))
        else:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {rel}__new"))
            conn.execute(sa.text(f"CREATE TABLE {rel}__new AS {sql}"))
            if model.keep_previous:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {rel}__previous"))
                if _exists(conn, model.layer, name):
                    conn.execute(sa.text(f"ALTER TABLE {rel} RENAME TO {name}__previous"))
                    _add_missing_columns(conn, model.layer, f"{name}__previous", f"{name}__new")
                else:
                    conn.execute(sa.text(f"CREATE TABLE {rel}__previous AS SELECT * FROM {rel}__new WHERE 1 = 0"))
            else:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {rel}"))
            conn.execute(sa.text(f"ALTER TABLE {rel}__new RENAME TO {name}"))
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {rel}")).scalar())


def run_tests(wh: Warehouse, model: Model, rels: dict[str, str]) -> list[TestResult]:
    results = []
    with wh.engine.connect() as conn:
        _whole_tables(conn)
        for test in model.tests:
            sql = render(test.sql, rels).strip().rstrip(";")
            failing = int(conn.execute(sa.text(f"SELECT count(*) FROM ({sql}) AS t")).scalar())
            sample = pd.DataFrame()
            if failing:
                res = conn.execute(sa.text(f"SELECT * FROM ({sql}) AS t LIMIT {SAMPLE_ROWS}"))
                sample = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
            results.append(TestResult(test.name, failing, sample))
    return results


def build_all(wh: Warehouse, models: list[Model]) -> dict[str, list[TestResult]]:
    """Build every model in order and run its tests; returns the test results per model."""
    rels = relations(models)
    results = {}
    for model in models:
        build(wh, model, rels)
        results[model.name] = run_tests(wh, model, rels)
    return results


def columns(wh: Warehouse, model: Model) -> list[str]:
    with wh.engine.connect() as conn:
        return [c["name"] for c in sa.inspect(conn).get_columns(model.name, schema=model.layer)]

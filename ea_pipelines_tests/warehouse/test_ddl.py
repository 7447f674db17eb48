"""Schema upkeep before every load: older warehouses get the columns they lack, and an up-to-date warehouse is
left alone, without locking tables that other steps of the same run are reading (DuckDB and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines.warehouse import ddl
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import _postgres_or_skip, reset_postgres

CATALOGUE = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)


def _columns(wh: Warehouse, table: str) -> list[str]:
    schema, name = table.split(".")
    with wh.engine.connect() as conn:
        return [c["name"] for c in sa.inspect(conn).get_columns(name, schema=schema)]


def test_an_older_warehouse_gets_every_column_it_lacks_and_keeps_its_rows(warehouse: Warehouse) -> None:
    warehouse.ensure_schema(CATALOGUE)
    added = ddl.added_columns(CATALOGUE)
    dtype = CATALOGUE.types[0]
    staging = f"staging.{dtype.name}"
    dropped = {"meta.load_log": list(ddl.LOAD_LOG_ADDED)[:2], staging: [dtype.columns[-1].name]}
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO meta.load_log (load_id, batch_id, source, table_id, status, started_at) "
                             "VALUES ('old-1', 'b-1', 'cbs', '03759ned', 'started', CURRENT_TIMESTAMP)"))
        for table, cols in dropped.items():
            for col in cols:
                conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {col}"))
    assert all(c not in _columns(warehouse, t) for t, cols in dropped.items() for c in cols)

    warehouse.ensure_schema(CATALOGUE)
    warehouse.ensure_schema(CATALOGUE)  # idempotent: nothing left to add the second time

    for table, cols in added.items():
        assert set(cols) <= set(_columns(warehouse, table)), table
    with warehouse.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta.load_log WHERE load_id = 'old-1'")).scalar() == 1
        assert ddl.additions(CATALOGUE, lambda t: set(_columns(warehouse, t))) == []


@pytest.mark.postgres
def test_an_up_to_date_warehouse_is_ensured_while_another_session_reads_every_table() -> None:
    """Celery runs each step in its own process, and each ensures the schema first. An ``ALTER TABLE`` of a
    column that exists still takes an ACCESS EXCLUSIVE lock; with a model build of the same run reading those
    tables, the two deadlocked (CI, 2026-11-30). Now nothing that exists is altered, so a reader never blocks it."""
    url = _postgres_or_skip()
    reset_postgres(url)
    Warehouse(url).ensure_schema(CATALOGUE)
    impatient = Warehouse(url, pg_lock_timeout=1)
    reader = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tables = list(ddl.added_columns(CATALOGUE))
    try:
        with reader.connect() as held:  # an open transaction holding ACCESS SHARE on every table upkeep touches
            for table in tables:
                held.execute(sa.text(f"SELECT count(*) FROM {table}"))
            impatient.ensure_schema(CATALOGUE)  # would wait 1 s and raise WarehouseLocked if it altered one
            held.rollback()
    finally:
        reader.dispose()
        impatient.dispose()

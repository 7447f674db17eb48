"""Connecting to the warehouse and moving DataFrames into it by each engine's fast path.

DuckDB reads a registered DataFrame natively; PostgreSQL takes ``COPY ... FROM STDIN``. Neither path
inserts row by row, and both run inside the caller's transaction, so a bulk load is part of an
atomic publish.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from ea_pipelines.catalogue.deliveries import DeliveryCatalogue
from ea_pipelines.masking import mask
from ea_pipelines.settings import DEFAULT_PG_LOCK_TIMEOUT, DEFAULT_PG_STATEMENT_TIMEOUT, Settings
from ea_pipelines.warehouse import ddl, locks
from ea_pipelines.warehouse.ddl import SCHEMAS

_names = itertools.count()


class WarehouseError(RuntimeError):
    pass


class WarehouseLocked(WarehouseError):
    """Another process has the DuckDB file open (DuckDB allows one process per file), or on PostgreSQL
    another session held a lock the loader needed for longer than ``EA_PG_LOCK_TIMEOUT``."""


_DUCKDB_LOCK = re.compile(r"Could not set lock on file .*Conflicting lock is held in .* \(PID (\d+)\)", re.S)


def _explain_duckdb_lock(path: Path | None, ctx: sa.engine.ExceptionContext) -> None:
    """Replace DuckDB's file-lock error (raised on connect) by one that says what is going on."""
    match = _DUCKDB_LOCK.search(str(ctx.original_exception))
    if match:
        raise WarehouseLocked(
            f"the warehouse {path} is in use by another process (PID {match.group(1)}), most likely another "
            f"run: DuckDB lets one process at a time open it. Nothing was written; wait for that run to end "
            f"and start again") from ctx.original_exception


def _explain_pg_lock_timeout(engine: Engine, timeout: float, ctx: sa.engine.ExceptionContext) -> None:
    """Replace PostgreSQL's "canceling statement due to lock timeout" by who held the warehouse's locks."""
    if getattr(ctx.original_exception, "sqlstate", None) != locks.LOCK_NOT_AVAILABLE:
        return
    try:
        with engine.connect() as conn:
            held = locks.holders(conn, (*SCHEMAS, "intermediate"))
    except Exception as exc:  # the explanation must not hide the original error
        held = [f"(could not list the sessions holding locks: {type(exc).__name__})"]
    raise WarehouseLocked(
        f"waited {timeout:g} s (EA_PG_LOCK_TIMEOUT) for a lock on the warehouse and gave up; nothing of this step "
        f"was published. " + ("; ".join(held) if held else "No session holds a lock on its tables any more.")
        + " End that session (pg_terminate_backend) or wait for it, then run again") from ctx.original_exception


@dataclass
class Warehouse:
    url: str
    #: DuckDB only: memory its buffer manager may use (e.g. "512MB"); beyond it, large joins, aggregates and
    #: uncommitted appends spill to disk. None: DuckDB's default (80% of RAM).
    duckdb_memory_limit: str | None = None
    #: PostgreSQL only: seconds the loader waits for a lock, and the longest statement it runs (0: no limit)
    pg_lock_timeout: float = DEFAULT_PG_LOCK_TIMEOUT
    pg_statement_timeout: float = DEFAULT_PG_STATEMENT_TIMEOUT
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _held: Connection | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Warehouse:
        return cls(settings.warehouse_url, duckdb_memory_limit=settings.duckdb_memory_limit,
                   pg_lock_timeout=settings.pg_lock_timeout, pg_statement_timeout=settings.pg_statement_timeout)

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    @property
    def display_url(self) -> str:
        return mask(self.url)

    @property
    def duckdb_path(self) -> Path | None:
        u = make_url(self.url)
        if u.get_backend_name() != "duckdb" or u.database in (None, "", ":memory:"):
            return None
        return Path(u.database)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self.dialect not in ("duckdb", "postgresql"):
                raise WarehouseError(f"unsupported warehouse {self.display_url}: use duckdb:/// or postgresql+psycopg://")
            path = self.duckdb_path
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            connect_args: dict[str, object] = {}
            if self.dialect == "duckdb" and self.duckdb_memory_limit:
                connect_args = {"config": {"memory_limit": self.duckdb_memory_limit}}
            elif self.dialect == "postgresql":
                connect_args = {"options": (f"-c lock_timeout={int(self.pg_lock_timeout * 1000)} "
                                            f"-c statement_timeout={int(self.pg_statement_timeout * 1000)}")}
                if "application_name" not in make_url(self.url).query:  # the URL's own name wins
                    connect_args["application_name"] = locks.APPLICATION_NAME
            engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool, connect_args=connect_args)
            if path is not None:
                sa.event.listen(engine, "handle_error", lambda ctx: _explain_duckdb_lock(path, ctx))
            elif self.dialect == "postgresql":
                sa.event.listen(engine, "handle_error",
                                lambda ctx: _explain_pg_lock_timeout(engine, self.pg_lock_timeout, ctx))
            self._engine = engine
        return self._engine

    def ensure_schema(self, deliveries: DeliveryCatalogue | None = None) -> None:
        """Create what is missing and add the columns older tables lack; idempotent, run before every load."""
        with self.engine.begin() as conn:
            for stmt in ddl.creations(deliveries):
                conn.execute(sa.text(stmt))

            # One catalogue query for every table's columns (reflecting table by table took 1.5 s on DuckDB).
            columns: dict[str, set[str]] = {}
            for schema, name, column in conn.execute(sa.text(
                    "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema IN ('meta', 'raw', 'staging')")):
                columns.setdefault(f"{schema}.{name}", set()).add(column)

            def existing(table: str) -> set[str]:
                return columns.get(table, set())

            for stmt in ddl.additions(deliveries, existing) + ddl.provenance_backfill():
                conn.execute(sa.text(stmt))

    def hold_open(self) -> None:
        """DuckDB: keep one connection open until :meth:`dispose`, for the length of a run.

        Connections are not pooled (``NullPool``: no process keeps the file locked between uses). But then
        each of a run's short connections opens the file anew and checkpoints it on close, 10-15 ms each and
        about 50 in a nightly run that has nothing to do. While one connection stays open, the others join
        the database DuckDB already has open in this process. DuckDB's file lock is held meanwhile, as it
        is while a run writes anyway. PostgreSQL: nothing to do.
        """
        if self.duckdb_path is not None and self._held is None:
            self._held = self.engine.connect()

    def dispose(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _columns(conn: Connection, table: str) -> list[str]:
    """The table's columns in order, looked up once per connection (DDL does not change during a load)."""
    cache = conn.info.setdefault("ea_columns", {})
    if table not in cache:
        cache[table] = list(conn.execute(sa.text(f"SELECT * FROM {table} LIMIT 0")).keys())
    return cache[table]


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame | pa.Table) -> int:
    """Append ``frame`` (a DataFrame or an Arrow table) to ``table`` (columns by name) inside the caller's
    transaction."""
    if len(frame) == 0:
        return 0
    cols = ", ".join(frame.column_names if isinstance(frame, pa.Table) else frame.columns)
    backend = conn.dialect.name
    if backend == "postgresql" and isinstance(frame, pa.Table):
        frame = frame.to_pandas()
    driver = conn.connection.driver_connection
    if backend == "duckdb" and isinstance(frame, pa.Table) and set(frame.column_names) == set(_columns(conn, table)):
        # DuckDB's relation API copies the Arrow data into its storage; a registered Arrow table scanned by
        # INSERT ... SELECT stays referenced until the transaction ends, so memory would grow with the load.
        driver.from_arrow(frame.select(_columns(conn, table))).insert_into(table)
    elif backend == "duckdb":
        name = f"_ea_bulk_{next(_names)}"
        driver.register(name, frame)
        try:
            conn.execute(sa.text(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}"))
        finally:
            driver.unregister(name)
    elif backend == "postgresql":
        buf = io.StringIO()
        frame.to_csv(buf, index=False, header=False)
        with driver.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
    else:
        raise WarehouseError(f"no bulk path for {backend}")
    return len(frame)

"""A read-only copy of a DuckDB warehouse's marts for analysts, replaced atomically.

DuckDB locks its file per process: while an analyst's process has ``ea.duckdb`` open, even read-only,
the nightly load cannot open it for writing (it fails with "Could not set lock on file"), and while the
load writes, no reader can open it. So analysts read a copy instead. The copy is written to a temporary
file beside the target and renamed over it: a reader that has the old copy open keeps reading the old
file (on Linux and macOS a rename does not disturb open files), new readers get the new one, and the
loader never waits for anyone. On Windows a rename over an open file fails; there the publish fails and
the old copy stays.

Only the schema ``marts`` is copied (the same tables the PostgreSQL analyst role may read), without the
runner's ``__new`` / ``__previous`` working tables.
"""

from __future__ import annotations

import os
from pathlib import Path

from ea_pipelines.warehouse.db import Warehouse

SCHEMA = "marts"
#: the name the new file is attached under while it is written
COPY_ALIAS = "ea_readonly_copy"


def readonly_copy_path(warehouse_url: str, setting: str = "") -> Path | None:
    """Where the copy goes (``EA_DUCKDB_READONLY_COPY``): none for PostgreSQL or when set to ``off``."""
    from sqlalchemy.engine import make_url

    url = make_url(warehouse_url)
    if url.get_backend_name() != "duckdb" or url.database in (None, "", ":memory:") or setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    source = Path(url.database)
    return source.with_name(f"{source.stem}_readonly{source.suffix or '.duckdb'}")


def publish_readonly_copy(warehouse: Warehouse, target: Path) -> dict[str, int]:
    """Copy ``marts`` of the DuckDB ``warehouse`` into a new file and atomically replace ``target``; rows per table.

    The copy is written through the warehouse's own connection (the new file attached to it): DuckDB refuses
    to attach a file that this process already has open, as it has during a run (``Warehouse.hold_open``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        # DuckDB's own connection under SQLAlchemy's (which explains a locked file): ATTACH and CHECKPOINT
        # outside a transaction
        with warehouse.engine.connect() as conn:
            con = conn.connection.driver_connection
            con.execute("ATTACH '" + str(tmp).replace("'", "''") + f"' AS {COPY_ALIAS}")
            try:
                tables = [r[0] for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                    "AND schema_name = ? ORDER BY 1", [SCHEMA]).fetchall() if "__" not in r[0]]
                con.execute(f"CREATE SCHEMA {COPY_ALIAS}.{SCHEMA}")
                for table in tables:
                    con.execute(f'CREATE TABLE {COPY_ALIAS}.{SCHEMA}."{table}" AS SELECT * FROM {SCHEMA}."{table}"')
                    rows[table] = con.execute(f'SELECT count(*) FROM {COPY_ALIAS}.{SCHEMA}."{table}"').fetchone()[0]
                con.execute(f"CHECKPOINT {COPY_ALIAS}")
            finally:
                con.execute(f"DETACH DATABASE IF EXISTS {COPY_ALIAS}")
        with open(tmp, "rb") as fh:  # on disk before it becomes visible under the target name
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return rows

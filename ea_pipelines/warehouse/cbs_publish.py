"""Publish a fetched CBS table into ``raw`` and ``staging`` atomically and idempotently.

In one transaction: the table's previous rows are deleted from every staging table, the new rows are
bulk-inserted, the responses behind them are recorded in ``raw.cbs_response`` and the load is marked
``published`` in ``meta.load_log``. A failure or a kill at any point leaves the previous complete
version readable. A load whose content hash equals the last published one changes nothing (status
``unchanged``), so re-running the same data never duplicates it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.cbs.source import FetchResult
from ea_pipelines.warehouse import load_log
from ea_pipelines.warehouse.db import Warehouse, bulk_insert

SOURCE = "cbs"


@dataclass(frozen=True)
class PublishOutcome:
    status: str  # published or unchanged
    rows: int


def _lock(conn: sa.Connection, table_id: str) -> None:
    """Serialise publishers of the same table on PostgreSQL (DuckDB allows one writer per file anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"ea_pipelines:cbs:{table_id}"})


def publish(wh: Warehouse, result: FetchResult, *, load_id: str, force: bool = False) -> PublishOutcome:
    data = result.data
    frames: dict[str, pd.DataFrame] = {
        "staging.cbs_observation": data.observations,
        "staging.cbs_measure": data.measures.astype({"decimals": "Int64"}),
        "staging.cbs_region": data.regions,
        "staging.cbs_period": data.periods,
    }
    rows = len(data.observations)
    with wh.engine.begin() as conn:
        _lock(conn, data.table_id)
        last = load_log.last_published(conn, SOURCE, data.table_id)
        if not force and last is not None and last.content_hash == data.content_hash:
            load_log.finish(conn, load_id=load_id, status="unchanged", mode=result.mode, rows=rows,
                            content_hash=data.content_hash, message=result.note)
            return PublishOutcome("unchanged", rows)
        for table, frame in frames.items():
            conn.execute(sa.text(f"DELETE FROM {table} WHERE table_id = :t"), {"t": data.table_id})
            bulk_insert(conn, table, frame.assign(load_id=load_id))
        responses = pd.DataFrame(
            [(load_id, data.table_id, f.key, f.sha256, f.size) for f in data.responses],
            columns=["load_id", "table_id", "request_key", "sha256", "bytes"])
        bulk_insert(conn, "raw.cbs_response", responses)
        load_log.finish(conn, load_id=load_id, status="published", mode=result.mode, rows=rows,
                        content_hash=data.content_hash, message=result.note)
    return PublishOutcome("published", rows)

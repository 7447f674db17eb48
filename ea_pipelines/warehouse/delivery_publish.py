"""Publish an accepted delivery: keep it in ``raw``, replace its periods in ``staging``, log it; atomically.

``raw.<type>`` keeps every accepted file under its load id. ``staging.<type>`` holds the current
figures: rows with the same ``replace_by`` values as the new file (e.g. the same period) are replaced,
so a corrected re-delivery wins and the earlier version stays in raw.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.provenance import delivery_provenance
from ea_pipelines.warehouse import locks
from ea_pipelines.warehouse.db import Warehouse, bulk_insert


def accepted_before(conn: sa.Connection, delivery_type: str, sha256: str) -> str | None:
    """Load id of an earlier accepted delivery of exactly these bytes, if any."""
    return conn.execute(sa.text(
        "SELECT load_id FROM meta.delivery_log WHERE delivery_type = :t AND sha256 = :h AND status = 'accepted' "
        "ORDER BY received_at LIMIT 1"), {"t": delivery_type, "h": sha256}).scalar()


def log_delivery(conn: sa.Connection, *, load_id: str, delivery_type: str, file_name: str, sha256: str,
                 size: int, received_at: datetime, status: str, rows: int | None, reason: str | None,
                 stored_path: str | None) -> None:
    """Log a delivery, with its provenance class: ``illustrative`` for the exact bytes of a bundled example
    file, else ``partner`` (recognised by content, never by name; see ea_pipelines.provenance)."""
    conn.execute(sa.text(
        "INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, received_at, status, "
        "rows, reason, stored_path, provenance) VALUES (:load_id, :t, :f, :h, :b, :r, :s, :n, :reason, :p, :prov)"),
        {"load_id": load_id, "t": delivery_type, "f": file_name, "h": sha256, "b": size, "r": received_at,
         "s": status, "n": rows, "reason": reason, "p": stored_path, "prov": delivery_provenance(sha256)})


def publish_delivery(wh: Warehouse, dtype: DeliveryType, frame: pd.DataFrame, *, load_id: str, file_name: str,
                     sha256: str, size: int, received_at: datetime, stored_path: str) -> int:
    cols = [c.name for c in dtype.columns]
    with wh.engine.begin() as conn:
        locks.hold(conn, f"delivery:{dtype.name}")
        bulk_insert(conn, f"raw.{dtype.name}",
                    frame[cols + ["source_row"]].assign(load_id=load_id, source_file=file_name, sha256=sha256))
        groups = frame[list(dtype.replace_by)].drop_duplicates().to_dict("records")
        params: dict[str, object] = {}
        clauses = []
        for i, group in enumerate(groups):
            parts = []
            for j, (col, value) in enumerate(group.items()):
                params[f"p{i}_{j}"] = value
                parts.append(f"{col} = :p{i}_{j}")
            clauses.append("(" + " AND ".join(parts) + ")")
        conn.execute(sa.text(f"DELETE FROM staging.{dtype.name} WHERE " + " OR ".join(clauses)), params)
        bulk_insert(conn, f"staging.{dtype.name}",
                    frame[cols + ["source_row"]].assign(load_id=load_id, source_file=file_name))
        log_delivery(conn, load_id=load_id, delivery_type=dtype.name, file_name=file_name, sha256=sha256,
                     size=size, received_at=received_at, status="accepted", rows=len(frame), reason=None,
                     stored_path=stored_path)
    return len(frame)

"""``meta.load_log``: one row per load, written before the load starts and closed when it ends.

A load killed half-way keeps status ``running`` forever: that row is the trace of the crash, while the
published data is untouched because the publish transaction never committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ea_pipelines.masking import mask
from ea_pipelines.warehouse.db import Warehouse


@dataclass(frozen=True)
class FetchStats:
    """What a load fetched: upstream ``Modified``, the catalogue entry's fingerprint, requests, bytes, time,
    and whether the data came from a synthetic snapshot (never to be published over real figures)."""

    source_modified: str | None = None
    spec_fingerprint: str | None = None
    requests: int | None = None
    bytes: int | None = None
    elapsed_seconds: float | None = None
    provenance: str | None = None  # class of the data read (ea_pipelines.provenance): cbs_live, cbs_capture, ...
    synthetic: bool | None = None
    #: when the data was taken from its source: a replayed capture's manifest ``captured_at`` (live: the load)
    captured_at: datetime | None = None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start(wh: Warehouse, *, load_id: str, batch_id: str, source: str, table_id: str) -> None:
    with wh.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO meta.load_log (load_id, batch_id, source, table_id, started_at, status) "
                    "VALUES (:load_id, :batch_id, :source, :table_id, :now, 'running')"),
            {"load_id": load_id, "batch_id": batch_id, "source": source, "table_id": table_id, "now": utcnow()},
        )


def finish(conn: Connection, *, load_id: str, status: str, mode: str | None = None, rows: int | None = None,
           content_hash: str | None = None, message: str | None = None, fetch: FetchStats | None = None,
           only_running: bool = False) -> None:
    """Record how load ``load_id`` ended; ``only_running`` leaves a load that already ended untouched."""
    fetch = fetch or FetchStats()
    now = utcnow()
    conn.execute(
        sa.text("UPDATE meta.load_log SET status = :status, mode = :mode, rows = :rows, "
                "content_hash = :hash, finished_at = :now, message = :message, source_modified = :modified, "
                "spec_fingerprint = :fingerprint, http_requests = :requests, http_bytes = :bytes, "
                "elapsed_seconds = :elapsed, provenance = :provenance, synthetic = :synthetic, captured_at = :captured "
                "WHERE load_id = :load_id"
                + (" AND status = 'running'" if only_running else "")),
        {"status": status, "mode": mode, "rows": rows, "hash": content_hash, "now": now,
         "captured": fetch.captured_at or (now if mode == "live" else None),
         "message": mask(message or "")[:2000] or None, "load_id": load_id,
         "modified": fetch.source_modified,
         "fingerprint": fetch.spec_fingerprint, "requests": fetch.requests, "bytes": fetch.bytes,
         "elapsed": fetch.elapsed_seconds, "provenance": fetch.provenance, "synthetic": fetch.synthetic},
    )


def fail(wh: Warehouse, *, load_id: str, message: str, mode: str | None = None, status: str = "failed",
         rows: int | None = None, content_hash: str | None = None, fetch: FetchStats | None = None) -> None:
    """Mark a running load as ended without publishing; a load already published (or ended) keeps its row."""
    with wh.engine.begin() as conn:
        finish(conn, load_id=load_id, status=status, mode=mode, message=message, rows=rows, content_hash=content_hash,
               fetch=fetch, only_running=True)


def last_published(conn: Connection, source: str, table_id: str) -> sa.Row | None:
    """(load_id, content_hash, rows, finished_at, source_modified, spec_fingerprint, mode, synthetic, message)
    of the newest load that published this table."""
    return conn.execute(
        sa.text("SELECT load_id, content_hash, rows, finished_at, source_modified, spec_fingerprint, mode, synthetic, "
                "message "
                "FROM meta.load_log WHERE source = :source "
                "AND table_id = :table_id AND status = 'published' ORDER BY finished_at DESC LIMIT 1"),
        {"source": source, "table_id": table_id},
    ).first()

"""Publish a CBS table into ``raw`` and ``staging`` atomically and idempotently, streaming its rows.

In one transaction: the table's previous rows are deleted from ``staging.cbs_observation``, the new
rows are appended page by page as they arrive (memory stays at a page or two, whatever the table's
size), the rows are validated, and only then are the other staging tables replaced, the responses
recorded in ``raw.cbs_response`` and the load marked ``published`` in ``meta.load_log``. A failure, a
failed ERROR check or a kill at any point rolls back: the previous complete version stays readable
(PostgreSQL and DuckDB readers see it until the commit). A load whose content hash equals the last
published one is rolled back too and recorded ``unchanged``, so re-running the same data never
duplicates it.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from ea_pipelines.cbs.fetch import TablePlan, content_hash, to_frame
from ea_pipelines.cbs.source import TableFetch
from ea_pipelines.warehouse import load_log, locks
from ea_pipelines.warehouse.db import Warehouse, bulk_insert

SOURCE = "cbs"  # meta.load_log.source of CBS loads; another fetched source names its own (TableFetch.source_name)
OBSERVATIONS = "staging.cbs_observation"

#: (connection inside the publish transaction, the whole table as a DataFrame or None when it was too
#: large to keep, schema problems seen while streaming) -> check outcomes, each with a ``blocking`` flag. The
#: checks themselves live in ``quality`` and are passed in: the warehouse layer does not import it.
Validator = Callable[[sa.Connection, pd.DataFrame | None, list[str]], list[Any]]
#: a streamed chunk's schema -> its problems (the ``schema`` check while streaming)
ChunkInspector = Callable[[pa.Schema], list[str]]


@dataclass
class PublishOutcome:
    status: str  # published, unchanged or blocked
    rows: int
    content_hash: str
    checks: list[Any] = field(default_factory=list)  # quality.gx_runner.CheckOutcome
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: dict[str, float] = field(default_factory=dict)  # stream (fetch, parse, load), checks, commit


def _lock(conn: sa.Connection, source: str, table_id: str) -> None:
    """Serialise publishers of the same table on PostgreSQL (DuckDB allows one writer per file anyway)."""
    locks.hold(conn, f"{source}:{table_id}")


def publish_stream(wh: Warehouse, fetch: TableFetch, plan: TablePlan, *, load_id: str, force: bool = False,
                   validate: Validator | None = None, inspect_chunk: ChunkInspector | None = None,
                   keep_rows: int = 0) -> PublishOutcome:
    """Stream ``fetch``'s observations into the warehouse and publish them, or roll back.

    Tables of at most ``keep_rows`` rows (as announced) are also collected into one DataFrame for
    ``validate``; larger ones are validated where they were written (``validate`` gets None).
    """
    table_id = plan.spec.table_id
    keep = plan.expected_rows <= keep_rows
    kept: list[pd.DataFrame] = []
    schema_problems: list[str] = []
    preview = pd.DataFrame()
    rows = 0
    clock = _Clock()
    with wh.engine.connect() as conn:
        tx = conn.begin()
        try:
            _lock(conn, fetch.source_name, table_id)
            conn.execute(sa.text(f"DELETE FROM {OBSERVATIONS} WHERE table_id = :t"), {"t": table_id})
            with no_cyclic_gc():
                for chunk in fetch.chunks(plan):
                    if preview.empty:
                        preview = chunk.slice(0, 10).to_pandas()
                    if inspect_chunk is not None:
                        schema_problems += inspect_chunk(chunk.schema)
                    if keep:
                        kept.append(chunk)
                    load_ids = pa.array([load_id] * chunk.num_rows, pa.string())
                    rows += bulk_insert(conn, OBSERVATIONS, chunk.append_column("load_id", load_ids))
            digest = content_hash(fetch.transport.consumed)
            fetch.close()  # the landing manifest exists before anything commits, so every publish is replayable
            clock.lap("stream")
            last = load_log.last_published(conn, fetch.source_name, table_id)
            if not force and last is not None and last.content_hash == digest:
                # the very responses that were validated and published before: nothing to check or publish
                # (the caller carries the published load's check results over)
                tx.rollback()
                return PublishOutcome("unchanged", rows, digest, [], preview, clock.laps)
            frame = to_frame(kept) if keep else None
            checks = validate(conn, frame, schema_problems) if validate else []
            clock.lap("checks")
            if any(o.blocking for o in checks):
                tx.rollback()
                return PublishOutcome("blocked", rows, digest, checks, preview, clock.laps)
            frames = {"staging.cbs_measure": plan.measure_frame().astype({"decimals": "Int64"}),
                      "staging.cbs_region": plan.region_frame(),
                      "staging.cbs_period": plan.period_frame()}
            for table, frame in frames.items():
                conn.execute(sa.text(f"DELETE FROM {table} WHERE table_id = :t"), {"t": table_id})
                bulk_insert(conn, table, frame.assign(load_id=load_id))
            responses = pd.DataFrame(
                [(load_id, table_id, f.key, f.sha256, f.size) for f in fetch.transport.consumed],
                columns=["load_id", "table_id", "request_key", "sha256", "bytes"])
            bulk_insert(conn, "raw.cbs_response", responses)
            load_log.finish(conn, load_id=load_id, status="published", mode=fetch.mode, rows=rows,
                            content_hash=digest, message=fetch.note, fetch=stats(fetch))
            tx.commit()
            clock.lap("commit")
        except BaseException:
            if tx.is_active:
                tx.rollback()
            raise
    return PublishOutcome("published", rows, digest, checks, preview, clock.laps)


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while pages stream.

    Each page allocates some 10,000 dicts (the parsed rows); they hold no reference cycles and are freed
    by reference counting, but their allocation keeps triggering collections that walk every object in
    the process (Dagster, pandas, ...): measured, that was the largest single cost of a large load.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def stats(fetch: TableFetch) -> load_log.FetchStats:
    """What ``fetch`` cost so far, with what identifies the data it read (for the next incremental run)."""
    return load_log.FetchStats(
        source_modified=fetch.properties().modified, spec_fingerprint=fingerprint(fetch),
        requests=fetch.requests, bytes=fetch.bytes_received, elapsed_seconds=round(fetch.elapsed, 3),
        provenance=fetch.provenance, synthetic=fetch.synthetic, captured_at=fetch.captured_at)


def fingerprint(fetch: TableFetch) -> str:
    """The catalogue entry's fingerprint together with where the data came from (live or which snapshot)."""
    return f"{fetch.spec.fingerprint()}:{fetch.origin}"

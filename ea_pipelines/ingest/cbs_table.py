"""Load one catalogue table: log the start, read its Properties, then either skip (nothing changed
upstream) or stream it in, validate it and publish it atomically (or block it)."""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.source import CbsSource, TableFetch
from ea_pipelines.ingest.snapshot_policy import NOT_DONE, kept_message, modified_label, snapshot_refused
from ea_pipelines.masking import Note
from ea_pipelines.quality.gate import QualityGate, blocking, record
from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.quality.sql_checks import chunk_schema_problems
from ea_pipelines.warehouse import load_log
from ea_pipelines.warehouse.cbs_publish import fingerprint, publish_stream, stats
from ea_pipelines.warehouse.db import Warehouse

log = logging.getLogger(__name__)

#: what an incremental run leaves out when nothing changed upstream
SKIPPED = "MeasureCodes, Dimensions, dimension codes, $count, observations, quality checks, publish"


@dataclass(frozen=True)
class LoadReport:
    load_id: str
    table_id: str
    status: str  # published, unchanged, kept (a snapshot refused: see snapshot_policy) or blocked
    mode: str  # live, replay or fallback
    rows: int
    synthetic: bool
    note: Note  # metadata, the `editions` table, the log (masked: it may name the configured URL)
    content_hash: str
    manifest: Path
    requests: int
    bytes_received: int
    preview: pd.DataFrame
    checks: list[CheckOutcome] = field(default_factory=list)
    previous_load: str | None = None  # what stays published when this load is blocked
    skipped: str | None = None  # what was not fetched because nothing changed upstream (None: full fetch)
    source_modified: str | None = None
    elapsed_seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # metadata, stream, checks, commit

    def __post_init__(self) -> None:
        object.__setattr__(self, "note", Note(self.note))

    @property
    def stale(self) -> bool:
        """The published version was not refreshed (kept), or its latest period is too old (``fresh``)."""
        return self.status == "kept" or any(o.check == "fresh" and not o.passed for o in self.checks)


def new_load_id(table_id: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{table_id}-{secrets.token_hex(3)}"


def unchanged_upstream(fetch: TableFetch, previous: sa.Row | None) -> bool:
    """True when CBS's ``Modified`` (a Swing variable's ``LastUpdate``) and the catalogue entry (and origin) equal
    the last published load's."""
    modified = fetch.properties().modified
    return (previous is not None and modified is not None and previous.source_modified == modified
            and previous.spec_fingerprint == fingerprint(fetch))


def load_cbs_table(spec: CbsTable, source: CbsSource, wh: Warehouse, *, batch_id: str,
                   gate: QualityGate | None = None, asset: str | None = None, force: bool = False,
                   full_fetch: bool = False, replace_published: bool = False) -> LoadReport:
    """Fetch ``spec``, validate it with ``gate`` (when given) and publish it unless an ERROR check fails.

    Unless ``force`` or ``full_fetch``, a table whose Properties show the same ``Modified`` as the last
    published load, fetched for the same catalogue entry, is not fetched further: the load is logged
    ``unchanged`` with a message saying what was skipped. ``force`` also republishes identical data.
    A snapshot (replay, or fallback when CBS is unreachable) that may not replace the published version
    (:func:`snapshot_refused`) is not published: the load is logged ``kept`` and the table is stale;
    ``replace_published`` publishes it anyway.
    On any exception the load is logged as failed and re-raised.
    """
    load_id = new_load_id(spec.table_id)
    asset = asset or f"cbs/{spec.name}"
    load_log.start(wh, load_id=load_id, batch_id=batch_id, source=source.name, table_id=spec.table_id)
    fetch: TableFetch | None = None
    previous: sa.Row | None = None
    try:
        with wh.engine.connect() as conn:
            previous = load_log.last_published(conn, source.name, spec.table_id)
        fetch = source.open(spec, batch_id)
        refused = None if replace_published else snapshot_refused(fetch, previous)
        if refused is not None:
            return _keep(spec, fetch, wh, previous, refused, load_id=load_id, batch_id=batch_id, gate=gate,
                         asset=asset)
        if not (force or full_fetch) and unchanged_upstream(fetch, previous):
            report = _skip(spec, fetch, wh, previous, load_id=load_id, batch_id=batch_id, gate=gate, asset=asset)
            if report is not None:
                return report
        plan = fetch.plan()
        metadata_seconds = round(fetch.elapsed, 3)

        def validate(conn, frame, schema_problems):
            if gate is None:
                return []
            return gate.check_cbs_table(conn, spec, frame, expected_rows=plan.expected_rows,
                                        previous_rows=previous.rows if previous else None,
                                        schema_problems=schema_problems, shape=plan.shape)

        outcome = publish_stream(wh, fetch, plan, load_id=load_id, force=force, validate=validate,
                                 inspect_chunk=chunk_schema_problems, keep_rows=gate.gx_max_rows if gate else 0)
        if outcome.status == "unchanged" and gate is not None and previous is not None:
            # identical responses: the published load's results hold for them (GX is not even imported)
            outcome.checks = gate.carried_over(wh, previous.load_id, spec.table_id)
        record(wh, outcome.checks, run_id=batch_id, load_id=load_id, asset=asset)
        if outcome.status == "blocked":
            kept = f"staging keeps load {previous.load_id}" if previous else "nothing was published before"
            message = f"blocked by failed checks: {', '.join(o.check for o in blocking(outcome.checks))}; {kept}"
            load_log.fail(wh, load_id=load_id, status="blocked", mode=fetch.mode, message=message,
                          rows=outcome.rows, content_hash=outcome.content_hash, fetch=stats(fetch))
            log.error("%s: %s", spec.table_id, message)
        elif outcome.status == "unchanged":
            with wh.engine.begin() as conn:
                load_log.finish(conn, load_id=load_id, status="unchanged", mode=fetch.mode, rows=outcome.rows,
                                content_hash=outcome.content_hash, message=fetch.note, fetch=stats(fetch))
    except Exception as exc:
        stays = (f"; the published version (load {previous.load_id}) stays published" if previous is not None
                 else "")
        load_log.fail(wh, load_id=load_id, message=f"{type(exc).__name__}: {exc}{stays}",
                      fetch=stats(fetch) if fetch is not None and fetch.properties_read else None)
        if fetch is not None:
            with contextlib.suppress(OSError):  # the landing manifest is a trace; a full disk must not hide exc
                fetch.close()
        raise
    log.info("%s: %s %d rows in %.1f s (%s)", spec.table_id, outcome.status, outcome.rows, fetch.elapsed, fetch.note)
    return LoadReport(
        load_id=load_id, table_id=spec.table_id, status=outcome.status, mode=fetch.mode, rows=outcome.rows,
        synthetic=fetch.synthetic, note=fetch.note, content_hash=outcome.content_hash,
        manifest=fetch.manifest or Path(), requests=fetch.requests, bytes_received=fetch.bytes_received,
        preview=outcome.preview, checks=outcome.checks, previous_load=previous.load_id if previous else None,
        source_modified=fetch.properties().modified, elapsed_seconds=round(fetch.elapsed, 3),
        phase_seconds={"metadata": metadata_seconds, **outcome.seconds},
    )


def _skip(spec: CbsTable, fetch: TableFetch, wh: Warehouse, previous: sa.Row, *, load_id: str, batch_id: str,
          gate: QualityGate | None, asset: str) -> LoadReport | None:
    """Record an ``unchanged`` load that fetched only metadata; None when it cannot be skipped honestly.

    The checks of the published load validated exactly the rows that stay published, so their results are
    carried over (marked as such). Without recorded results (a load published without the gate), the
    table is fetched in full instead.
    """
    checks: list[CheckOutcome] = []
    if gate is not None:
        checks = gate.carried_over(wh, previous.load_id, spec.table_id)
        if not checks:
            return None
        record(wh, checks, run_id=batch_id, load_id=load_id, asset=asset)
    modified = fetch.properties().modified
    message = (f"skipped the data fetch: {modified_label(fetch.source_name)} {modified} and the catalogue entry "
               f"are unchanged since "
               f"load {previous.load_id}; not fetched: {SKIPPED} ({fetch.note})")
    fetch.close()
    with wh.engine.begin() as conn:
        load_log.finish(conn, load_id=load_id, status="unchanged", mode=fetch.mode, rows=previous.rows,
                        content_hash=previous.content_hash, message=message, fetch=stats(fetch))
    preview = _published_preview(wh, spec.table_id)
    log.info("%s: %s", spec.table_id, message)
    return LoadReport(
        load_id=load_id, table_id=spec.table_id, status="unchanged", mode=fetch.mode, rows=previous.rows or 0,
        synthetic=fetch.synthetic, note=message, content_hash=previous.content_hash or "",
        manifest=fetch.manifest or Path(), requests=fetch.requests, bytes_received=fetch.bytes_received,
        preview=preview, checks=checks, previous_load=previous.load_id, skipped=SKIPPED,
        source_modified=modified, elapsed_seconds=round(fetch.elapsed, 3),
    )


def _keep(spec: CbsTable, fetch: TableFetch, wh: Warehouse, previous: sa.Row, reason: str, *, load_id: str,
          batch_id: str, gate: QualityGate | None, asset: str) -> LoadReport:
    """Record a ``kept`` load: the snapshot in ``fetch`` is not published over ``previous``, which stays.

    The published version's checks are carried over, and ``fresh`` fails: the table was not refreshed.
    The log row describes the version that stays published (its rows, hash, CBS ``Modified``).
    """
    message = kept_message(fetch, previous, reason)
    checks: list[CheckOutcome] = []
    if gate is not None:
        checks = gate.carried_over(wh, previous.load_id, spec.table_id, not_refreshed=message)
        record(wh, checks, run_id=batch_id, load_id=load_id, asset=asset)
    fetch.close()
    kept = load_log.FetchStats(source_modified=previous.source_modified, spec_fingerprint=previous.spec_fingerprint,
                               requests=fetch.requests, bytes=fetch.bytes_received,
                               elapsed_seconds=round(fetch.elapsed, 3), synthetic=previous.synthetic)
    with wh.engine.begin() as conn:
        load_log.finish(conn, load_id=load_id, status="kept", mode=fetch.mode, rows=previous.rows,
                        content_hash=previous.content_hash, message=message, fetch=kept)
    preview = _published_preview(wh, spec.table_id)
    log.warning("%s: %s", spec.table_id, message)
    return LoadReport(
        load_id=load_id, table_id=spec.table_id, status="kept", mode=fetch.mode, rows=previous.rows or 0,
        synthetic=bool(previous.synthetic), note=message, content_hash=previous.content_hash or "",
        manifest=fetch.manifest or Path(), requests=fetch.requests, bytes_received=fetch.bytes_received,
        preview=preview, checks=checks, previous_load=previous.load_id, skipped=NOT_DONE,
        source_modified=previous.source_modified, elapsed_seconds=round(fetch.elapsed, 3),
    )


def _published_preview(wh: Warehouse, table_id: str) -> pd.DataFrame:
    """The first rows of the published version of ``table_id`` (asset metadata of a load that wrote nothing)."""
    with wh.engine.connect() as conn:
        return pd.read_sql(sa.text("SELECT table_id, measure_code, region_code, period_code, other_dimensions, "
                                   "value, value_attribute, period_status FROM staging.cbs_observation "
                                   "WHERE table_id = :t LIMIT 10"), conn, params={"t": table_id})

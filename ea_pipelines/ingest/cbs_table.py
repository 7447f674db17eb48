"""Load one catalogue table: log the start, fetch it (live, replay or fallback), publish it atomically."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.quality.gate import QualityGate, blocking, record
from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.warehouse import load_log
from ea_pipelines.warehouse.cbs_publish import SOURCE, publish
from ea_pipelines.warehouse.db import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    load_id: str
    table_id: str
    status: str  # published, unchanged or blocked (an ERROR check failed: nothing published)
    mode: str  # live, replay or fallback
    rows: int
    synthetic: bool
    note: str
    content_hash: str
    manifest: Path
    requests: int
    bytes_received: int
    preview: pd.DataFrame
    checks: list[CheckOutcome] = field(default_factory=list)
    previous_load: str | None = None  # what stays published when this load is blocked


def new_load_id(table_id: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{table_id}-{secrets.token_hex(3)}"


def load_cbs_table(spec: CbsTable, source: CbsSource, wh: Warehouse, *, batch_id: str,
                   gate: QualityGate | None = None, asset: str | None = None, force: bool = False) -> LoadReport:
    """Fetch ``spec``, validate it with ``gate`` (when given) and publish it unless an ERROR check fails.

    On any exception the load is logged as failed and re-raised.
    """
    load_id = new_load_id(spec.table_id)
    load_log.start(wh, load_id=load_id, batch_id=batch_id, source=SOURCE, table_id=spec.table_id)
    checks: list[CheckOutcome] = []
    try:
        result = source.fetch(spec, batch_id)
        data = result.data
        with wh.engine.connect() as conn:
            previous = load_log.last_published(conn, SOURCE, spec.table_id)
        if gate is not None:
            checks = gate.check_cbs(spec, data.observations, expected_rows=data.expected_rows,
                                    previous_rows=previous.rows if previous else None)
            record(wh, checks, run_id=batch_id, load_id=load_id, asset=asset or f"cbs/{spec.name}")
        blockers = blocking(checks)
        if blockers:
            kept = f"staging keeps load {previous.load_id}" if previous else "nothing was published before"
            message = f"blocked by failed checks: {', '.join(o.check for o in blockers)}; {kept}"
            load_log.fail(wh, load_id=load_id, status="blocked", mode=result.mode, message=message,
                          rows=len(data.observations), content_hash=data.content_hash)
            log.error("%s: %s", spec.table_id, message)
            status, rows = "blocked", len(data.observations)
        else:
            outcome = publish(wh, result, load_id=load_id, force=force)
            status, rows = outcome.status, outcome.rows
    except Exception as exc:
        load_log.fail(wh, load_id=load_id, message=f"{type(exc).__name__}: {exc}")
        raise
    log.info("%s: %s %d rows (%s)", spec.table_id, status, rows, result.note)
    return LoadReport(
        load_id=load_id, table_id=spec.table_id, status=status, mode=result.mode, rows=rows,
        synthetic=result.synthetic, note=result.note, content_hash=data.content_hash,
        manifest=result.manifest, requests=result.requests, bytes_received=result.bytes_received,
        preview=data.observations.head(10), checks=checks, previous_load=previous.load_id if previous else None,
    )

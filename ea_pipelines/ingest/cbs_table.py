"""Load one catalogue table: log the start, fetch it (live, replay or fallback), publish it atomically."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.warehouse import load_log
from ea_pipelines.warehouse.cbs_publish import SOURCE, publish
from ea_pipelines.warehouse.db import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    load_id: str
    table_id: str
    status: str  # published or unchanged
    mode: str  # live, replay or fallback
    rows: int
    synthetic: bool
    note: str
    content_hash: str
    manifest: Path
    requests: int
    bytes_received: int
    preview: pd.DataFrame


def new_load_id(table_id: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{table_id}-{secrets.token_hex(3)}"


def load_cbs_table(spec: CbsTable, source: CbsSource, wh: Warehouse, *, batch_id: str,
                   force: bool = False) -> LoadReport:
    """Fetch and publish ``spec``; on any failure the load is logged as failed and re-raised."""
    load_id = new_load_id(spec.table_id)
    load_log.start(wh, load_id=load_id, batch_id=batch_id, source=SOURCE, table_id=spec.table_id)
    try:
        result = source.fetch(spec, batch_id)
        outcome = publish(wh, result, load_id=load_id, force=force)
    except Exception as exc:
        load_log.fail(wh, load_id=load_id, message=f"{type(exc).__name__}: {exc}")
        raise
    log.info("%s: %s %d rows (%s)", spec.table_id, outcome.status, outcome.rows, result.note)
    return LoadReport(
        load_id=load_id, table_id=spec.table_id, status=outcome.status, mode=result.mode, rows=outcome.rows,
        synthetic=result.synthetic, note=result.note, content_hash=result.data.content_hash,
        manifest=result.manifest, requests=result.requests, bytes_received=result.bytes_received,
        preview=result.data.observations.head(10),
    )

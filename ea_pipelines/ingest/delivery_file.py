"""Process one delivered file: recognise it, validate it, publish or refuse it, and move it on.

Order matters for "nothing lost, nothing duplicated": the warehouse transaction commits first and
the file moves after. A crash in between leaves the file in the inbox with its hash already logged
as accepted, so the next run archives it as a duplicate instead of loading it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.deliveries import inbox
from ea_pipelines.deliveries.messages import rejection_text
from ea_pipelines.deliveries.problems import Problem, Rejected
from ea_pipelines.deliveries.reading import Limits, check_file_name, check_size
from ea_pipelines.deliveries.validate import parse_delivery
from ea_pipelines.quality.gate import QualityGate, blocking, record
from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines.warehouse.delivery_publish import accepted_before, log_delivery, publish_delivery
from ea_pipelines.warehouse.load_log import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryOutcome:
    file_name: str
    status: str  # accepted, rejected or duplicate
    rows: int
    reason: str | None
    stored_path: Path | None
    load_id: str
    sha256: str | None
    preview: pd.DataFrame | None = None
    checks: list[CheckOutcome] = field(default_factory=list)


def new_load_id(delivery_type: str) -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{delivery_type}-{secrets.token_hex(3)}"


def _refuse_name(dtype: DeliveryType, name: str, wh: Warehouse, exc: Rejected, load_id: str) -> DeliveryOutcome:
    """A name with path components is never opened or moved; only the refusal is logged."""
    reason = rejection_text(dtype, name, exc.problems, dt.datetime.now())
    with wh.engine.begin() as conn:
        log_delivery(conn, load_id=load_id, delivery_type=dtype.name, file_name=name, sha256="-", size=0,
                     received_at=utcnow(), status="rejected", rows=0, reason=reason, stored_path=None)
    return DeliveryOutcome(name, "rejected", 0, reason, None, load_id, None)


def staged_after(wh: Warehouse, dtype: DeliveryType, new: pd.DataFrame) -> pd.DataFrame:
    """What ``staging.<type>`` would hold after publishing ``new``: the data the quality gate checks."""
    cols = [c.name for c in dtype.columns]
    with wh.engine.connect() as conn:
        current = pd.DataFrame(conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM staging.{dtype.name}").fetchall(),
                               columns=cols)
    replaced = new[list(dtype.replace_by)].drop_duplicates().astype(str)
    keep = ~current[list(dtype.replace_by)].astype(str).apply(tuple, axis=1).isin(replaced.apply(tuple, axis=1))
    combined = pd.concat([current[keep], new[cols]], ignore_index=True)
    for col in dtype.columns:
        if col.type == "integer":
            combined[col.name] = pd.to_numeric(combined[col.name]).astype("Int64")
        elif col.type in ("decimal", "score"):
            combined[col.name] = pd.to_numeric(combined[col.name]).astype("float64")
    return combined


def _quarantine(dtype: DeliveryType, path: Path, name: str, folders: inbox.Folders, wh: Warehouse, sha: str,
                size: int, received: dt.datetime, load_id: str, problems: list[Problem],
                checks: list[CheckOutcome] | None = None) -> DeliveryOutcome:
    reason = rejection_text(dtype, name, problems, dt.datetime.now())
    dest = inbox.quarantine(path, folders, dtype.name, sha, reason)
    with wh.engine.begin() as conn:
        log_delivery(conn, load_id=load_id, delivery_type=dtype.name, file_name=name, sha256=sha, size=size,
                     received_at=received, status="rejected", rows=0, reason=reason, stored_path=str(dest))
    log.warning("%s/%s rejected: %s", dtype.name, name, "; ".join(str(p) for p in problems[:5]))
    return DeliveryOutcome(name, "rejected", 0, reason, dest, load_id, sha, checks=checks or [])


def process_file(dtype: DeliveryType, name: str, folders: inbox.Folders, wh: Warehouse, regions: RegionIndex, *,
                 limits: Limits | None = None, today: dt.date | None = None, gate: QualityGate | None = None,
                 run_id: str = "-") -> DeliveryOutcome:
    """Process ``name`` from the inbox folder of ``dtype``."""
    load_id = new_load_id(dtype.name)
    try:
        check_file_name(name)
    except Rejected as exc:
        return _refuse_name(dtype, name, wh, exc, load_id)
    path = folders.inbox_for(dtype.name) / name
    limits = limits or Limits()
    size = path.stat().st_size
    if size > limits.max_bytes:  # an oversized file is hashed as a stream, never read whole
        data, sha = None, inbox.sha256_file(path)
    else:  # hash the very bytes that are parsed
        data = path.read_bytes()
        size, sha = len(data), hashlib.sha256(data).hexdigest()
    received = utcnow()
    with wh.engine.connect() as conn:
        earlier = accepted_before(conn, dtype.name, sha)
    if earlier:
        dest = inbox.move(path, inbox.archive_path(path, folders, dtype.name, sha, f"{received:%Y-%m-%d}"), sha)
        with wh.engine.begin() as conn:
            log_delivery(conn, load_id=load_id, delivery_type=dtype.name, file_name=name, sha256=sha,
                         size=size, received_at=received, status="duplicate", rows=0,
                         reason=f"zelfde inhoud als levering {earlier}", stored_path=str(dest))
        log.info("%s/%s: same bytes as load %s; archived, nothing changed", dtype.name, name, earlier)
        return DeliveryOutcome(name, "duplicate", 0, None, dest, load_id, sha)
    try:
        check_size(size, limits)
        parsed = parse_delivery(dtype, name, data or b"", regions, today=today, limits=limits)
    except Rejected as exc:
        return _quarantine(dtype, path, name, folders, wh, sha, size, received, load_id, exc.problems)
    checks: list[CheckOutcome] = []
    if gate is not None:
        checks = gate.check_delivery(dtype, staged_after(wh, dtype, parsed.frame))
        record(wh, checks, run_id=run_id, load_id=load_id, asset=f"deliveries/{dtype.name}")
        if blocking(checks):
            problems = [Problem(f"de gegevens halen de kwaliteitscontrole '{o.check}' niet ({o.description}); "
                                f"{o.unexpected} rijen wijken af") for o in blocking(checks)]
            return _quarantine(dtype, path, name, folders, wh, sha, size, received, load_id, problems, checks)
    dest = inbox.archive_path(path, folders, dtype.name, sha, f"{received:%Y-%m-%d}")
    rows = publish_delivery(wh, dtype, parsed.frame, load_id=load_id, file_name=name, sha256=sha,
                            size=size, received_at=received, stored_path=str(dest))
    inbox.move(path, dest, sha)
    log.info("%s/%s accepted: %d rows (%s)", dtype.name, name, rows, parsed.form)
    return DeliveryOutcome(name, "accepted", rows, None, dest, load_id, sha, parsed.frame.head(10), checks)

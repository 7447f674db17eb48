"""Process one delivered file: recognise it, validate it, publish or refuse it, and move it on.

Order matters for "nothing lost, nothing duplicated": the warehouse transaction commits first and
the file moves after. A crash in between leaves the file in the inbox with its hash already logged
as accepted, so the next run archives it as a duplicate instead of loading it twice.

One file can never stop the run: whatever goes wrong while reading, parsing or checking it ends in
quarantine with a Dutch reason. Only errors of the warehouse itself (SQLAlchemy errors) propagate. A
file that cannot be moved out of the inbox is logged once as ``stuck`` and then left alone until its
bytes change.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.deliveries import inbox
from ea_pipelines.deliveries.messages import rejection_text
from ea_pipelines.deliveries.problems import Problem, Rejected
from ea_pipelines.deliveries.reading import Limits, check_file_name, check_size
from ea_pipelines.deliveries.validate import parse_delivery
from ea_pipelines.deliveries.values import shorten
from ea_pipelines.quality.gate import QualityGate, blocking, record
from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines.warehouse.delivery_publish import (
    Replacement,
    accepted_before,
    db_text,
    log_delivery,
    publish_delivery,
    stuck_before,
)
from ea_pipelines.warehouse.load_log import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryOutcome:
    file_name: str
    status: str  # accepted, rejected, duplicate, stuck (could not leave the inbox), waiting (not settled), gone,
    #              unsafe (a folder on its way is a symlink or not ours: left alone, never opened)
    rows: int
    reason: str | None
    stored_path: Path | None
    load_id: str
    sha256: str | None
    preview: pd.DataFrame | None = None
    checks: list[CheckOutcome] = field(default_factory=list)
    replaced: Replacement | None = None


def new_load_id(delivery_type: str) -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{delivery_type}-{secrets.token_hex(3)}"


NOT_REGULAR = {
    "symlink": "een snelkoppeling (symbolische link) naar een ander bestand",
    "folder": "een map",
    "pipe": "geen gewoon bestand (een pipe)",
    "socket": "geen gewoon bestand (een socket)",
    "device": "geen gewoon bestand (een apparaat)",
    "other": "geen gewoon bestand",
}


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


@dataclass(frozen=True)
class _File:
    """One inbox entry being processed: where it is, what was read, and how it is logged."""

    dtype: DeliveryType
    name: str
    path: Path
    folders: inbox.Folders
    wh: Warehouse
    load_id: str
    received: dt.datetime
    sha: str
    size: int
    seen: os.stat_result
    data: bytes | None  # None: over the size limit, or not a regular file

    def log(self, status: str, reason: str | None, stored: Path | None, rows: int = 0) -> None:
        with self.wh.engine.begin() as conn:
            log_delivery(conn, load_id=self.load_id, delivery_type=self.dtype.name, file_name=self.name,
                         sha256=self.sha, size=self.size, received_at=self.received, status=status, rows=rows,
                         reason=reason, stored_path=str(stored) if stored else None)


def _put(f: _File, dest: Path) -> Path:
    """Put the file at ``dest`` (from the bytes read, or by rename when they were not kept) and take it out
    of the inbox. A newer version written meanwhile stays in the inbox for the next run. Both folders are
    checked again first (:class:`inbox.UnsafeFolder` when one became a symlink meanwhile)."""
    f.folders.guard(f.path.parent)
    f.folders.guard(dest.parent)
    if f.data is not None:
        inbox.store(f.data, dest)
        inbox.remove_if_unchanged(f.path, f.seen)
    elif stat.S_ISREG(f.seen.st_mode):  # over the size limit: renamed (or copied and verified by hash)
        inbox.move(f.path, dest, f.sha)
    elif os.path.lexists(dest):
        f.path.unlink()
    else:
        os.rename(f.path, dest)  # never opened: a symlink is moved as a link, a folder as a folder
    return dest


def _stuck(f: _File, reason: str, exc: OSError) -> DeliveryOutcome:
    why = f"{type(exc).__name__}: {os.strerror(exc.errno) if exc.errno else exc}"
    text = reason + (f"\nHet bestand kon niet uit de inbox worden gehaald ({why}). Het blijft staan en wordt "
                     "niet opnieuw verwerkt zolang het niet verandert; haal het weg of lever het opnieuw aan.\n")
    f.log("stuck", text, None)
    log.error("%s/%r: could not leave the inbox (%s); logged once, left alone", f.dtype.name, db_text(f.name), why)
    return DeliveryOutcome(f.name, "stuck", 0, text, None, f.load_id, f.sha)


def _quarantine(f: _File, problems: list[Problem], checks: list[CheckOutcome] | None = None) -> DeliveryOutcome:
    reason = rejection_text(f.dtype, f.name, problems, dt.datetime.now())
    try:
        dest = inbox.quarantine_path(f.name, f.folders, f.dtype.name, f.sha.split(":")[-1])
        inbox.store(reason.encode("utf-8", "surrogateescape"), inbox.reason_path(dest, f.sha.split(":")[-1]))
        _put(f, dest)
    except OSError as exc:
        return _stuck(f, reason, exc)
    f.log("rejected", reason, dest)
    log.warning("%s/%r rejected: %s", f.dtype.name, db_text(f.name), "; ".join(str(p) for p in problems[:5]))
    return DeliveryOutcome(f.name, "rejected", 0, reason, dest, f.load_id, f.sha, checks=checks or [])


def _unexpected(exc: Exception, stage: str) -> Problem:
    return Problem(f"het bestand kon niet {stage} worden door een onverwachte fout ({type(exc).__name__}: "
                   f"{shorten(str(exc), 120)}). Sla het opnieuw op met het sjabloon; helpt dat niet, neem dan "
                   "contact op met de gemeente en vermeld de bestandsnaam")


def left_alone(dtype: DeliveryType, name: str, problems: list[str], load_id: str = "-") -> DeliveryOutcome:
    """The outcome for a file below an unsafe folder: not read, moved or deleted, and not logged as a delivery
    (it is not the partner's doing); the reason says which folder, for the run's log and metadata."""
    reason = "; ".join(problems)
    log.warning("%s/%r left alone: %s", dtype.name, db_text(name), reason)
    return DeliveryOutcome(name, "unsafe", 0, f"left alone, not opened: {reason}", None, load_id, None)


def process_file(dtype: DeliveryType, name: str, folders: inbox.Folders, wh: Warehouse, regions: RegionIndex, *,
                 limits: Limits | None = None, today: dt.date | None = None, gate: QualityGate | None = None,
                 run_id: str = "-", settle_seconds: float = 0.0) -> DeliveryOutcome:
    """Process ``name`` from the inbox folder of ``dtype``; nothing happens to it while a folder on its way
    (inbox, archive or quarantine, from the root down) is a symlink or not owned by this user."""
    load_id = new_load_id(dtype.name)
    try:
        check_file_name(name)
    except Rejected as exc:
        return _refuse_name(dtype, name, wh, exc, load_id)
    problems = folders.problems(dtype.name)
    if problems:
        return left_alone(dtype, name, problems, load_id)
    try:
        return _process_file(dtype, name, folders, wh, regions, load_id, limits, today, gate, run_id, settle_seconds)
    except inbox.UnsafeFolder as exc:  # a folder was swapped for a link while the file was read
        return left_alone(dtype, name, [str(exc)], load_id)


def _process_file(dtype: DeliveryType, name: str, folders: inbox.Folders, wh: Warehouse, regions: RegionIndex,
                  load_id: str, limits: Limits | None, today: dt.date | None, gate: QualityGate | None,
                  run_id: str, settle_seconds: float) -> DeliveryOutcome:
    path = folders.inbox_for(dtype.name) / name
    limits = limits or Limits()
    received = utcnow()
    try:
        snap = inbox.read_once(path, settle_seconds, limits.max_bytes)
    except FileNotFoundError:  # taken by another run since it was listed
        log.info("%s/%r: no longer in the inbox", dtype.name, db_text(name))
        return DeliveryOutcome(name, "gone", 0, None, None, load_id, None)
    except inbox.NotSettled:
        log.info("%s/%r: still changing; left for a later run", dtype.name, db_text(name))
        return DeliveryOutcome(name, "waiting", 0, None, None, load_id, None)
    except inbox.NotRegular as exc:
        st = os.lstat(path)
        f = _File(dtype, name, path, folders, wh, load_id, received, inbox.entry_key(path, st), 0, st, None)
        with wh.engine.connect() as conn:
            if stuck_before(conn, dtype.name, f.sha):
                return DeliveryOutcome(name, "stuck", 0, None, None, load_id, f.sha)
        return _quarantine(f, [Problem(f"dit is {NOT_REGULAR[exc.kind]}; dat wordt niet gevolgd en niet "
                                       "geopend. Zet het bestand zelf in de map")])
    except OSError as exc:  # unreadable (permissions, I/O): nothing can be said about its content
        st = os.lstat(path)
        f = _File(dtype, name, path, folders, wh, load_id, received, inbox.entry_key(path, st), st.st_size, st, None)
        with wh.engine.connect() as conn:
            if stuck_before(conn, dtype.name, f.sha):
                return DeliveryOutcome(name, "stuck", 0, None, None, load_id, f.sha)
        return _stuck(f, rejection_text(dtype, name, [Problem("het bestand kan niet gelezen worden")],
                                        dt.datetime.now()), exc)
    f = _File(dtype, name, path, folders, wh, load_id, received, snap.sha256, snap.size, snap.stat, snap.data)
    with wh.engine.connect() as conn:
        earlier = accepted_before(conn, dtype.name, f.sha)
        stuck = stuck_before(conn, dtype.name, f.sha)
    if stuck:
        log.debug("%s/%r: refused before as load %s and could not leave the inbox", dtype.name, db_text(name), stuck)
        return DeliveryOutcome(name, "stuck", 0, None, None, load_id, f.sha)
    if earlier:
        note = f"zelfde inhoud als levering {earlier}"
        try:
            dest = _put(f, inbox.archive_path(name, folders, dtype.name, f.sha, f"{received:%Y-%m-%d}"))
        except OSError as exc:
            return _stuck(f, note, exc)
        f.log("duplicate", note, dest)
        log.info("%s/%r: same bytes as load %s; archived, nothing changed", dtype.name, db_text(name), earlier)
        return DeliveryOutcome(name, "duplicate", 0, None, dest, load_id, f.sha)
    checks: list[CheckOutcome] = []
    try:
        check_size(f.size, limits)
        parsed = parse_delivery(dtype, name, f.data or b"", regions, today=today, limits=limits)
    except Rejected as exc:
        return _quarantine(f, exc.problems)
    except Exception as exc:  # noqa: BLE001 - one file's failure is that file's, never the run's
        log.exception("%s/%r: unexpected error while reading", dtype.name, db_text(name))
        return _quarantine(f, [_unexpected(exc, "gelezen")])
    if gate is not None:
        try:
            checks = gate.check_delivery(dtype, staged_after(wh, dtype, parsed.frame))
        except sa.exc.SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001
            log.exception("%s/%r: unexpected error in the quality checks", dtype.name, db_text(name))
            return _quarantine(f, [_unexpected(exc, "gecontroleerd")])
        record(wh, checks, run_id=run_id, load_id=load_id, asset=f"deliveries/{dtype.name}")
        if blocking(checks):
            problems = [Problem(f"de gegevens halen de kwaliteitscontrole '{o.check}' niet ({o.description}); "
                                f"{o.unexpected} rijen wijken af") for o in blocking(checks)]
            return _quarantine(f, problems, checks)
    dest = inbox.archive_path(name, folders, dtype.name, f.sha, f"{received:%Y-%m-%d}")
    rows, replaced = publish_delivery(wh, dtype, parsed.frame, load_id=load_id, file_name=name, sha256=f.sha,
                                      size=f.size, received_at=received, stored_path=str(dest))
    try:
        _put(f, dest)
    except inbox.UnsafeFolder as exc:  # published; left in the inbox, archived as a duplicate once the folder is safe
        log.warning("%s/%r published but left in the inbox: %s", dtype.name, db_text(name), exc)
    except OSError as exc:  # published; the next run would see a duplicate that cannot move either
        _stuck(f, f"geaccepteerd als levering {load_id}", exc)
    log.info("%s/%r accepted: %d rows (%s)%s", dtype.name, db_text(name), rows, parsed.form,
             f"; {replaced.text()}" if replaced.text() else "")
    return DeliveryOutcome(name, "accepted", rows, None, dest, load_id, f.sha, parsed.frame.head(10), checks,
                           replaced)

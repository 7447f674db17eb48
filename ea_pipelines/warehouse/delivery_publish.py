"""Publish an accepted delivery: keep it in ``raw``, replace its periods in ``staging``, log it; atomically.

``raw.<type>`` keeps every accepted file under its load id. ``staging.<type>`` holds the current
figures: rows with the same ``replace_by`` values as the new file (e.g. the same period) are replaced,
so a corrected re-delivery wins and the earlier version stays in raw. What was replaced (groups, rows
before and after, rows that are gone) is measured in the same transaction and logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import DeliveryType
from ea_pipelines.provenance import delivery_provenance
from ea_pipelines.warehouse import locks
from ea_pipelines.warehouse.db import Warehouse, bulk_insert

GONE_SHOWN = 10


def db_text(text: str | None) -> str | None:
    """Text any warehouse stores: undecodable bytes of a file name become U+FFFD, NUL is dropped."""
    if text is None:
        return None
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")


@dataclass(frozen=True)
class Replacement:
    """What a re-delivery replaced in staging (empty ``groups``: nothing was there before)."""

    groups: list[str]  # the replace_by values already in staging, e.g. ['2024JJ00']
    rows_before: int  # rows staging held for those values
    rows_after: int  # rows the file brings for them
    gone: list[str]  # keys that were staged and are not in the file

    def text(self) -> str | None:
        if not self.groups:
            return None
        out = (f"replaced {', '.join(self.groups)}: {self.rows_before} rows before, {self.rows_after} after, "
               f"{len(self.gone)} gone")
        if self.gone:
            more = f" and {len(self.gone) - GONE_SHOWN} more" if len(self.gone) > GONE_SHOWN else ""
            out += f" ({'; '.join(self.gone[:GONE_SHOWN])}{more})"
        return out


def accepted_before(conn: sa.Connection, delivery_type: str, sha256: str) -> str | None:
    """Load id of an earlier accepted delivery of exactly these bytes, if any."""
    return conn.execute(sa.text(
        "SELECT load_id FROM meta.delivery_log WHERE delivery_type = :t AND sha256 = :h AND status = 'accepted' "
        "ORDER BY received_at LIMIT 1"), {"t": delivery_type, "h": sha256}).scalar()


def accepted_loads(conn: sa.Connection, delivery_type: str) -> list[str]:
    """Load ids of every accepted delivery of this type, oldest first: what staging was built from."""
    return list(conn.execute(sa.text(
        "SELECT load_id FROM meta.delivery_log WHERE delivery_type = :t AND status = 'accepted' "
        "ORDER BY received_at, load_id"), {"t": delivery_type}).scalars())


def stuck_before(conn: sa.Connection, delivery_type: str, sha256: str) -> str | None:
    """Load id of an earlier refusal of these bytes (or this entry) that could not leave the inbox."""
    return conn.execute(sa.text(
        "SELECT load_id FROM meta.delivery_log WHERE delivery_type = :t AND sha256 = :h AND status = 'stuck' "
        "ORDER BY received_at LIMIT 1"), {"t": delivery_type, "h": sha256}).scalar()


def log_delivery(conn: sa.Connection, *, load_id: str, delivery_type: str, file_name: str, sha256: str,
                 size: int, received_at: datetime, status: str, rows: int | None, reason: str | None,
                 stored_path: str | None, replaced: Replacement | None = None) -> None:
    """Log a delivery, with its provenance class: ``illustrative`` for the exact bytes of a bundled example
    file, else ``partner`` (recognised by content, never by name; see ea_pipelines.provenance)."""
    conn.execute(sa.text(
        "INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, received_at, status, "
        "rows, reason, stored_path, replaced, rows_replaced, rows_gone, provenance) "
        "VALUES (:load_id, :t, :f, :h, :b, :r, :s, :n, :reason, :p, :rep, :nrep, :ngone, :prov)"),
        {"load_id": load_id, "t": delivery_type, "f": db_text(file_name), "h": sha256, "b": size, "r": received_at,
         "s": status, "n": rows, "reason": db_text(reason), "p": db_text(stored_path),
         "rep": replaced.text() if replaced else None,
         "nrep": replaced.rows_before if replaced else None, "ngone": len(replaced.gone) if replaced else None,
         "prov": delivery_provenance(sha256)})


def _where(dtype: DeliveryType, frame: pd.DataFrame) -> tuple[str, dict[str, object]]:
    groups = frame[list(dtype.replace_by)].drop_duplicates().to_dict("records")
    params: dict[str, object] = {}
    clauses = []
    for i, group in enumerate(groups):
        parts = []
        for j, (col, value) in enumerate(group.items()):
            params[f"p{i}_{j}"] = value
            parts.append(f"{col} = :p{i}_{j}")
        clauses.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(clauses), params


def _key_text(values: tuple) -> str:
    return " ".join(str(x) for x in values)


def measure_replacement(conn: sa.Connection, dtype: DeliveryType, frame: pd.DataFrame, where: str,
                        params: dict[str, object]) -> Replacement:
    by, key = list(dtype.replace_by), list(dtype.key)
    cols = list(dict.fromkeys(by + key))
    before = pd.DataFrame(conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM staging.{dtype.name} WHERE {where}"),
                                       params).fetchall(), columns=cols)
    if before.empty:
        return Replacement([], 0, len(frame), [])
    groups = sorted({_key_text(tuple(r)) for r in before[by].astype(str).itertuples(index=False)})
    new_keys = {tuple(r) for r in frame[key].astype(str).itertuples(index=False)}
    gone = sorted(_key_text(k) for k in (tuple(r) for r in before[key].astype(str).itertuples(index=False))
                  if k not in new_keys)
    rows_after = int(frame[by].astype(str).apply(tuple, axis=1).isin(
        set(before[by].astype(str).apply(tuple, axis=1))).sum())
    return Replacement(groups, len(before), rows_after, gone)


def publish_delivery(wh: Warehouse, dtype: DeliveryType, frame: pd.DataFrame, *, load_id: str, file_name: str,
                     sha256: str, size: int, received_at: datetime, stored_path: str) -> tuple[int, Replacement]:
    cols = [c.name for c in dtype.columns]
    source = db_text(file_name)
    with wh.engine.begin() as conn:
        locks.hold(conn, f"delivery:{dtype.name}")
        bulk_insert(conn, f"raw.{dtype.name}",
                    frame[cols + ["source_row"]].assign(load_id=load_id, source_file=source, sha256=sha256))
        where, params = _where(dtype, frame)
        replaced = measure_replacement(conn, dtype, frame, where, params)
        conn.execute(sa.text(f"DELETE FROM staging.{dtype.name} WHERE {where}"), params)
        bulk_insert(conn, f"staging.{dtype.name}",
                    frame[cols + ["source_row"]].assign(load_id=load_id, source_file=source))
        log_delivery(conn, load_id=load_id, delivery_type=dtype.name, file_name=file_name, sha256=sha256,
                     size=size, received_at=received_at, status="accepted", rows=len(frame), reason=None,
                     stored_path=stored_path, replaced=replaced)
    return len(frame), replaced

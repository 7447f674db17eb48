"""Locks that serialise the loader's writers on PostgreSQL, and that only the loader can take.

A lock is a row of ``meta.lock`` taken ``FOR UPDATE`` until the transaction ends. Unlike an advisory lock
(which any login can take with ``pg_advisory_lock``), taking it needs UPDATE on a table in ``meta``, which
analysts never get. The loader's sessions also carry a ``lock_timeout`` (``EA_PG_LOCK_TIMEOUT``): whoever holds
a lock the loader needs (an analyst's long query on a mart that is about to be swapped, say) delays the run by
at most that long, and the error then names the sessions holding locks on the warehouse's tables.
DuckDB needs none of this: one process at a time opens the file.
"""

from __future__ import annotations

import sqlalchemy as sa

#: SQLSTATE of "canceling statement due to lock timeout"
LOCK_NOT_AVAILABLE = "55P03"
#: the application_name of the loader's own sessions, so that a blocked run can tell another run from a person
APPLICATION_NAME = "ea-pipelines"


def hold(conn: sa.Connection, name: str) -> None:
    """Hold the lock ``name`` until ``conn``'s transaction ends (PostgreSQL; a no-op on DuckDB)."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(sa.text("INSERT INTO meta.lock (name) VALUES (:n) ON CONFLICT (name) DO NOTHING"), {"n": name})
    conn.execute(sa.text("SELECT name FROM meta.lock WHERE name = :n FOR UPDATE"), {"n": name})


def holders(conn: sa.Connection, schemas: tuple[str, ...]) -> list[str]:
    """Other sessions holding locks on tables in ``schemas`` of this database, one line each."""
    rows = conn.execute(sa.text(
        "SELECT a.pid, a.usename, a.application_name, a.state, a.xact_start, "
        "       string_agg(DISTINCT n.nspname || '.' || c.relname || ' (' || l.mode || ')', ', ') AS locks "
        "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.granted AND l.pid <> pg_backend_pid() AND l.database = "
        "      (SELECT oid FROM pg_database WHERE datname = current_database()) AND n.nspname = ANY(:s) "
        "GROUP BY a.pid, a.usename, a.application_name, a.state, a.xact_start ORDER BY a.xact_start"),
        {"s": list(schemas)}).all()
    out = []
    for pid, user, app, state, since, locks in rows:
        who = "another ea-pipelines run" if app == APPLICATION_NAME else f"user {user}"
        out.append(f"session {pid} ({who}, application {app or '-'}, {state or 'state hidden'}, "
                   f"transaction since {since or 'unknown'}) holds {locks}")
    return out

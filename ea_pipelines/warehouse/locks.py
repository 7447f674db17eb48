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
    """Other sessions holding locks on tables in ``schemas`` of this database, one line each: the session's
    user and client address always, and its ``application_name`` as a claim only (any client can set it: a
    session is called a run of ea-pipelines only when it also runs as the loader's own user)."""
    rows = conn.execute(sa.text(
        "SELECT a.pid, a.usename, host(a.client_addr) AS addr, a.client_port, a.application_name, a.state, "
        "       a.xact_start, a.usename = current_user AS loader, "
        "       string_agg(DISTINCT n.nspname || '.' || c.relname || ' (' || l.mode || ')', ', ') AS locks "
        "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.granted AND l.pid <> pg_backend_pid() AND l.database = "
        "      (SELECT oid FROM pg_database WHERE datname = current_database()) AND n.nspname = ANY(:s) "
        "GROUP BY a.pid, a.usename, a.client_addr, a.client_port, a.application_name, a.state, a.xact_start "
        "ORDER BY a.xact_start"),
        {"s": list(schemas)}).all()
    out = []
    for pid, user, addr, port, app, state, since, loader, locks in rows:
        if app == APPLICATION_NAME and loader:
            who = "another ea-pipelines run, "
        elif app == APPLICATION_NAME:
            who = "NOT an ea-pipelines run though it calls itself one, "
        else:
            who = ""
        client = f"{addr}:{port}" if addr else "local socket" if port == -1 else "address hidden"
        out.append(f"session {pid} ({who}user {user or 'hidden'} from {client}, application {app or '-'!r}, "
                   f"{state or 'state hidden'}, transaction since {since or 'unknown'}) holds {locks}")
    return out

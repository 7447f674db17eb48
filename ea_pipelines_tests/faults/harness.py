"""Running pipeline work in a child process and stopping it at a named point, without hooks in the pipeline.

A :class:`Child` is a load or a build in its own process (``child.py``). A :class:`Hold` stops a child
inside its transaction at its first statement that changes a given table, on either engine:

* PostgreSQL: the test takes ``LOCK TABLE <t> IN SHARE MODE`` (reads pass, every write waits), and waits
  until ``pg_stat_activity`` shows the child's backend waiting for that lock in a statement on the table.
* DuckDB: the database lives inside the child, so the child pauses itself before the statement (a
  SQLAlchemy event listener installed by ``child.py``, not by the pipeline) and says so in a marker file.

Either way the kill then hits the named phase deterministically; nothing sleeps and hopes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines.warehouse.db import Warehouse

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


def wait_until(condition: Callable[[], object], what: str, alive: Callable[[], bool] = lambda: True,
               timeout: float = TIMEOUT) -> object:
    """Poll ``condition`` until it returns something truthy; fail clearly if ``alive`` turns false first."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert alive(), f"the child ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass
class Child:
    proc: subprocess.Popen
    app_name: str
    out: Path
    err: Path
    url: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL, then (PostgreSQL) wait until the server has rolled back the orphaned session.

        Release any :class:`Hold` first: a session waiting for a lock notices its client is gone only
        once it gets the lock.
        """
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL

    def finish(self, timeout: float = TIMEOUT) -> tuple[int, dict | None, str]:
        """(return code, the JSON result line or None, stderr) once the child has ended."""
        rc = self.proc.wait(timeout=timeout)
        out = self.out.read_text().strip()
        return rc, json.loads(out.splitlines()[-1]) if out else None, self.err.read_text()

    def succeed(self) -> dict:
        rc, result, err = self.finish()
        assert rc == 0, err
        return result

    def backends(self) -> list[sa.Row]:
        """The child's PostgreSQL sessions (found by their application_name)."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(
                    "SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity "
                    "WHERE application_name = :a AND datname = current_database() AND pid <> pg_backend_pid()"),
                    {"a": self.app_name}).fetchall()
        finally:
            engine.dispose()

    def tables_locked_for_writing(self) -> set[str]:
        """Tables the child's open PostgreSQL transaction holds a write lock on (it has written them)."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return set(conn.execute(sa.text(
                    "SELECT l.relation::regclass::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE a.application_name = :a AND l.granted AND l.mode = 'RowExclusiveLock' "
                    "AND l.relation IS NOT NULL"), {"a": self.app_name}).scalars())
        finally:
            engine.dispose()

    def wait_for_backend_to_end(self) -> None:
        """A killed client's session rolls back when PostgreSQL notices; wait for that, so tests read settled data."""
        if make_url(self.url).get_backend_name() == "postgresql":
            wait_until(lambda: not self.backends(), f"the session of killed child {self.pid} to end")


def start(tmp_path: Path, url: str, **args: object) -> Child:
    """Start ``child.py`` with ``args`` against the warehouse at ``url``."""
    app_name = f"ea_fault_{secrets.token_hex(4)}"
    if make_url(url).get_backend_name() == "postgresql":
        url = make_url(url).update_query_dict({"application_name": app_name}).render_as_string(hide_password=False)
    out, err = tmp_path / f"{app_name}.out", tmp_path / f"{app_name}.err"
    with out.open("w") as fo, err.open("w") as fe:
        proc = subprocess.Popen([sys.executable, "-m", "ea_pipelines_tests.faults.child",
                                 json.dumps({"url": url, **args})], cwd=REPO, stdout=fo, stderr=fe)
    return Child(proc, app_name, out, err, url)


@dataclass
class Hold:
    """Stop a child at its first write to ``table``; use as a context manager around starting the child."""

    url: str
    table: str
    tmp_path: Path
    marker: Path = field(init=False)
    _conn: sa.Connection | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.marker = self.tmp_path / f"pause-{secrets.token_hex(4)}"

    @property
    def postgres(self) -> bool:
        return make_url(self.url).get_backend_name() == "postgresql"

    def child_args(self) -> dict[str, str]:
        return {} if self.postgres else {"pause_before": self.table, "marker": str(self.marker)}

    def __enter__(self) -> Hold:
        if self.postgres:
            self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            self._conn = self._engine.connect()
            self._conn.begin()
            self._conn.execute(sa.text(f"LOCK TABLE {self.table} IN SHARE MODE"))
        return self

    def wait(self, child: Child) -> str:
        """Wait until ``child`` is stopped at the table; returns the statement it is stopped at."""
        if self.postgres:
            def blocked() -> str | None:
                return next((b.query for b in child.backends()
                             if b.wait_event_type == "Lock" and self.table in b.query), None)
            statement = wait_until(blocked, f"child {child.pid} to wait for {self.table}", child.alive)
        else:
            statement = wait_until(lambda: self.marker.exists() and self.marker.read_text(),
                                   f"child {child.pid} to reach {self.table}", child.alive)
        assert self.table in statement
        return statement

    def release(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
            self._engine.dispose()
            self._conn = None
        self.marker.with_name(self.marker.name + ".release").touch()

    def __exit__(self, *exc: object) -> None:
        self.release()


def kill_when_held(hold: Hold, child: Child) -> str:
    """Wait until ``child`` is stopped by ``hold``, kill -9 it there, let go, and wait for the dust to settle.

    Returns the statement the child was stopped at.
    """
    statement = hold.wait(child)
    child.kill9()
    hold.release()
    child.wait_for_backend_to_end()
    return statement


def published(wh: Warehouse, schemas: tuple[str, ...] = ("raw", "staging", "marts")) -> dict[str, list[tuple]]:
    """Every row of every table in ``schemas``, sorted: the published state, to compare before and after."""
    out = {}
    with wh.engine.connect() as conn:
        for schema in schemas:
            for name in sa.inspect(conn).get_table_names(schema=schema):
                rows = conn.execute(sa.text(f"SELECT * FROM {schema}.{name}")).fetchall()
                out[f"{schema}.{name}"] = sorted(tuple(map(str, r)) for r in rows)
    return out


def load_status(wh: Warehouse, batch_id: str) -> list[str]:
    with wh.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT status FROM meta.load_log WHERE batch_id = :b"),
                                           {"b": batch_id})]


def population(wh: Warehouse, region: str = "GM0141", period: str = "2024JJ00") -> list[float]:
    """Bevolking op 1 januari from the real 03759ned capture (Almelo 2024: 74,317)."""
    with wh.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT value FROM staging.cbs_observation WHERE table_id = '03759ned' AND measure_code = 'M000352' "
            "AND region_code = :r AND period_code = :p"), {"r": region, "p": period})]

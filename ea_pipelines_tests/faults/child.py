"""A CBS load or a SQL build in a process of its own, for the fault tests to kill, starve or run twice at once.

``python -m ea_pipelines_tests.faults.child '<json>'``; keys: ``action`` (load or build), ``url``; for a load
``table`` (catalogue name), ``mode`` (replay or live), ``v4_url``/``v3_url``/``landing_dir`` (live), ``batch_id``,
``force``; ``source: swing`` with ``ods_url`` loads a Swing ODS variable instead; optionally ``pause_before`` +
``marker``, ``max_file_bytes``, ``policy`` (RetryPolicy fields over the defaults below: the others stay the
settings' defaults) and ``rss_file`` (the process's peak resident memory in KB is written there as it ends,
whether the load succeeds or fails). On success it prints one JSON line.

``pause_before`` stops the process inside its transaction, just before its first statement that changes
that table: it writes the statement to ``marker`` and waits until ``<marker>.release`` exists. This is
only needed for DuckDB, which runs inside this process; on PostgreSQL the tests stop the process from
the database side instead (a lock the statement has to wait for). The pipeline itself has no fault hooks.

``max_file_bytes`` sets RLIMIT_FSIZE with SIGXFSZ ignored: writing past it fails with EFBIG, as a full
disk fails a write, for every file the process writes (landing folder, DuckDB file and WAL).
"""

from __future__ import annotations

import json
import re
import resource
import signal
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import (
    DEFAULT_CATALOGUE,
    DEFAULT_SNAPSHOT_DIR,
    DEFAULT_SQL_DIR,
    DEFAULT_SWING_SNAPSHOT_DIR,
    Settings,
)
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.swing.source import SwingSource
from ea_pipelines.warehouse.db import Warehouse

WRITES = r"^\s*(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE|COPY|TRUNCATE)\s+"


def pause_before_writes_to(table: str, marker: Path) -> None:
    pattern = re.compile(WRITES + re.escape(table) + r"\b", re.I)

    def pause(conn, cursor, statement, parameters, context, executemany) -> None:
        if pattern.search(statement):
            marker.write_text(statement)
            release = marker.with_name(marker.name + ".release")
            while not release.exists():
                time.sleep(0.02)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", pause)


def main(args: dict) -> dict:
    if args.get("max_file_bytes"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args["max_file_bytes"], resource.RLIM_INFINITY))
    if args.get("pause_before"):
        pause_before_writes_to(args["pause_before"], Path(args["marker"]))
    wh = Warehouse(args["url"])
    if args["action"] == "build":
        results = build_all(wh, load_project(DEFAULT_SQL_DIR))
        return {"models": len(results), "failed_tests": sum(not t.passed for ts in results.values() for t in ts)}
    policy = RetryPolicy(**{"timeout": 5, "max_attempts": 2, "backoff_base": 0.01, "backoff_cap": 0.05,
                            "retry_after_cap": 0.1, **args.get("policy", {})})
    if args.get("source") == "swing":  # a Swing ODS variable (catalogue name), live from ``ods_url`` or replayed
        swing = load_swing_catalogue(Settings().swing_catalogue_path)
        spec = swing.variable(args["table"]).table()
        source: CbsSource = SwingSource.create(args.get("mode", "replay"), args.get("ods_url", ""),
                                               DEFAULT_SWING_SNAPSHOT_DIR, Path(args.get("landing_dir", ".")), swing,
                                               policy=policy)
    else:
        spec = load_cbs_catalogue(DEFAULT_CATALOGUE).table(args["table"])
        source = CbsSource(args.get("mode", "replay"), args.get("v4_url", ""), args.get("v3_url", ""),
                           DEFAULT_SNAPSHOT_DIR, Path(args.get("landing_dir", ".")), policy)
    report = load_cbs_table(spec, source, wh, batch_id=args["batch_id"], force=args.get("force", False))
    return {"status": report.status, "load_id": report.load_id, "rows": report.rows}


def peak_rss_kb() -> int:
    """This process's own peak resident memory, in KiB: ``VmHWM`` of its address space.

    Not ``ru_maxrss``: Linux carries the parent's peak over fork and exec into it, so a child of a pytest process
    that has grown to 1.5 GB reports 1.5 GB whatever it did itself (seen in the whole suite)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    ARGS = json.loads(sys.argv[1])
    try:
        print(json.dumps(main(ARGS)), flush=True)
    finally:
        if ARGS.get("rss_file"):
            Path(ARGS["rss_file"]).write_text(str(peak_rss_kb()))

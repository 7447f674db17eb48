"""Command line: ``ea-pipelines run`` runs the nightly refresh once and prints what it loaded.

``make run`` calls this. The run is recorded in the Dagster instance under ``DAGSTER_HOME`` (the Makefile
points it at ``dagster_home/``), so it shows up in the UI started by ``make dev``.
"""

from __future__ import annotations

import argparse
import logging
import sys

import sqlalchemy as sa

from ea_pipelines.settings import Settings, SettingsError
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines.warehouse.ddl import TABLES


def summary(wh: Warehouse, batch_id: str | None) -> str:
    """What the warehouse holds now, and how this run's loads went."""
    lines = []
    where = wh.duckdb_path.resolve() if wh.duckdb_path else wh.display_url
    lines.append(f"Warehouse: {where}")
    with wh.engine.connect() as conn:
        lines.append("Tables:")
        for table in TABLES:
            n = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            lines.append(f"  {table:<28} {n:>9,} rows")
        if batch_id:
            loads = conn.execute(sa.text(
                "SELECT table_id, status, mode, rows, message FROM meta.load_log "
                "WHERE batch_id = :b ORDER BY started_at"), {"b": batch_id}).fetchall()
            lines.append(f"This run ({batch_id}):")
            for table_id, status, mode, rows, message in loads:
                synthetic = " SYNTHETIC" if message and "SYNTHETIC" in message else ""
                lines.append(f"  cbs {table_id:<10} {status:<10} source mode {mode or '-':<8} "
                             f"{rows or 0:>7,} rows{synthetic}")
    return "\n".join(lines)


def run(settings: Settings) -> int:
    from dagster import DagsterInstance

    from ea_pipelines.definitions import build_definitions

    defs = build_definitions(settings)
    job = defs.resolve_job_def("nightly_refresh")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    wh = Warehouse(settings.warehouse_url)
    print()
    print(f"nightly_refresh {'succeeded' if result.success else 'FAILED'} (run {result.run_id}, "
          f"EA_SOURCE_MODE={settings.source_mode})")
    print(summary(wh, result.run_id))
    wh.dispose()
    return 0 if result.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ea-pipelines", description="ea-pipelines command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the nightly refresh once and print what was loaded")
    sub.add_parser("summary", help="print what the warehouse holds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"ea-pipelines: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        return run(settings)
    wh = Warehouse(settings.warehouse_url)
    wh.ensure_schema()
    print(summary(wh, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``ea-pipelines run`` runs the nightly refresh once and prints what it loaded;
``ea-pipelines report --moment najaarsrapportage`` writes the council report of one report moment.

``make run`` calls this. The run is recorded in the Dagster instance under ``DAGSTER_HOME`` (the Makefile
points it at ``dagster_home/``), so it shows up in the UI started by ``make dev``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.deliveries.inbox import sha256_file
from ea_pipelines.settings import Settings, SettingsError
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines.warehouse.ddl import TABLES, delivery_tables


def summary(wh: Warehouse, settings: Settings, batch_id: str | None) -> str:
    """What the warehouse holds now, and how this run's loads went."""
    deliveries = load_delivery_catalogue(settings.delivery_catalogue_path)
    tables = [*TABLES, *(t for d in deliveries.types for t in delivery_tables(d))]
    where = wh.duckdb_path.resolve() if wh.duckdb_path else wh.display_url
    lines = [f"Warehouse: {where}", "Tables:"]
    with wh.engine.connect() as conn:
        marts = sorted(t for t in sa.inspect(conn).get_table_names(schema="marts") if "__" not in t)
        for table in [*tables, *(f"marts.{t}" for t in marts)]:
            n = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            lines.append(f"  {table:<36} {n:>9,} rows")
        if batch_id:
            started = conn.execute(sa.text("SELECT min(started_at) FROM meta.load_log WHERE batch_id = :b"),
                                   {"b": batch_id}).scalar()
            loads = conn.execute(sa.text(
                "SELECT table_id, status, mode, rows, message, source FROM meta.load_log "
                "WHERE batch_id = :b ORDER BY started_at"), {"b": batch_id}).fetchall()
            files = conn.execute(sa.text(
                "SELECT delivery_type, file_name, status, rows, provenance, replaced FROM meta.delivery_log "
                "WHERE received_at >= :t ORDER BY received_at"), {"t": started}).fetchall() if started else []
            lines.append(f"This run ({batch_id}):")
            for table_id, status, mode, rows, message, source in loads:
                synthetic = " SYNTHETIC" if message and "SYNTHETIC" in message else ""
                skipped = " (data fetch skipped: Modified unchanged)" if message and message.startswith(
                    "skipped the data fetch") else ""
                if status == "kept":
                    skipped = " (snapshot not published over the published version: STALE, see meta.load_log)"
                lines.append(f"  {source} {table_id:<10} {status:<10} source mode {mode or '-':<8} "
                             f"{rows or 0:>7,} rows{synthetic}{skipped}")
            for dtype, name, status, rows, provenance, replaced in files:
                example = " ILLUSTRATIVE (a bundled example file)" if provenance == "illustrative" else ""
                lines.append(f"  delivery {dtype}/{name}: {status}, {rows or 0:,} rows{example}"
                             + (f"; {replaced}" if replaced else ""))
            if not files:
                lines.append(f"  no partner files were waiting in {settings.inbox_dir}")
            checks = conn.execute(sa.text(
                "SELECT asset, check_name, severity, passed, failed_count FROM meta.check_result WHERE run_id = :b "
                "ORDER BY asset, check_name"), {"b": batch_id}).fetchall()
            failed = [c for c in checks if not c.passed]
            lines.append(f"Quality checks: {len(checks) - len(failed)} passed, {len(failed)} failed "
                         f"(Data Docs: {settings.data_docs_dir.resolve() / 'index.html'})")
            lines += [f"  FAILED {c.severity} {c.asset} {c.check_name}: {c.failed_count} rows" for c in failed]
    return "\n".join(lines)


EXAMPLES_DIR = Path(__file__).resolve().parent / "deliveries" / "examples"


def seed_examples(settings: Settings, wh: Warehouse) -> list[Path]:
    """Copy the bundled example deliveries into the inbox, unless the warehouse already has them."""
    seeded = []
    with wh.engine.connect() as conn:
        known = {r[0] for r in conn.execute(sa.text("SELECT sha256 FROM meta.delivery_log "
                                                     "WHERE status IN ('accepted', 'duplicate')"))}
    for example in sorted(EXAMPLES_DIR.glob("*/*.*")):
        target = settings.inbox_dir / example.parent.name / example.name
        if sha256_file(example) in known or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example, target)
        # complete the moment it is placed: dated back past the settle time so this run takes it
        settled = time.time() - settings.inbox_settle_seconds - 1
        os.utime(target, (settled, settled))
        seeded.append(target)
    return seeded


def run(settings: Settings, with_examples: bool) -> int:
    from dagster import DagsterInstance

    from ea_pipelines.definitions import build_definitions
    from ea_pipelines.defs.report_assets import KEY as REPORT_KEY

    if with_examples:
        wh = Warehouse.from_settings(settings)
        wh.ensure_schema(load_delivery_catalogue(settings.delivery_catalogue_path))
        for path in seed_examples(settings, wh):
            print(f"example delivery placed in the inbox: {path}")
        wh.dispose()
    defs = build_definitions(settings)
    job = defs.resolve_job_def("nightly_refresh")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    wh = Warehouse.from_settings(settings)
    print()
    print(f"nightly_refresh {'succeeded' if result.success else 'FAILED'} (run {result.run_id}, "
          f"EA_SOURCE_MODE={settings.source_mode})")
    print(summary(wh, settings, result.run_id))
    wh.dispose()
    for event in result.get_asset_materialization_events():
        if event.asset_key == REPORT_KEY:
            meta = event.step_materialization_data.materialization.metadata
            print(f"Council report: {meta['report_html'].value} ({meta['charts'].value} charts)")
            print(f"                {meta['report_pdf'].value}")
    return 0 if result.success else 1


def report(settings: Settings, args: argparse.Namespace) -> int:
    """Write the council report of one report moment from the marts as they are (no refresh)."""
    from ea_pipelines import clock
    from ea_pipelines.report.moments import MomentError, resolve

    now = clock.now()
    try:
        moment = resolve(args.moment, args.year, now.date())
    except MomentError as exc:
        print(f"ea-pipelines report: {exc}", file=sys.stderr)
        return 2
    from ea_pipelines.report.build import write_report  # matplotlib and reportlab: load only when drawing

    wh = Warehouse.from_settings(settings)
    try:
        with wh.engine.connect() as conn:
            if not sa.inspect(conn).has_table("kernindicatoren", schema="marts"):
                print("ea-pipelines report: the warehouse has no marts yet; run `ea-pipelines run` first",
                      file=sys.stderr)
                return 2
        files = write_report(wh.engine, args.out or settings.report_dir, now=now, moment=moment)
    finally:
        wh.dispose()
    c = files.content
    print(f"{moment.title} ({moment.start:%d-%m-%Y} t/m {moment.end:%d-%m-%Y}): {len(c.highlights)} highlights, "
          f"{len(c.deviations)} afwijkingen, {sum(len(g.efforts) for g in c.goals)} inspanningen, "
          f"{sum(len(g.contributions) for g in c.goals)} kwalitatieve bijdragen, {len(files.charts)} charts")
    print(files.html.resolve())
    print(files.pdf.resolve())
    return 0


def read_password(env: dict[str, str], user: str) -> str:
    """The login user's password from ``EA_ANALYST_PASSWORD``, else typed twice at a terminal; never echoed."""
    from ea_pipelines.warehouse.access import PASSWORD_ENV, AccessError

    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise AccessError(f"no password for {user}: set {PASSWORD_ENV} or run at a terminal to be asked")
    import getpass

    first = getpass.getpass(f"password for {user}: ")
    if not first or first != getpass.getpass(f"password for {user} (again): "):
        raise AccessError("the passwords were empty or did not match; nothing was changed")
    return first


def analyst_role(settings: Settings, args: argparse.Namespace, env: dict[str, str]) -> int:
    from ea_pipelines.warehouse.access import AccessError, AnalystAccess, setup_analyst_access

    wh = Warehouse.from_settings(settings)
    try:
        access = AnalystAccess(group=args.role, owner=args.owner, grant_to=tuple(args.grant_to),
                               login_user=args.login_user, revoke_public_connect=tuple(args.revoke_public_connect))
        password = read_password(env, access.login_user) if access.login_user and wh.dialect == "postgresql" else None
        for line in setup_analyst_access(wh, access, password):
            print(line)
    except AccessError as exc:
        print(f"ea-pipelines analyst-role: {exc}", file=sys.stderr)
        return 2
    finally:
        wh.dispose()
    print(f"done on {wh.display_url}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ea-pipelines", description="ea-pipelines command line")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the nightly refresh once and print what was loaded")
    run_p.add_argument("--with-examples", action="store_true",
                       help="first place the bundled example deliveries in the inbox (once per warehouse)")
    run_p.add_argument("--full-refresh", action="store_true",
                       help="redo everything even when nothing changed: fetch CBS in full, validate published "
                            "deliveries, rebuild every model, redraw the report (like EA_FULL_REFRESH=true)")
    sub.add_parser("summary", help="print what the warehouse holds")
    rep = sub.add_parser("report", help="write the council report of one report moment from the marts",
                         description="Write the council report (HTML and PDF) from the marts as they are. "
                         "Without --moment: the latest moment whose period has ended today (January-April: "
                         "jaarverantwoording of the year before; May-August: voorjaarsrapportage; "
                         "September-December: najaarsrapportage).")
    rep.add_argument("--moment", choices=["voorjaarsrapportage", "najaarsrapportage", "jaarverantwoording"])
    rep.add_argument("--year", type=int, help="the moment's year (default: its latest ended instance)")
    rep.add_argument("--out", type=Path, help="reports directory (default: EA_REPORT_DIR)")
    docs = sub.add_parser("docs", help="write the data dictionary (docs/warehouse.md) from the SQL models")
    docs.add_argument("--out", type=Path, default=Path("docs/warehouse.md"))
    tpl = sub.add_parser("templates", help="write an xlsx and a csv template per delivery type")
    tpl.add_argument("--out", type=Path, default=Path("templates"))
    role = sub.add_parser("analyst-role", help="PostgreSQL: a read-only group role with SELECT on marts only",
                          description="Create or update a NOLOGIN group role that can read schema marts and "
                          "nothing else, including marts tables the loader recreates later; optionally make "
                          "roles members. Idempotent. Run it as the loader (EA_WAREHOUSE_URL). "
                          "See docs/analyst-access.md.")
    role.add_argument("--role", default="ea_analyst", help="the group role (default ea_analyst)")
    role.add_argument("--owner", help="the loader role whose future marts tables become readable "
                      "(default: the user in EA_WAREHOUSE_URL)")
    role.add_argument("--login-user", help="create or update this login role as a member; its password comes "
                      "from EA_ANALYST_PASSWORD or is asked at the terminal")
    role.add_argument("--grant-to", action="append", default=[], metavar="ROLE",
                      help="make this existing role a member (repeatable)")
    role.add_argument("--revoke-public-connect", action="append", default=[], metavar="DATABASE",
                      help="close this other database of the cluster to PUBLIC, keeping CONNECT for every login "
                      "role outside the analyst group (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"ea-pipelines: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        if args.full_refresh:
            settings = dataclasses.replace(settings, full_refresh=True)
        return run(settings, args.with_examples)
    if args.command == "report":
        return report(settings, args)
    if args.command == "analyst-role":
        return analyst_role(settings, args, dict(os.environ))
    if args.command == "docs":
        from ea_pipelines.sqlmodels.docs import render_docs
        from ea_pipelines.sqlmodels.project import load_project

        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render_docs(load_project(settings.sql_dir)), encoding="utf-8")
        print(args.out)
        return 0
    if args.command == "templates":
        from ea_pipelines.deliveries.templates import write_templates

        for path in write_templates(load_delivery_catalogue(settings.delivery_catalogue_path), args.out,
                                    max_mb=settings.delivery_max_bytes // 2**20):
            print(path)
        return 0
    wh = Warehouse.from_settings(settings)
    wh.ensure_schema(load_delivery_catalogue(settings.delivery_catalogue_path))
    print(summary(wh, settings, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())

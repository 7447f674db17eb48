"""Command line: ``ea-pipelines run`` runs the nightly refresh once and prints what it loaded;
``ea-pipelines report --moment najaarsrapportage`` writes the council report of one report moment.

``make run`` calls this. The run is recorded in the Dagster instance under ``DAGSTER_HOME`` (the Makefile
points it at ``dagster_home/``) with the workspace's code-location origin, so it shows up under the job in the
UI started by ``make dev``. The terminal shows a line per step, warnings once and the summary; every Dagster
event and the libraries' logging go to a log file in ``EA_LOG_DIR`` (``-v``: to the terminal as well).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import shutil
import sys
import threading
import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlparse

import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.deliveries.inbox import Folders, sha256_file, unsafe_folder
from ea_pipelines.masking import install_logging
from ea_pipelines.settings import Settings, SettingsError
from ea_pipelines.terminal import TerminalFormatter, printable
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines.warehouse.ddl import TABLES, delivery_tables

if TYPE_CHECKING:  # Dagster is imported only by the commands that run it
    from dagster import DagsterInstance, EventLogEntry


def say(text: object = "", *, file: TextIO | None = None) -> None:
    """Print ``text`` on a line of its own: its control characters shown, never obeyed (a partner's file name
    holding terminal escape codes; :mod:`ea_pipelines.terminal`)."""
    print(printable(text, newlines=True), file=file or sys.stdout)


def compact_tables(counts: dict[str, int], width: int = 110) -> list[str]:
    """Row counts grouped by schema, several tables a line: ``  staging  cbs_observation 15,268, ...``."""
    lines = []
    for schema in dict.fromkeys(t.split(".", 1)[0] for t in counts):
        items = [f"{t.split('.', 1)[1]} {n:,}" for t, n in counts.items() if t.startswith(f"{schema}.")]
        line = f"  {schema:<8} "
        for i, item in enumerate(items):
            piece = item + ("," if i < len(items) - 1 else "")
            if len(line) + len(piece) + 1 > width and line.strip() != schema:
                lines.append(line.rstrip())
                line = " " * 11
            line += piece + " "
        lines.append(line.rstrip())
    return lines


def summary(wh: Warehouse, settings: Settings, batch_id: str | None, compact: bool = False) -> str:
    """What the warehouse holds now, and how this run's loads went; ``compact``: several tables a line."""
    catalogues = load_catalogues(settings)
    tables = [*TABLES, *(t for d in catalogues.deliveries.types for t in delivery_tables(d))]
    where = wh.duckdb_path.resolve() if wh.duckdb_path else wh.display_url
    lines = [f"Warehouse: {where}", "Tables (rows):" if compact else "Tables:"]
    with wh.engine.connect() as conn:
        marts = sorted(t for t in sa.inspect(conn).get_table_names(schema="marts") if "__" not in t)
        counts = {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0
                  for table in [*tables, *(f"marts.{t}" for t in marts)]}
        if compact:
            lines += compact_tables(counts)
        else:
            lines += [f"  {table:<36} {n:>9,} rows" for table, n in counts.items()]
        lines.append(catalogues.summary())
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
                # a file name is a partner's text: on one line, whatever it holds (a line break could forge one)
                lines.append(f"  delivery {dtype}/{printable(name)}: {status}, {rows or 0:,} rows{example}"
                             + (f"; {printable(replaced)}" if replaced else ""))
            folders = Folders(settings.inbox_dir, settings.archive_dir, settings.quarantine_dir)
            unsafe = [(d.name, p) for d in catalogues.deliveries.types for p in folders.problems(d.name)]
            lines += [f"  delivery {name}: WARNING files left alone, not opened: {printable(p)}"
                      for name, p in unsafe]
            if not files and not unsafe:
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
        if sha256_file(example) in known or os.path.lexists(target) or unsafe_folder(settings.inbox_dir, target.parent):
            continue  # never written through a symlinked folder (the run reports it)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example, target)
        # complete the moment it is placed: dated back past the settle time so this run takes it
        settled = time.time() - settings.inbox_settle_seconds - 1
        os.utime(target, (settled, settled))
        seeded.append(target)
    return seeded


class _Once(logging.Filter):
    """Lets each distinct message through once per process (a warning repeated by a retry is said once)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.levelno, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def setup_logging(log_dir: Path | None, verbose: bool) -> Path | None:
    """The terminal gets warnings and errors, each once (``-v``: everything); the log file gets everything."""
    install_logging()  # every record masked (passwords in URLs, keys) before any handler writes it
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(TerminalFormatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        console.addFilter(_Once())
    root.addHandler(console)
    logging.captureWarnings(True)  # library deprecation warnings: to the log (and the terminal once)
    path = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = (log_dir / f"ea-pipelines-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log").resolve()
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)  # libraries' DEBUG (GX alone writes thousands of lines) is not ours
    for ours in ("ea_pipelines", "dagster.run"):
        logging.getLogger(ours).setLevel(logging.DEBUG)
    return path


class Progress:
    """Follows a run's events in the instance: a progress bar on a terminal; elsewhere (a pipe, a CI log) one
    mark per finished step on one line (``.`` ok, ``F`` failed, ``s`` skipped, ``r`` retrying) and a line of its
    own for each step that did not end ok; every event in the log file, Dagster's warnings and errors once."""

    STEP_END = {"STEP_SUCCESS": "ok", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped",
                "STEP_UP_FOR_RETRY": "retrying"}

    def __init__(self, instance: DagsterInstance, run_id: str, steps: int, verbose: bool,
                 out: TextIO | None = None) -> None:
        self.instance, self.run_id, self.steps, self.verbose = instance, run_id, steps, verbose
        self.out = out or sys.stdout
        self.tty = self.out.isatty()
        self.cursor: str | None = None
        self.done = 0
        self.marks = 0  # marks written on the current line (not on a terminal)
        self.started: dict[str, float] = {}
        self.said: set[str] = set()
        self.log = logging.getLogger("dagster.run")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="ea-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.poll()  # whatever came after the last poll
        self.close()
        if self.tty:
            self.out.write("\n")
            self.out.flush()

    def _follow(self) -> None:
        while not self._stop.wait(0.3):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a storage hiccup must not end the run; the final poll retries
                self.log.debug("progress: reading the event log failed", exc_info=True)

    def poll(self) -> None:
        while True:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self.cursor, limit=500)
            for record in conn.records:
                self.event(record.event_log_entry)
            self.cursor = conn.cursor
            if not conn.has_more:
                return

    def event(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        step = entry.step_key or (event.step_key if event else None) or ""
        kind = event.event_type_value if event else "LOG"
        message = entry.message or (event.message if event else "") or ""
        level = entry.level if isinstance(entry.level, int) else logging.INFO
        logging.getLogger("dagster.run").log(
            logging.DEBUG if level < logging.WARNING else level, "%s %s %s", step or "-", kind, message,
            extra={"ea_from_run": True})
        if event is None and level >= logging.WARNING and not self.verbose:
            text = printable(f"{logging.getLevelName(level)} {step}: {entry.user_message}", newlines=True)
            if text not in self.said:
                self.said.add(text)
                self._line(text)
        if kind == "STEP_START":
            self.started[step] = entry.timestamp
        elif kind in self.STEP_END:
            if kind != "STEP_UP_FOR_RETRY":
                self.done += 1
            took = entry.timestamp - self.started.get(step, entry.timestamp)
            self._step(f"{self.STEP_END[kind]:<8} {step.replace('__', '/')} ({took:.1f} s)", kind)

    def _line(self, text: str) -> None:
        if self.tty:
            self.out.write("\r\033[K")
        elif self.marks:  # end the line of marks first
            self.out.write("\n")
            self.marks = 0
        self.out.write(printable(text, newlines=True) + "\n")
        self.out.flush()

    MARKS = {"STEP_SUCCESS": ".", "STEP_FAILURE": "F", "STEP_SKIPPED": "s", "STEP_UP_FOR_RETRY": "r"}

    def _step(self, text: str, kind: str) -> None:
        text = printable(text)
        counter = f"[{self.done:>2}/{self.steps}]"
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.steps, 1))
            self.out.write(f"\r\033[K{counter} [{'#' * filled}{'.' * (width - filled)}] {text}"[:200])
        else:
            self.out.write(("steps " if not self.marks else "") + self.MARKS[kind])
            self.marks += 1
            if kind != "STEP_SUCCESS":  # and the step by name on a line of its own
                self._line(f"{counter} {text}")
        self.out.flush()

    def close(self) -> None:
        """End the line of marks."""
        if self.marks and not self.tty:
            self.out.write(f" {self.done}/{self.steps}\n")
            self.out.flush()
            self.marks = 0


class _NotFromRun(logging.Filter):
    """The run's events are shown by :class:`Progress`; on the terminal only in ``-v`` through Dagster itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "ea_from_run", False)


def run(settings: Settings, with_examples: bool, verbose: bool = False, log_file: Path | None = None) -> int:
    from dagster import DagsterInstance

    from ea_pipelines.defs.report_assets import KEY as REPORT_KEY
    from ea_pipelines.defs.runs import fail_dead_runs, prepare_workspace_run

    for handler in logging.getLogger().handlers:
        if not isinstance(handler, logging.FileHandler):
            handler.addFilter(_NotFromRun())
    if with_examples:
        wh = Warehouse.from_settings(settings)
        wh.ensure_schema(load_delivery_catalogue(settings.delivery_catalogue_path))
        for path in seed_examples(settings, wh):
            say(f"example delivery placed in the inbox: {path}")
        wh.dispose()
    # Dagster's own console output only with -v; the events go to the log file through Progress either way
    run_config = {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}}}
    with DagsterInstance.get() as instance:
        for dead in fail_dead_runs(instance):
            say(f"run {dead.run_id} ({dead.job_name}) had died: marked failed")
        recon_job, dagster_run = prepare_workspace_run(instance, "nightly_refresh", run_config=run_config,
                                                       tags={"ea/launched_by": "ea-pipelines run"})
        from dagster._core.execution.api import execute_run

        steps = len(dagster_run.step_keys_to_execute or []) or len(
            instance.get_execution_plan_snapshot(dagster_run.execution_plan_snapshot_id).step_keys_to_execute)
        say(f"nightly_refresh: run {dagster_run.run_id}, {steps} steps")
        with Progress(instance, dagster_run.run_id, steps, verbose):
            result = execute_run(recon_job, dagster_run, instance, raise_on_error=False)
        materializations = result.get_asset_materialization_events() if result.success else [
            e for e in result.all_events if e.is_step_materialization]
    wh = Warehouse.from_settings(settings)
    say()
    say(f"nightly_refresh {'succeeded' if result.success else 'FAILED'} (run {result.run_id}, "
          f"EA_SOURCE_MODE={settings.source_mode})")
    say(summary(wh, settings, result.run_id, compact=True))
    wh.dispose()
    for event in materializations:
        if event.asset_key == REPORT_KEY:  # the files themselves (the metadata links need `make dev`'s server)
            meta = event.step_materialization_data.materialization.metadata
            folder = Path(meta["report_dir"].value)
            html, pdf = (folder / PurePosixPath(urlparse(meta[k].value).path).name
                         for k in ("report_html", "report_pdf"))
            say(f"Council report: {html.as_uri()} ({meta['charts'].value} charts)")
            say(f"                {pdf.as_uri()}")
    if log_file is not None:
        say(f"Full log (Dagster events, library output): {log_file}")
    return 0 if result.success else 1


def _iso_date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{raw!r}: use a date as YYYY-MM-DD") from exc


def report(settings: Settings, args: argparse.Namespace) -> int:
    """Write the council report of one report moment from the marts as they are (no refresh)."""
    from ea_pipelines import clock
    from ea_pipelines.report.moments import MomentError, check_as_of, resolve

    now = clock.now()
    try:
        moment = resolve(args.moment, args.year, now.date())
        check_as_of(args.as_of)
    except MomentError as exc:
        say(f"ea-pipelines report: {exc}", file=sys.stderr)
        return 2
    from ea_pipelines.report.build import write_report  # matplotlib and reportlab: load only when drawing
    from ea_pipelines.report.formatting import counted

    wh = Warehouse.from_settings(settings)
    try:
        with wh.engine.connect() as conn:
            if not sa.inspect(conn).has_table("kernindicatoren", schema="marts"):
                say("ea-pipelines report: the warehouse has no marts yet; run `ea-pipelines run` first",
                      file=sys.stderr)
                return 2
        files = write_report(wh.engine, args.out or settings.report_dir, now=now, moment=moment, as_of=args.as_of,
                             sql_dir=settings.sql_dir)
    finally:
        wh.dispose()
    c = files.content
    say(f"{moment.title} ({moment.start:%d-%m-%Y} t/m {moment.end:%d-%m-%Y}): "
          f"{counted(len(c.highlights), 'hoogtepunt', 'hoogtepunten')}, "
          f"{counted(len(c.deviations), 'afwijking', 'afwijkingen')}, "
          f"{counted(sum(len(g.efforts) for g in c.goals), 'inspanning', 'inspanningen')}, "
          f"{counted(sum(len(g.contributions) for g in c.goals), 'kwalitatieve bijdrage', 'kwalitatieve bijdragen')}, "
          f"{counted(len(files.charts), 'grafiek', 'grafieken')}")
    say(files.html.resolve())
    say(files.pdf.resolve())
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
                               login_user=args.login_user, leave_open=tuple(args.leave_open),
                               leave_others_open=args.leave_others_open)
        password = read_password(env, access.login_user) if access.login_user and wh.dialect == "postgresql" else None
        for line in setup_analyst_access(wh, access, password):
            say(line)
    except AccessError as exc:
        say(f"ea-pipelines analyst-role: {exc}", file=sys.stderr)
        return 2
    finally:
        wh.dispose()
    say(f"done on {wh.display_url}")
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
    run_p.add_argument("-v", "--verbose", action="store_true",
                       help="also show Dagster's events and library logging on the terminal (always in the log file)")
    sub.add_parser("summary", help="print what the warehouse holds")
    sub.add_parser("serve", help="serve the reports and Data Docs over HTTP on 127.0.0.1:EA_FILES_PORT (make dev)")
    rep = sub.add_parser("report", help="write the council report of one report moment from the marts",
                         description="Write the council report (HTML and PDF) from the marts as they are. "
                         "Without --moment: the latest moment whose period has ended today (January-April: "
                         "jaarverantwoording of the year before; May-August: voorjaarsrapportage; "
                         "September-December: najaarsrapportage).")
    rep.add_argument("--moment", choices=["voorjaarsrapportage", "najaarsrapportage", "jaarverantwoording"])
    rep.add_argument("--year", type=int, help="the moment's year (default: its latest ended instance)")
    rep.add_argument("--as-of", type=_iso_date, metavar="YYYY-MM-DD",
                     help="show the figures as known on this date: each value as first published by then "
                          "(default: everything the warehouse holds now)")
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
    role.add_argument("--leave-open", action="append", default=[], metavar="DATABASE",
                      help="leave this other database of the server as it is (repeatable; * and ? match). By "
                      "default every other database the group could reach is closed to it (CONNECT and "
                      "TEMPORARY), or the command refuses and changes nothing")
    role.add_argument("--leave-others-open", action="store_true",
                      help="leave every other database as it is (they are listed)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        say(f"ea-pipelines: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        if args.full_refresh:
            settings = dataclasses.replace(settings, full_refresh=True)
        log_file = setup_logging(settings.log_dir, args.verbose)
        return run(settings, args.with_examples, args.verbose, log_file)
    install_logging()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(TerminalFormatter("%(levelname)s %(name)s: %(message)s"))
    if args.command == "report":
        return report(settings, args)
    if args.command == "serve":
        from ea_pipelines.serve import serve

        serve(settings.report_dir, settings.data_docs_dir, port=settings.files_port)
        return 0
    if args.command == "analyst-role":
        return analyst_role(settings, args, dict(os.environ))
    if args.command == "docs":
        from ea_pipelines.sqlmodels.docs import render_docs
        from ea_pipelines.sqlmodels.project import load_project

        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render_docs(load_project(settings.sql_dir), load_catalogues(settings)), encoding="utf-8")
        say(args.out)
        return 0
    if args.command == "templates":
        from ea_pipelines.deliveries.templates import write_templates

        for path in write_templates(load_delivery_catalogue(settings.delivery_catalogue_path), args.out,
                                    max_mb=settings.delivery_max_bytes // 2**20):
            say(path)
        return 0
    wh = Warehouse.from_settings(settings)
    wh.ensure_schema(load_delivery_catalogue(settings.delivery_catalogue_path))
    say(summary(wh, settings, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A password in a configured URL (EA_CBS_V4_URL=http://user:pw@…) never reaches a message, meta or a manifest."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import re
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.errors import CbsError, CbsHostUnreachable
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import ECHO, FakeCbsServer, FakeTable, Fault
from ea_pipelines.devtools.fake_swing_server import FakeSwingServer, FakeVariable
from ea_pipelines.devtools.isolated import isolated_env
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.masking import mask
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR, Settings
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST

SECRET = "Pw-4711-geheim"


@pytest.mark.parametrize("scheme", ["http", "https", "postgresql+psycopg", "ftp"])
@pytest.mark.parametrize("user", ["ea", "ea.loader", ""])
@pytest.mark.parametrize("around", ["{}", "GET {}/Properties failed", "({}) and {}", "'{}'"])
def test_every_url_in_a_text_is_masked(scheme: str, user: str, around: str) -> None:
    url = f"{scheme}://{user}:{SECRET}@cbs.example:8443/odata?x=1"
    masked = mask(around.format(url, url))
    assert SECRET not in masked
    assert masked == around.format(f"{scheme}://{user}:***@cbs.example:8443/odata?x=1",
                                   f"{scheme}://{user}:***@cbs.example:8443/odata?x=1")


def test_text_without_credentials_is_unchanged() -> None:
    text = "HTTP 404 for http://127.0.0.1:8080/odata/v1/CBS/03759ned/Properties; mail data@cbs.nl"
    assert mask(text) == text


def with_password(url: str) -> str:
    return url.replace("http://", f"http://ea:{SECRET}@")


def test_a_live_load_with_a_password_in_the_url_keeps_it_out_of_meta_and_the_manifest(
        cbs_server: FakeCbsServer, catalogue: CbsCatalogue, warehouse: Warehouse, tmp_path: Path) -> None:
    source = CbsSource("live", with_password(cbs_server.v4_url), with_password(cbs_server.v3_url),
                       DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)
    assert load_cbs_table(catalogue.table("bevolking"), source, warehouse, batch_id="ok").status == "published"
    missing = dataclasses.replace(catalogue.table("bevolking"), table_id="99999ned")
    with pytest.raises(CbsError) as err:
        load_cbs_table(missing, source, warehouse, batch_id="missing")
    assert SECRET not in str(err.value) and "ea:***@" in str(err.value)
    with warehouse.engine.connect() as conn:
        messages = conn.execute(sa.text("SELECT coalesce(message, '') FROM meta.load_log")).scalars().all()
    assert len(messages) == 2 and not any(SECRET in m for m in messages)
    manifests = list((tmp_path / "landing").rglob("manifest.json"))
    assert manifests and all(SECRET not in m.read_text() for m in manifests)
    assert json.loads(manifests[0].read_text())["source"].startswith("http://ea:***@127.0.0.1:")


def test_an_unreachable_host_is_named_without_the_password(tmp_path: Path, catalogue: CbsCatalogue) -> None:
    dead = f"http://ea:{SECRET}@127.0.0.1:9/odata/v1/CBS"  # port 9: nothing listens
    source = CbsSource("live", dead, dead, DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    with pytest.raises(CbsHostUnreachable) as err:
        source.fetch(catalogue.table("bevolking"), batch_id="t")
    assert SECRET not in str(err.value) and "127.0.0.1:9" in str(err.value)


# -- the whole nightly, live, with planted secrets: every output searched ------------------------------------------

#: planted in every configured URL, the API key and the warehouse URL; none may appear in any output
PASSWORD = "Pw-4711-geheim"
API_KEY = "Swing-key-0815-nicht-verraten"
DB_PASSWORD = "Db-pass-2718-geheim"
#: the Basic Authorization header a client makes of http://ea:PASSWORD@…, which a hostile server echoes
BASIC = base64.b64encode(f"ea:{PASSWORD}".encode()).decode()
PLANTED = (PASSWORD, API_KEY, DB_PASSWORD, BASIC)
ROOT = Path(__file__).resolve().parents[1]

#: partner file names a hostile sender could choose: the issue's title-and-colour name, every C0 control, DEL and
#: the C1 controls, bidirectional overrides and isolates (generated from the code points, not hand-picked)
HOSTILE_NAMES = (
    "\x1b]0;TITLE\x07\x1b[31mRED\x1b[0m.csv",
    "c0 " + "".join(chr(c) for c in range(1, 32) if chr(c) != "/") + ".csv",
    "c1 \x7f" + "".join(chr(c) for c in range(0x80, 0xA0)) + ".csv",
    "bidi \u202egnp.exe\u202c \u2066x\u2069 \u200b\u200f.csv",
)


def leaks(text: str | bytes, where: str) -> list[str]:
    """``where`` for each planted secret ``text`` holds."""
    data = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return [f"{where}: {secret!r}" for secret in PLANTED if secret in data]


def file_texts(root: Path) -> list[tuple[str, bytes]]:
    """Every file under ``root`` as bytes, PDF streams inflated (the report's text is compressed)."""
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out.append((str(path), data))
        if path.suffix == ".pdf":
            for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
                with contextlib.suppress(zlib.error):
                    out.append((f"{path} (stream)", zlib.decompress(stream)))
    return out


def warehouse_texts(url: str) -> list[tuple[str, str]]:
    """Every value of every column of every table and view in every schema, cast to text in the database."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for schema in inspector.get_schema_names():
            if schema in ("information_schema", "pg_catalog", "pg_toast") or schema.startswith("pg_"):
                continue
            for table in [*inspector.get_table_names(schema=schema), *inspector.get_view_names(schema=schema)]:
                columns = [c["name"] for c in inspector.get_columns(table, schema=schema)]
                cast = ", ".join(f'CAST("{c}" AS TEXT)' for c in columns)
                for row in conn.execute(sa.text(f'SELECT {cast} FROM "{schema}"."{table}"')):
                    out += [(f"{schema}.{table}.{c}", v) for c, v in zip(columns, row, strict=True) if v]
    engine.dispose()
    return out


GRAPHQL_METADATA = """
  metadataEntries { label __typename
    ... on TextMetadataEntry { text } ... on MarkdownMetadataEntry { mdStr } ... on JsonMetadataEntry { jsonString }
    ... on PathMetadataEntry { path } ... on UrlMetadataEntry { url } }"""
GRAPHQL_RUN = """
query Logs($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor, limit: 1000) {
    __typename
    ... on EventConnection { cursor hasMore events { __typename
      ... on MessageEvent { message level stepKey }
      ... on MaterializationEvent { METADATA }
      ... on ObservationEvent { METADATA }
      ... on ExecutionStepFailureEvent { error { message stack causes { message stack } } }
      ... on RunFailureEvent { error { message stack } }
      ... on AssetCheckEvaluationEvent { evaluation { METADATA } } } }
    ... on PythonError { message }
  }
  runOrError(runId: $runId) { ... on Run { runConfigYaml tags { key value } } }
}""".replace("METADATA", GRAPHQL_METADATA)


def graphql_texts(instance: dg.DagsterInstance) -> list[tuple[str, str]]:
    """What the UI's GraphQL API serves about every run: each event with its message, metadata and errors, the
    run config and tags, through dagster_graphql's schema over this instance (no code location loaded)."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import EmptyWorkspaceTarget
    from dagster_graphql.test.utils import execute_dagster_graphql

    out = []
    with WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as process:
        for run in instance.get_runs():
            cursor, more = None, True
            while more:
                result = execute_dagster_graphql(process.create_request_context(), GRAPHQL_RUN,
                                                 {"runId": run.run_id, "cursor": cursor})
                logs = result.data["logsForRun"]
                assert logs["__typename"] == "EventConnection", logs
                out.append((f"graphql run {run.run_id}", json.dumps(result.data)))
                cursor, more = logs["cursor"], logs["hasMore"]
    return out


def event_log_texts(instance: dg.DagsterInstance) -> list[tuple[str, str]]:
    """Every event record of every run as stored (message, metadata, error), serialised."""
    from dagster._serdes import serialize_value

    out = []
    for run in instance.get_runs():
        out.append((f"run {run.run_id}", serialize_value(run)))
        records = instance.get_records_for_run(run.run_id, limit=100_000).records
        out += [(f"event {r.storage_id}", serialize_value(r.event_log_entry)) for r in records]
    return out


def swing_variables() -> list[FakeVariable]:
    """The catalogue's variables with synthetic values in their value ranges (as the bundled snapshots)."""
    from ea_pipelines.catalogue.swing import load_swing_catalogue
    from ea_pipelines.devtools.build_swing_snapshots import fake_variables

    return fake_variables(load_swing_catalogue(Settings().swing_catalogue_path))


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://ea:{PASSWORD}@")


@pytest.mark.timeout(900)  # two whole nightly runs, live against the fake servers
def test_no_planted_secret_reaches_any_output(fake_tables: list[FakeTable], tmp_path: Path) -> None:
    """Passwords in the CBS v3, v4 and Swing URLs and in the warehouse URL, and an API key, through two live
    nightly runs of `ea-pipelines run` against hostile servers that echo the key, the Authorization header and
    the URL with its credentials in every JSON answer, and (second run) in 400/401/403 bodies and HTML pages.

    Searched: the terminal, the log files, every file of the Dagster instance (event log, run and compute logs),
    every event record, what GraphQL serves of each run, every column of every table in the warehouse, every
    file in the landing folder (manifests and bodies: a landed body is the server's answer with the known
    secrets masked), the reports, the Data Docs, the inbox, archive and quarantine."""
    from ea_pipelines_tests.conftest import _postgres_or_skip, reset_postgres

    pg = _postgres_or_skip()
    reset_postgres(pg)
    warehouse_url = make_url(pg).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    home = Path(os.environ["DAGSTER_HOME"])
    with FakeCbsServer(fake_tables, page_size=2_000) as cbs, \
            FakeSwingServer(swing_variables(), api_key=API_KEY, page_size=20) as ods:
        cbs.echo = ods.echo = True
        # a hostile catalogue listing: the edition's title repeats the request (the key, the credentials)
        cbs.tamper(r"/ODataCatalog/Tables$", lambda path, params, body: body.replace(
            b'"Title": "Arbeidsdeelname', f'"Title": "{ECHO} Arbeidsdeelname'.encode()))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("EA_") or k == "EA_TODAY"},
               **isolated_env(tmp_path, source_mode="live", dagster_home=False),
               "PYTHONPATH": str(ROOT), "EA_WAREHOUSE_URL": warehouse_url, "EA_INBOX_SETTLE_SECONDS": "0",
               "EA_CBS_V4_URL": with_credentials(cbs.v4_url), "EA_CBS_V3_URL": with_credentials(cbs.v3_url),
               "EA_SWING_ODS_URL": with_credentials(ods.ods_url), "EA_SWING_API_KEY": API_KEY,
               "EA_HTTP_MAX_ATTEMPTS": "2", "EA_HTTP_BACKOFF_CAP": "0"}
        first = run_nightly(env, tmp_path)
        first_warehouse = warehouse_texts(pg)  # staging.cbs_edition is replaced by the next run
        # the second run: error pages that repeat the request, on one table of each API and one variable
        cbs.inject(r"/03759ned/Properties$", Fault("echo", status=401))
        cbs.inject(r"/70072ned/Properties$", Fault("echo", status=200, content_type="text/html"))
        cbs.inject(r"/ODataCatalog/Tables$", Fault("echo", status=400))
        cbs.inject(r"/85969NED/TableInfos$", Fault("echo", status=403, content_type="text/html"))
        variable = swing_variables()[0].code
        ods.inject(rf"/Variables\('{variable}'\)", Fault("echo", status=401))
        second = run_nightly(env, tmp_path)
        assert not any(cbs.faults.values()) and not any(ods.faults.values()), "every hostile answer was given"
        assert API_KEY in ods.keys_seen  # the key went out, and came back in every answer

    outputs: list[tuple[str, str | bytes]] = []
    for i, run in enumerate((first, second), 1):
        outputs += [(f"run {i} stdout", run.stdout), (f"run {i} stderr", run.stderr)]
    for folder in ("logs", "landing", "reports", "docs", "inbox", "archive", "quarantine"):
        assert folder in ("inbox", "archive", "quarantine") or (tmp_path / folder).is_dir(), folder
        outputs += file_texts(tmp_path / folder)
    outputs += file_texts(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_runs()) == 2
        outputs += event_log_texts(instance)
        outputs += graphql_texts(instance)
    outputs += [(f"run 1 {where}", text) for where, text in first_warehouse] + warehouse_texts(pg)

    found = [leak for where, text in outputs for leak in leaks(text, where)]
    assert found == []
    for run in (first, second):  # issue 25 H: the hostile file names are shown on the terminal, not obeyed
        terminal = run.stdout + run.stderr
        assert sorted({f"U+{ord(c):04X}" for c in terminal if c != "\n" and unicodedata.category(c) in
                       ("Cc", "Cf", "Cs", "Zl", "Zp")}) == []
    assert "delivery mkb_ranking/\\x1b]0;TITLE\\x07\\x1b[31mRED\\x1b[0m.csv: " in first.stdout
    # not vacuous: the URLs, the echoes and the refusals did reach those outputs, masked
    logged = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "logs").glob("*.log"))
    assert "fetched live from http://ea:***@127.0.0.1:" in logged
    assert "Authorization=Basic *** url=http://ea:***@127.0.0.1" in logged  # an echoing error page, quoted
    events = "\n".join(text for where, text in outputs if where.startswith(("event ", "graphql ")))
    assert "HTTP 401" in events and "apikey=*** Authorization=Basic ***" in events  # the Swing step's failure
    landed = b"".join(data for _, data in file_texts(tmp_path / "landing"))
    assert b"apikey=*** Authorization=Basic *** url=http://ea:***@127.0.0.1" in landed
    assert any(where == "staging.cbs_edition.title" and "Authorization=Basic *** url=http://ea:***@" in text
               for where, text in first_warehouse)  # the hostile catalogue listing's title, stored masked
    assert any(where == "staging.cbs_edition.origin" and "catalogue http://ea:***@127.0.0.1" in text
               for where, text in first_warehouse)
    engine = sa.create_engine(pg, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        origins = conn.execute(sa.text("SELECT origin FROM staging.cbs_edition")).scalars().all()
        messages = conn.execute(sa.text("SELECT message FROM meta.load_log WHERE status = 'failed'")).scalars().all()
    engine.dispose()
    assert any("CBS catalogue listing failed: HTTP 400" in o and "Authorization=Basic ***" in o for o in origins)
    assert any("HTTP 401" in m and "apikey=*** Authorization=Basic ***" in m for m in messages), messages
    assert any("HTTP 403" in m and "Authorization=Basic ***" in m for m in messages), messages
    assert any("not JSON" in m and "Authorization=Basic ***" in m for m in messages), messages


def run_nightly(env: dict[str, str], work: Path) -> subprocess.CompletedProcess[str]:
    """`ea-pipelines run` in a fresh process, with a partner file under each hostile name in the inbox."""
    folder = work / "inbox" / "mkb_ranking"
    folder.mkdir(parents=True, exist_ok=True)
    example = ROOT / "ea_pipelines" / "deliveries" / "examples" / "mkb_ranking" / "voorbeeld_mkb_ranking.csv"
    for name in HOSTILE_NAMES:
        (folder / name).write_bytes(example.read_bytes())
    done = subprocess.run([sys.executable, "-m", "ea_pipelines.cli", "run"], env=env, cwd=work, text=True,
                          capture_output=True, timeout=600, check=False, errors="surrogateescape")
    assert "Full log" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    return done

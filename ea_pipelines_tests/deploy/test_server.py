"""The server path, run for real on this machine (``make test-deploy``; ``.ci/run`` runs it).

The test starts what ``docs/deployment.md`` describes: ``dagster-daemon`` and ``dagster-webserver`` with the Dagster
instance in PostgreSQL (``deploy/dagster.yaml``, a database of its own), a warehouse database, and launches
``nightly_refresh`` through the daemon's run queue as the schedule would. Then the same with
``EA_EXECUTOR=celery``: a Redis broker and two ``dagster-celery`` workers started here, every step in a worker,
and a worker killed in the middle of a step. Last, nginx with basic authentication in front of the webserver, and
in front of a recording upstream: no symlink served from the file folders, no Authorization header forwarded.
Everything is stopped by PID afterwards. The three nightly timings go to ``EA_TEST_TIMINGS_FILE`` when set.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import ADMIN_URL, TEST_TODAY, _postgres_or_skip
from ea_pipelines_tests.deploy.services import BIN, ROOT, Service, free_port, graphql, wait_until
from ea_pipelines_tests.faults.harness import published

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(1800)]  # whole nightly runs through real services
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
REDIS = shutil.which("redis-server")
CELERY_CONFIG = ROOT / "deploy" / "run_config" / "celery_executor.yaml"
RUN = """query ($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }"""
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def databases() -> Iterator[dict[str, str]]:
    """The Dagster instance's database and the warehouse's, both created here and dropped afterwards."""
    owned = make_url(_postgres_or_skip())
    urls = {kind: owned.set(database=f"{owned.database}_{kind}").render_as_string(hide_password=False)
            for kind in ("dagster", "warehouse")}
    admin = sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for url in urls.values():
            conn.execute(sa.text(f'CREATE DATABASE "{make_url(url).database}"'))
    yield urls
    with admin.connect() as conn:
        for url in urls.values():
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()
    if os.environ.get("EA_TEST_TIMINGS_FILE"):
        Path(os.environ["EA_TEST_TIMINGS_FILE"]).parent.mkdir(parents=True, exist_ok=True)
        Path(os.environ["EA_TEST_TIMINGS_FILE"]).write_text(json.dumps(TIMINGS, indent=1))


@pytest.fixture(scope="module")
def env(databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every service: the deployment's dagster.yaml, its PG_* variables, EA_* settings."""
    tmp = tmp_path_factory.mktemp("server")
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    instance = make_url(databases["dagster"])
    return {
        "PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(tmp), "LANG": "C.UTF-8", "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": instance.host or "127.0.0.1", "DAGSTER_PG_PORT": str(instance.port or 5432),
        "DAGSTER_PG_DB": instance.database, "DAGSTER_PG_USER": instance.username or "postgres",
        "DAGSTER_PG_PASSWORD": instance.password or "",
        "EA_WAREHOUSE_URL": databases["warehouse"], "EA_SOURCE_MODE": "replay", "EA_TODAY": TEST_TODAY,
        "EA_FULL_REFRESH": "true",  # every run does the same (full) work, so that the timings compare
        **{f"EA_{name}_DIR": str(tmp / "data" / name.lower())
           for name in ("LANDING", "INBOX", "ARCHIVE", "QUARANTINE", "REPORT", "DATA_DOCS")},
    }


@pytest.fixture(scope="module")
def webserver(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str]]:
    port = free_port()
    web = Service("webserver", [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                                "-w", "workspace.yaml"], env, tmp_path_factory.mktemp("logs")).start()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{url}/server_info", timeout=5).ok
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, "the webserver to answer", [web], timeout=300)
        yield web, url
    finally:
        web.stop()


def daemon(env: dict[str, str], logs: Path) -> Service:
    return Service("daemon", [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], env, logs).start()


def launch(env: dict[str, str], *config: Path) -> str:
    """``dagster job launch``: the run goes to the instance's queue, where the daemon picks it up."""
    run_id = str(uuid.uuid4())
    args = [str(BIN / "dagster"), "job", "launch", "-j", "nightly_refresh", "-w", "workspace.yaml",
            "--run-id", run_id, *[a for c in config for a in ("-c", str(c))]]
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return run_id


def finished(url: str, run_id: str, services: list[Service], observe: Callable[[], None] = lambda: None) -> dict:
    """The run once it ended, read through the webserver's GraphQL; ``observe`` is called at every poll."""
    def status() -> dict | None:
        observe()
        run = graphql(f"{url}/graphql", RUN, {"id": run_id})["runOrError"]
        return run if run.get("status") in ("SUCCESS", "FAILURE", "CANCELED") else None

    return wait_until(status, f"run {run_id} to end", services, timeout=1200)


def events(databases: dict[str, str], run_id: str, kind: str | None = None) -> list[dict]:
    """The run's events as stored in the PostgreSQL instance."""
    engine = sa.create_engine(databases["dagster"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT event FROM event_logs WHERE run_id = :r AND (CAST(:k AS TEXT) IS NULL OR "
                                    "dagster_event_type = :k) ORDER BY id"), {"r": run_id, "k": kind}).scalars()
        out = [json.loads(r) for r in rows]
    engine.dispose()
    return out


def warehouse_state(databases: dict[str, str]) -> tuple[int, float]:
    engine = sa.create_engine(databases["warehouse"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        kern = conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar()
        almelo = conn.execute(sa.text(
            "SELECT value FROM staging.cbs_observation WHERE table_id = '03759ned' AND measure_code = 'M000352' "
            "AND region_code = 'GM0141' AND period_code = '2024JJ00'")).scalar()
    engine.dispose()
    return kern, almelo


def test_the_daemon_runs_the_nightly_job_from_its_queue(env, webserver, databases, tmp_path) -> None:
    web, url = webserver
    worker = daemon(env, tmp_path)
    try:
        run_id = launch(env)
        run = finished(url, run_id, [web, worker])
    finally:
        worker.stop()
    assert run["status"] == "SUCCESS", worker.tail(60)
    kinds = [e["dagster_event"]["event_type_value"] for e in events(databases, run_id) if e.get("dagster_event")]
    # through the queue: enqueued by the launch, launched by the daemon (STARTING), started by the run worker
    # (Dagster stores these run events under their old PIPELINE_* names)
    assert kinds.index("PIPELINE_ENQUEUED") < kinds.index("PIPELINE_STARTING") < kinds.index("PIPELINE_START")
    assert "PIPELINE_SUCCESS" in kinds and "PIPELINE_FAILURE" not in kinds
    assert kinds.count("STEP_SUCCESS") >= 20
    assert warehouse_state(databases) == (11, 74_317.0)
    TIMINGS["daemon_seconds"] = round(run["endTime"] - run["startTime"], 1)


def test_the_same_run_in_process_for_comparison(env, databases) -> None:
    started = time.monotonic()
    out = subprocess.run([str(BIN / "dagster"), "job", "execute", "-m", "ea_pipelines.definitions", "-a", "defs",
                          "-j", "nightly_refresh"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    TIMINGS["in_process_seconds"] = round(time.monotonic() - started, 1)
    assert warehouse_state(databases) == (11, 74_317.0)


RUNS_BY_TAG = """query ($key: String!, $value: String!) { runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
  ... on Runs { results { runId status } } } }"""
JOB_RUNS = """{ pipelineOrError(params: {repositoryLocationName: "ea_pipelines", repositoryName: "__repository__",
  pipelineName: "nightly_refresh"}) { ... on Pipeline { runs { runId } } } }"""


def test_a_killed_run_is_marked_failed_and_the_next_queued_run_starts(env, webserver, databases, tmp_path) -> None:
    """kill -9 of the daemon with its code server and the run worker it launched (a crash, an out-of-memory kill of
    the service, a restart): nothing of Dagster's is left to notice, so the run stays STARTED and the queue
    (max_concurrent_runs: 1) is blocked. The restarted daemon's dead_run_sensor marks it failed with the reason;
    the run queued behind it starts and succeeds, and the run retry re-runs the killed one.

    (While the code server that launched a run worker lives, Dagster 1.13's server itself fails the run of a
    worker that died; this is the case where it cannot.)"""
    web, url = webserver
    worker = daemon(env, tmp_path)
    try:
        first = launch(env)

        def run_worker_pid() -> int | None:
            started = events(databases, first, "PIPELINE_START")
            return started[0]["dagster_event"]["pid"] if started else None

        victim = wait_until(run_worker_pid, "the first run to start", [web, worker])
        assert victim in worker.pids()  # the run worker is the daemon's code server's child
        second = launch(env)
        assert graphql(f"{url}/graphql", RUN, {"id": second})["runOrError"]["status"] == "QUEUED"
        os.killpg(os.getpgid(worker.proc.pid), signal.SIGKILL)
        worker.proc.wait(timeout=30)
        wait_until(lambda: not Path(f"/proc/{victim}").exists() or "Z" in Path(f"/proc/{victim}/stat").read_text()
                   .rsplit(")", 1)[1].split()[:1], "the run worker to be gone", [web])
        time.sleep(5)
        assert graphql(f"{url}/graphql", RUN, {"id": first})["runOrError"]["status"] == "STARTED"  # left behind
        worker = daemon(env, tmp_path)  # the service restarts
        killed = finished(url, first, [web, worker])
        assert killed["status"] == "FAILURE"
        reason = json.dumps(events(databases, first, "PIPELINE_FAILURE"))
        assert f"its run worker (pid {victim}) is no longer running" in reason, reason
        nxt = finished(url, second, [web, worker])
        assert nxt["status"] == "SUCCESS", worker.tail(60)
        assert nxt["startTime"] >= killed["endTime"]  # it waited in the queue until the dead run was failed
        retry = wait_until(lambda: graphql(f"{url}/graphql", RUNS_BY_TAG, {"key": "dagster/parent_run_id",
                                                                         "value": first})["runsOrError"]["results"],
                           "the run retry of the killed run", [web, worker])
        assert finished(url, retry[0]["runId"], [web, worker])["status"] == "SUCCESS"
    finally:
        worker.stop()
    listed = {r["runId"] for r in graphql(f"{url}/graphql", JOB_RUNS)["pipelineOrError"]["runs"]}
    assert {first, second} <= listed
    assert warehouse_state(databases) == (11, 74_317.0)


@pytest.fixture
def celery(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, str], list[Service]]]:
    """A Redis broker and two dagster-celery workers, started here; the daemon's and workers' EA_EXECUTOR=celery."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    broker = Service("redis", [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], env, tmp_path).start()
    cenv = {**env, "EA_EXECUTOR": "celery", "DAGSTER_CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
            "DAGSTER_CELERY_BACKEND_URL": f"redis://127.0.0.1:{port}/1"}
    workers = [Service(f"worker{i}", [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                                      "-y", str(CELERY_CONFIG), "-n", f"ea{i}"], cenv, tmp_path).start()
               for i in (1, 2)]
    try:
        yield cenv, [broker, *workers]
    finally:
        for service in reversed([broker, *workers]):
            service.stop()


def test_celery_workers_run_every_step(celery, webserver, databases, tmp_path) -> None:
    cenv, (broker, *workers) = celery
    web, url = webserver
    worker_pids: set[int] = set()
    runner = daemon(cenv, tmp_path)
    try:
        run_id = launch(cenv, CELERY_CONFIG)
        run = finished(url, run_id, [web, runner, broker, *workers],  # the prefork children that run the steps:
                       lambda: worker_pids.update(*(w.pids() for w in workers)))
    finally:
        runner.stop()
    assert run["status"] == "SUCCESS", "\n".join(s.tail(60) for s in (runner, *workers))
    starts = events(databases, run_id, "STEP_START")
    assert len(starts) >= 20
    step_pids = {e["dagster_event"]["pid"] for e in starts}
    assert step_pids <= worker_pids, f"steps ran outside the Celery workers: {step_pids - worker_pids}"
    by_worker = [step_pids & w.pids() for w in workers]
    assert all(by_worker), f"a worker ran no step: {by_worker}"
    assert warehouse_state(databases) == (11, 74_317.0)
    TIMINGS["celery_seconds"] = round(run["endTime"] - run["startTime"], 1)


def test_killing_a_worker_in_the_middle_of_a_step(celery, webserver, databases, tmp_path) -> None:
    """A CBS step is held where it publishes (staging.cbs_period is locked; the schema set-up does not touch it),
    the worker process running it is killed with SIGKILL, then the lock is let go."""
    cenv, (broker, *workers) = celery
    web, url = webserver
    wh = Warehouse(databases["warehouse"])
    wh.ensure_schema()  # when this test runs on its own
    with wh.engine.begin() as conn:  # no CBS version yet, so that every CBS step really publishes (and waits)
        conn.execute(sa.text("TRUNCATE staging.cbs_observation, staging.cbs_region, staging.cbs_measure, "
                             "staging.cbs_period"))
        conn.execute(sa.text("DELETE FROM meta.load_log WHERE source = 'cbs'"))
    before = published(wh, ("staging", "marts"))
    hold = sa.create_engine(databases["warehouse"], poolclass=sa.pool.NullPool)
    runner = daemon(cenv, tmp_path)
    try:
        with hold.connect() as conn:
            conn.execute(sa.text("LOCK TABLE staging.cbs_period IN SHARE MODE"))  # every CBS publish waits
            run_id = launch(cenv, CELERY_CONFIG)

            def held_step() -> int | None:
                # from a connection of its own: inside the hold's transaction pg_stat_activity is a snapshot
                with hold.connect() as watch:
                    waiting = watch.execute(sa.text(  # a loader session (warehouse.locks.APPLICATION_NAME) waits
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND application_name = 'ea-pipelines' AND datname = current_database()")).scalar()
                done = {e["step_key"] for e in events(databases, run_id, "STEP_SUCCESS")}
                starts = [e for e in events(databases, run_id, "STEP_START")
                          if e["step_key"].startswith("cbs__") and e["step_key"] not in done]
                return (starts[0]["dagster_event"]["pid"], starts[0]["step_key"]) if waiting and starts else None

            victim, step = wait_until(held_step, "a CBS step to wait where it publishes", [runner, broker, *workers])
            os.kill(victim, signal.SIGKILL)
            conn.rollback()  # lets the other steps go
        run = finished(url, run_id, [web, runner, broker, *workers])
    finally:
        runner.stop()
        hold.dispose()
    step_events = [e for e in events(databases, run_id) if e.get("step_key") == step and e.get("dagster_event")]
    if run["status"] == "SUCCESS":  # Celery put the lost task back on the queue and another process ran the step
        starts = [e["dagster_event"]["pid"] for e in step_events if e["dagster_event"]["event_type_value"]
                  in ("STEP_START", "STEP_RESTARTED")]
        assert starts[0] == victim and len(starts) >= 2 and starts[-1] != victim, starts
        kinds = [e["dagster_event"]["event_type_value"] for e in step_events]
        assert "STEP_SUCCESS" in kinds and "STEP_FAILURE" not in kinds
        assert warehouse_state(databases) == (11, 74_317.0)
    else:  # failed: nothing of the killed step was published, and the rest is as it was or newly complete
        assert run["status"] == "FAILURE"
        assert published(wh, ("staging",)) == {k: v for k, v in before.items() if k.startswith("staging")}
    TIMINGS["killed_worker_outcome"] = run["status"]
    wh.dispose()


NGINX_CONF = """
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
{auth}
    }}
}}
"""


def test_nginx_lets_only_authenticated_requests_through(env, webserver, tmp_path) -> None:
    """deploy/nginx-basic-auth.conf's location blocks, in front of the real webserver and the report and Data Docs
    folders."""
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian package nginx; .ci/run installs it)")
    web, url = webserver
    password = uuid.uuid4().hex
    hashed = subprocess.run(["openssl", "passwd", "-apr1", password], capture_output=True, text=True, check=True)
    (tmp_path / "htpasswd").write_text(f"analist:{hashed.stdout.strip()}\n")
    block = (ROOT / "deploy" / "nginx-basic-auth.conf").read_text()
    block = (block.replace("/etc/nginx/ea-pipelines.htpasswd", str(tmp_path / "htpasswd"))
             .replace("http://127.0.0.1:3000", url)
             .replace("/srv/ea-pipelines/data/reports/", env["EA_REPORT_DIR"] + "/")
             .replace("/srv/ea-pipelines/data/data_docs/", env["EA_DATA_DOCS_DIR"] + "/"))
    report = Path(env["EA_REPORT_DIR"]) / "2026-11-30" / "kernindicatoren.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("<h1>Raadsrapportage</h1>", encoding="utf-8")
    Path(env["EA_DATA_DOCS_DIR"]).mkdir(parents=True, exist_ok=True)
    (Path(env["EA_DATA_DOCS_DIR"]) / "index.html").write_text("<title>Data Docs</title>", encoding="utf-8")
    port = free_port()
    (tmp_path / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp_path, port=port, auth=block))
    proxy = Service("nginx", [NGINX, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"], {}, tmp_path).start()
    base = f"http://127.0.0.1:{port}"
    query = {"query": "{ version }"}
    try:
        def up() -> bool:
            try:
                return requests.get(base, timeout=5).status_code == 401
            except requests.ConnectionError:
                return False

        wait_until(up, "nginx to answer", [proxy, web], timeout=60)
        assert requests.get(f"{base}/", timeout=10).status_code == 401
        assert requests.post(f"{base}/graphql", json=query, timeout=10).status_code == 401
        assert requests.post(f"{base}/graphql", json=query, auth=("analist", "wrong"), timeout=10).status_code == 401
        ok = requests.post(f"{base}/graphql", json=query, auth=("analist", password), timeout=30)
        assert ok.status_code == 200 and ok.json()["data"]["version"]
        assert requests.get(f"{base}/", auth=("analist", password), timeout=30).status_code == 200
        # the report and the Data Docs, where EA_FILES_URL=<host>/files points the UI's links: the same login
        for path, text in (("/files/reports/2026-11-30/kernindicatoren.html", "Raadsrapportage"),
                           ("/files/data-docs/index.html", "Data Docs")):
            assert requests.get(base + path, timeout=10).status_code == 401
            assert requests.get(base + path, auth=("analist", "wrong"), timeout=10).status_code == 401
            got = requests.get(base + path, auth=("analist", password), timeout=10)
            assert got.status_code == 200 and text in got.text
        assert requests.get(f"{base}/files/reports/", auth=("analist", password), timeout=10).status_code == 403
    finally:
        proxy.stop()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A stand-in for the Dagster upstream that remembers the headers of every request it gets."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the handler's name in http.server
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b"upstream"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_nginx_follows_no_symlink_and_keeps_the_login_from_the_upstream(tmp_path: Path) -> None:
    """deploy/nginx-basic-auth.conf: a symlink in the report or Data Docs folder (to a file or a folder outside
    it) is refused with 403 or 404, never served; the client's Basic Authorization header stops at nginx."""
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian package nginx; .ci/run installs it)")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    password = uuid.uuid4().hex
    hashed = subprocess.run(["openssl", "passwd", "-apr1", password], capture_output=True, text=True, check=True)
    (tmp_path / "htpasswd").write_text(f"analist:{hashed.stdout.strip()}\n")
    reports, docs, outside = tmp_path / "reports", tmp_path / "data_docs", tmp_path / "outside"
    for folder in (reports / "2026-11-30", docs, outside / "folder"):
        folder.mkdir(parents=True)
    secret = "geheim: niet voor analisten"
    (outside / "secret.txt").write_text(secret)
    (outside / "folder" / "secret.html").write_text(secret)
    (reports / "2026-11-30" / "kernindicatoren.html").write_text("<h1>Raadsrapportage</h1>")
    (docs / "index.html").write_text("<title>Data Docs</title>")
    links = {"passwd": Path("/etc/passwd"), "secret.txt": outside / "secret.txt", "map": outside / "folder"}
    for folder in (reports, docs, reports / "2026-11-30"):
        for name, target in links.items():
            (folder / name).symlink_to(target)
    (reports / "relatief.txt").symlink_to(os.path.relpath(outside / "secret.txt", reports))
    block = ((ROOT / "deploy" / "nginx-basic-auth.conf").read_text()
             .replace("/etc/nginx/ea-pipelines.htpasswd", str(tmp_path / "htpasswd"))
             .replace("http://127.0.0.1:3000", f"http://127.0.0.1:{upstream.server_port}")
             .replace("/srv/ea-pipelines/data/reports/", f"{reports}/")
             .replace("/srv/ea-pipelines/data/data_docs/", f"{docs}/"))
    port = free_port()
    (tmp_path / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp_path, port=port, auth=block))
    checked = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = Service("nginx", [NGINX, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"], {}, tmp_path).start()
    base, login = f"http://127.0.0.1:{port}", ("analist", password)
    try:
        def up() -> bool:
            try:
                return requests.get(base, timeout=5).status_code == 401
            except requests.ConnectionError:
                return False

        wait_until(up, "nginx to answer", [proxy], timeout=60)
        # real files are still served, behind the login
        for path, text in (("/files/reports/2026-11-30/kernindicatoren.html", "Raadsrapportage"),
                           ("/files/data-docs/index.html", "Data Docs")):
            got = requests.get(base + path, auth=login, timeout=10)
            assert got.status_code == 200 and text in got.text
        paths = [f"/files/{prefix}/{sub}{name}" for prefix in ("reports", "data-docs")
                 for sub in ("", "2026-11-30/") for name in ("passwd", "secret.txt", "map/secret.html", "map/")
                 if prefix == "reports" or not sub] + ["/files/reports/relatief.txt"]
        for path in paths:
            got = requests.get(base + path, auth=login, timeout=10)
            assert got.status_code in (403, 404), (path, got.status_code, got.text[:200])
            assert secret not in got.text and "root:" not in got.text, path
        # the Dagster upstream gets the request, not the client's credentials
        _Recorder.seen.clear()
        got = requests.get(f"{base}/server_info", auth=login, timeout=10)
        assert got.status_code == 200 and got.text == "upstream"
        assert _Recorder.seen and "authorization" not in _Recorder.seen[-1], _Recorder.seen
        assert _Recorder.seen[-1]["host"].startswith("127.0.0.1")  # the other headers still go through
        assert requests.get(f"{base}/server_info", timeout=10).status_code == 401 and len(_Recorder.seen) == 1
    finally:
        proxy.stop()
        upstream.shutdown()

"""The example deployment configs under deploy/ load and validate against the installed Dagster and its
PostgreSQL, Kubernetes and Celery libraries; the PostgreSQL instance is started for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from sqlalchemy.engine import make_url

from ea_pipelines.definitions import build_definitions
from ea_pipelines.settings import Settings, SettingsError
from ea_pipelines_tests.conftest import _postgres_or_skip

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PG_ENV = {"DAGSTER_PG_HOST": "db.example", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_DB": "dagster",
          "DAGSTER_PG_USER": "dagster", "DAGSTER_PG_PASSWORD": "x"}


def instance_config(path: Path) -> dict:
    return dict(dagster_instance_config(str(path.parent), path.name)[0])


@pytest.mark.parametrize("name", ["dagster.yaml", "k8s/dagster-instance.yaml"])
def test_instance_configs_validate(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PG_ENV.items():
        monkeypatch.setenv(key, value)
    config = instance_config(DEPLOY / name)
    assert set(config["storage"]) == {"postgres"}
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_a_broken_instance_config_is_caught(tmp_path: Path) -> None:
    """The validation above can fail: a misspelt key is an error."""
    raw = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    raw["storage"]["postgres"]["postgres_db"]["host_name"] = raw["storage"]["postgres"]["postgres_db"].pop("hostname")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(dg.DagsterInvalidConfigError):
        instance_config(tmp_path / "dagster.yaml")


def test_k8s_run_launcher_config_validates() -> None:
    from dagster_k8s import K8sRunLauncher

    launcher = yaml.safe_load((DEPLOY / "k8s" / "dagster-instance.yaml").read_text())["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = validate_config(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, result.errors


def test_the_server_instance_runs_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/dagster.yaml as DAGSTER_HOME against the local PostgreSQL: a run is stored there."""
    url = make_url(_postgres_or_skip())
    env = {"DAGSTER_PG_HOST": url.host or "127.0.0.1", "DAGSTER_PG_PORT": str(url.port or 5432),
           "DAGSTER_PG_DB": url.database, "DAGSTER_PG_USER": url.username or "postgres",
           "DAGSTER_PG_PASSWORD": url.password or ""}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    from dagster_postgres import PostgresRunStorage

    @dg.op
    def hello() -> int:
        return 1

    @dg.job
    def deploy_smoke():
        hello()

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        result = deploy_smoke.execute_in_process(instance=instance)
        assert result.success
        stored = instance.get_run_by_id(result.run_id)
        assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS
        instance.delete_run(result.run_id)


def pg_settings(executor: str) -> Settings:
    return Settings.from_env({"EA_WAREHOUSE_URL": "postgresql+psycopg://ea@db.example:5432/ea",
                              "EA_EXECUTOR": executor})


@pytest.mark.parametrize("executor,example", [("k8s", "k8s_executor.yaml"), ("celery", "celery_executor.yaml")])
def test_executor_run_configs_validate_for_the_nightly_job(executor: str, example: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("DAGSTER_CELERY_BACKEND_URL", "redis://127.0.0.1:6379/1")
    job = build_definitions(pg_settings(executor)).resolve_job_def("nightly_refresh")
    assert job.executor_def.name == {"k8s": "k8s", "celery": "celery"}[executor]
    run_config = yaml.safe_load((DEPLOY / "run_config" / example).read_text())
    dg.validate_run_config(job, run_config)  # raises DagsterInvalidConfigError when wrong
    broken = {"execution": {"config": {**run_config["execution"]["config"], "no_such_option": 1}}}
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, broken)


def test_scaling_out_needs_postgresql() -> None:
    with pytest.raises(SettingsError, match="cannot share an embedded DuckDB file"):
        Settings.from_env({"EA_EXECUTOR": "k8s"})
    with pytest.raises(SettingsError, match="choose one of"):
        Settings.from_env({"EA_EXECUTOR": "spark"})
    assert Settings.from_env({}).executor == "in_process"
    job = build_definitions(pg_settings("multiprocess")).resolve_job_def("nightly_refresh")
    assert job.executor_def is dg.multiprocess_executor


def test_systemd_units_and_proxy_bind_to_loopback() -> None:
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {"dagster-webserver.service", "dagster-daemon.service"}
    assert "-h 127.0.0.1" in units["dagster-webserver.service"]
    for text in units.values():
        assert "EnvironmentFile=/etc/ea-pipelines/ea-pipelines.env" in text
        assert "DAGSTER_HOME=" in text
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_pass http://127.0.0.1:3000" in nginx and "auth_request" in nginx
    makefile = (ROOT / "Makefile").read_text()
    assert "dg dev -w workspace.yaml -h 127.0.0.1" in makefile
    assert "dagster dev" not in makefile  # superseded in 1.13: it prints a warning
    # the reports and Data Docs behind the same login as the UI
    for conf in ("nginx.conf", "nginx-basic-auth.conf"):
        text = (DEPLOY / conf).read_text()
        for location in ("location /files/reports/", "location /files/data-docs/"):
            block = text[text.index(location):text.index("}", text.index(location))]
            assert ("auth_request /oauth2/auth;" if conf == "nginx.conf" else "auth_basic ") in block, (conf, block)
            assert "disable_symlinks on;" in block, (conf, block)  # served by test_server.py for the basic file
        # the login stops at nginx (the oauth2-proxy file is not served by a test: its directive is checked here)
        proxied = text[text.index("location / {"):text.index("}", text.index("location / {"))]
        assert 'proxy_set_header Authorization "";' in proxied, (conf, proxied)

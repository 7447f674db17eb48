"""The resources take the warehouse from the Settings they are given, never from the shell, and mask its password."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ea_pipelines.definitions import build_definitions
from ea_pipelines.defs.resources import WarehouseResource, resources_from_settings
from ea_pipelines_tests.defs.test_definitions import settings_for


def test_the_suite_starts_without_the_shells_settings() -> None:
    # conftest's autouse fixture: a developer's exported EA_* settings never reach a test; every writable
    # location points into a folder of the test's own (ea_pipelines/devtools/isolated.py)
    from ea_pipelines.devtools.isolated import isolated_env

    ours = {n: v for n, v in os.environ.items() if n.startswith("EA_") and not n.startswith(("EA_TEST_", "EA_TODAY"))}
    work = Path(os.environ["DAGSTER_HOME"]).parent
    assert ours == {k: v for k, v in isolated_env(work).items() if k.startswith("EA_")}
    assert "dagster_home" in os.environ["DAGSTER_HOME"] and Path(os.environ["DAGSTER_HOME"]).is_dir()


def test_an_exported_warehouse_url_is_never_touched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sentinel = tmp_path / "sentinel" / "production.duckdb"
    sentinel.parent.mkdir()
    monkeypatch.setenv("EA_WAREHOUSE_URL", f"duckdb:///{sentinel}")
    defs = build_definitions(settings_for(tmp_path))
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=[dg.AssetKey(["cbs", "bevolking"])])
    assert result.success
    assert list(sentinel.parent.iterdir()) == []  # not even created
    engine = sa.create_engine(f"duckdb:///{tmp_path}/ea.duckdb")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM staging.cbs_observation WHERE table_id = '03759ned'"))
        assert rows.scalar() == 13_568
    engine.dispose()


def test_the_ui_sees_the_url_with_its_password_masked(tmp_path: Path) -> None:
    url = "postgresql+psycopg://loader:s3cret-pw@db.example:5432/ea"
    resource = resources_from_settings(settings_for(tmp_path, EA_WAREHOUSE_URL=url))["warehouse"]
    assert isinstance(resource, WarehouseResource)
    assert "s3cret-pw" not in resource.url and resource.url == "postgresql+psycopg://loader:***@db.example:5432/ea"
    assert resource.connection_url() == url  # the connection still uses the real URL


def test_the_ui_sees_cbs_urls_with_their_passwords_masked(tmp_path: Path) -> None:
    url = "https://ea:s3cret-pw@proxy.example/odata/v1/CBS"
    resources = resources_from_settings(settings_for(tmp_path, EA_CBS_V4_URL=url, EA_WAREHOUSE_URL=(
        "postgresql+psycopg://loader:s3cret-pw@db.example:5432/ea")))
    shown = {name: r.model_dump() for name, r in resources.items()}
    assert "s3cret-pw" not in json.dumps(shown, default=str)
    assert shown["cbs"]["v4_url"] == "https://ea:***@proxy.example/odata/v1/CBS"
    assert resources["cbs"].source().v4_url == url  # the client gets the real one
    assert resources["warehouse"].connection_url().endswith("s3cret-pw@db.example:5432/ea")

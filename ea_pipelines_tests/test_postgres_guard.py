"""The suite's PostgreSQL safety: its own database only, and no silent skip in CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines_tests.conftest import ADMIN_URL, OWNED_PREFIX, _postgres_or_skip, reset_postgres

ROOT = Path(__file__).resolve().parents[1]
ONE_POSTGRES_TEST = "ea_pipelines_tests/warehouse/test_load_log.py::test_fail_ends_a_running_load[postgresql]"


def run_one_postgres_test(postgres_url: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "EA_TEST_POSTGRES_URL": postgres_url, "HOME": str(ROOT)}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", ONE_POSTGRES_TEST],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_tests_use_a_database_the_suite_created() -> None:
    url = _postgres_or_skip()
    assert make_url(url).database.startswith(OWNED_PREFIX)
    assert make_url(url).database != make_url(ADMIN_URL).database


def test_destructive_fixtures_refuse_a_database_the_suite_did_not_create() -> None:
    _postgres_or_skip()
    with pytest.raises(RuntimeError, match="not the database this test session created"):
        reset_postgres(ADMIN_URL)


def databases() -> set[str]:
    admin = sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        names = set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
    admin.dispose()
    return names


def test_a_session_drops_its_database_so_nothing_is_left_behind() -> None:
    _postgres_or_skip()
    before = databases()
    run = run_one_postgres_test(ADMIN_URL, ci="true")
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
    assert databases() == before


def test_without_postgres_a_ci_run_fails_and_a_local_run_skips_with_the_reason() -> None:
    closed = "postgresql+psycopg://postgres@127.0.0.1:9/test"  # port 9 (discard): nothing listens
    local = run_one_postgres_test(closed, ci=None)
    assert local.returncode == 0, local.stdout + local.stderr
    assert "1 skipped" in local.stdout and "PostgreSQL not usable at" in local.stdout
    ci = run_one_postgres_test(closed, ci="true")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "CI=true, so PostgreSQL tests may not be skipped" in ci.stdout

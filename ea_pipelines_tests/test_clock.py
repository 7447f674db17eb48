"""Nothing in the suite expires: the date-sensitive tests pass with the machine's clock years ahead."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ea_pipelines import clock

ROOT = Path(__file__).resolve().parents[1]
#: the tests that judge synthetic data ending in 2024 against "today" (fresh, periods not in the future)
DATE_SENSITIVE = ["ea_pipelines_tests/quality/test_sql_checks.py", "ea_pipelines_tests/ingest/test_incremental.py"]
FRESH_ON_CLEAN_DATA = "ea_pipelines_tests/quality/test_sql_checks.py::test_clean_tables_pass_every_check_in_sql"


def test_today_is_the_real_date_unless_ea_today_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EA_TODAY", "2031-01-01")
    assert clock.today() == dt.date(2031, 1, 1) and clock.now().date() == dt.date(2031, 1, 1)
    monkeypatch.delenv("EA_TODAY")
    assert clock.today() == dt.date.today()
    monkeypatch.setenv("EA_TODAY", "1 januari")
    with pytest.raises(ValueError, match="EA_TODAY='1 januari': use a date as YYYY-MM-DD"):
        clock.today()


def pytest_at(clock_at: str, args: list[str], *, real_clock: bool) -> subprocess.CompletedProcess[str]:
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("faketime is not installed (Debian package faketime; .ci/run installs it)")
    env = {k: v for k, v in os.environ.items() if k not in ("EA_TODAY", "EA_TEST_REAL_CLOCK")}
    # (not FAKETIME_DONT_FAKE_MONOTONIC: with it libfaketime makes Python's time.sleep fail with EINVAL)
    if real_clock:
        env["EA_TEST_REAL_CLOCK"] = "1"
    return subprocess.run([faketime, clock_at, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-k", "duckdb or not postgresql", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_the_date_sensitive_tests_still_pass_in_2031() -> None:
    # conftest pins EA_TODAY for every test; the clock of the machine is moved to 2031 around them
    run = pytest_at("2031-01-01 03:00:00", DATE_SENSITIVE, real_clock=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_without_the_pinned_date_the_same_test_would_expire() -> None:
    """The control: the clock really is moved, and without conftest's pinned date the test fails in 2031."""
    run = pytest_at("2031-01-01 03:00:00", [f"{FRESH_ON_CLEAN_DATA}[duckdb-bevolking]"], real_clock=True)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "1 failed" in run.stdout

"""The tools that run pipelines for their own purposes (``make bench``, the tests, the snapshot builder) never
touch the user's data: every writable location is listed once and isolated from one place, and a populated
project directory is byte-for-byte the same after the tools ran in it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from ea_pipelines.devtools.isolated import isolated_env, isolated_settings
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR, READ_ONLY_LOCATIONS, WRITABLE_LOCATIONS, Settings
from ea_pipelines_tests.conftest import TEST_TODAY

ROOT = Path(__file__).resolve().parents[2]


def test_every_location_setting_is_either_written_or_only_read() -> None:
    paths = {f.name for f in dataclasses.fields(Settings) if f.type in ("Path", Path)}
    assert paths == (set(WRITABLE_LOCATIONS) - {"warehouse_url"}) | set(READ_ONLY_LOCATIONS), \
        "a new location setting: list it in settings.WRITABLE_LOCATIONS or READ_ONLY_LOCATIONS"


def test_isolated_settings_put_every_writable_location_under_the_work_directory(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path / "work", base={"EA_REPORT_DIR": "/somewhere/else", "EA_GX_MAX_ROWS": "7"})
    for field in WRITABLE_LOCATIONS:
        value = getattr(settings, field)
        where = Path(str(value).removeprefix("duckdb:///"))
        assert where.is_relative_to(tmp_path / "work"), (field, value)
    assert settings.gx_max_rows == 7  # not a location: taken from the base environment
    assert isolated_env(tmp_path)["DAGSTER_HOME"] == str(tmp_path / "dagster_home")


def populate(project: Path) -> None:
    """A project directory as a user's `make run` leaves it (default locations, relative to the project)."""
    defaults = Settings()
    (project / "warehouse").mkdir()
    con = duckdb.connect(str(project / "warehouse" / "ea.duckdb"))
    con.execute("CREATE TABLE user_data AS SELECT 42 AS answer")
    con.close()
    for field in WRITABLE_LOCATIONS:
        if field == "warehouse_url":
            continue
        folder = project / getattr(defaults, field)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "users_file.txt").write_text(f"the user's {field}\n")
    (project / defaults.report_dir / TEST_TODAY).mkdir()
    (project / defaults.report_dir / TEST_TODAY / "kernindicatoren.html").write_text("the day's council report")
    (project / defaults.inbox_dir / "mkb_ranking").mkdir()
    (project / defaults.inbox_dir / "mkb_ranking" / "waiting.csv").write_text("jaar;gemeente;rang\n")
    (project / "dagster_home").mkdir()
    (project / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


def fingerprint(project: Path) -> dict[str, str]:
    return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(project.rglob("*"))}


def test_bench_tests_and_snapshot_builder_leave_a_populated_project_untouched(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    populate(project)
    before = fingerprint(project)
    # the shell of a user in their project: DAGSTER_HOME as the Makefile exports it, no EA_* (the defaults)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "EA_TODAY": TEST_TODAY,
           "DAGSTER_HOME": str(project / "dagster_home"), "LANG": "C.UTF-8"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, *args], cwd=project, env=env, capture_output=True, text=True,
                              timeout=1200, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    # make bench's nightly part (the only part that runs the whole pipeline: report, Data Docs, inbox, ...)
    bench = run("-m", "ea_pipelines.devtools.bench", "--child", "nightly", str(tmp_path / "bench"))
    result = json.loads(next(x for x in bench.stdout.splitlines() if x.startswith("RESULT "))[len("RESULT "):])
    assert result["full"]["success"] and result["noop"]["success"]
    assert list((tmp_path / "bench" / "reports").rglob("kernindicatoren.html")), "the bench wrote its report"
    # the snapshot builder, into a folder of its own
    capture = tmp_path / "capture"  # the real capture it copies: the bundled one
    shutil.copytree(DEFAULT_SNAPSHOT_DIR / "03759ned", capture / "03759ned")
    run("-c", "import sys; from pathlib import Path; from ea_pipelines.catalogue.cbs import load_cbs_catalogue; "
              "from ea_pipelines.devtools.build_snapshots import build; from ea_pipelines.settings import "
              "DEFAULT_CATALOGUE; build(load_cbs_catalogue(DEFAULT_CATALOGUE), Path(sys.argv[1]), Path(sys.argv[2]))",
        str(tmp_path / "snapshots"), str(capture))
    assert list((tmp_path / "snapshots").rglob("*.json"))
    # tests that run the nightly job and materialise the report from the environment's settings
    run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "ea_pipelines_tests" / "defs" /
        "test_definitions.py"), "-k", "module_level or replay")
    assert fingerprint(project) == before

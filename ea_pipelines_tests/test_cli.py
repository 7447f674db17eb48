"""`ea-pipelines run --with-examples` and `ea-pipelines summary`: what `make run` does, run as `make run` runs
it (``python -m ea_pipelines.cli``, a fresh process), with every setting pointing into the test's own folder.

The expected lines: the table sizes are the rows of the bundled snapshots (13,568 in the real 03759ned capture,
the synthetic 70072ned and 85969NED counted from their snapshot files) and of the example files (counted by hand
in the files: 6 ikbindr rows, 15 Kennispunt, 3 MKB, 11 efforts, 4 qualitative contributions, 25 Twents Fonds,
52 UWV: 2019-K1 … 2025-K2 for Twente and Nederland).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ea_pipelines_tests.conftest import snapshot_rows
from ea_pipelines_tests.devtools.test_build_swing_snapshots import values

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["ikbindr_labels/voorbeeld_ikbindr.xlsx", "kennispunt_twente/voorbeeld_kennispunt.csv",
            "mkb_ranking/voorbeeld_mkb_ranking.csv", "programme_efforts/voorbeeld_inzet.xlsx",
            "qualitative_contributions/voorbeeld_rijker_verantwoorden.csv",
            "twents_fonds_vouchers/voorbeeld_scholingscheques.csv",
            "uwv_spanningsindicator/voorbeeld_spanningsindicator.xlsx"]
EXAMPLE_ROWS = {"ikbindr_labels": 6, "kennispunt_twente": 15, "mkb_ranking": 3, "programme_efforts": 11,
                "qualitative_contributions": 4, "twents_fonds_vouchers": 25, "uwv_spanningsindicator": 52}
CBS_ROWS = {"03759ned": 13_568, "70072ned": snapshot_rows("70072ned"), "85969NED": snapshot_rows("85969NED")}
SYNTHETIC = {"70072ned", "85969NED"}
#: the Swing ODS variables of swing_variables.yaml (all from synthetic snapshots in replay)
SWING_CODES = ("kp_bt_ondernemersver_pct", "kp_grond_lokaal_mkb_ha", "kp_panel_groenblauw_cijfer")
#: their rows: the Values in each snapshot (14 municipalities x the years the catalogue declares), from the files
SWING_ROWS = {code: len(values(code)) for code in SWING_CODES}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Only what the command needs: no EA_* from the shell, every path inside ``tmp_path``."""
    return {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "DAGSTER_HOME": os.environ["DAGSTER_HOME"],
        "PYTHONPATH": str(ROOT), "EA_TODAY": os.environ["EA_TODAY"],
        "EA_WAREHOUSE_URL": f"duckdb:///{tmp_path}/warehouse/ea.duckdb", "EA_SOURCE_MODE": "replay",
        "EA_LANDING_DIR": str(tmp_path / "landing"), "EA_INBOX_DIR": str(tmp_path / "inbox"),
        "EA_ARCHIVE_DIR": str(tmp_path / "archive"), "EA_QUARANTINE_DIR": str(tmp_path / "quarantine"),
        "EA_DATA_DOCS_DIR": str(tmp_path / "docs"), "EA_REPORT_DIR": str(tmp_path / "reports"),
        "EA_LOG_DIR": str(tmp_path / "logs"),
    }


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (cwd / "warehouse").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "ea_pipelines.cli", *args], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=900, check=False)


def table_line(table: str, rows: str) -> str:
    return f"  {table:<36} {rows:>9} rows"


def run_tables(out: list[str]) -> dict[str, str]:
    """The row counts of `run`'s compact table list: ``  staging  cbs_observation 48,662, cbs_measure 10, ...``."""
    lines = out[out.index("Tables (rows):") + 1:]
    found, schema = {}, ""
    for line in lines:
        if not line.startswith("  ") or line.startswith(("  cbs ", "  swing ", "  no partner")):
            break
        if not line.startswith("    "):
            schema, line = line.split()[0], line.strip().split(None, 1)[1]
        for item in line.strip().rstrip(",").split(", "):
            name, rows = item.rsplit(" ", 1)
            found[f"{schema}.{name}"] = rows
    return found


@pytest.mark.timeout(600)  # two whole nightly runs (CBS, Kennispunt open data, deliveries, marts, report)
def test_make_run_twice_places_the_examples_once_then_summary(env: dict[str, str], tmp_path: Path) -> None:
    first = cli(env, tmp_path, "run", "--with-examples")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout.splitlines()
    assert [line for line in out if line.startswith("example delivery placed")] == [
        f"example delivery placed in the inbox: {tmp_path / 'inbox' / e}" for e in EXAMPLES]
    assert re.fullmatch(r"nightly_refresh succeeded \(run [0-9a-f-]{36}, EA_SOURCE_MODE=replay\)",
                        out[out.index("") + 1])
    assert f"Warehouse: {tmp_path / 'warehouse' / 'ea.duckdb'}" in out
    tables = run_tables(out)
    # the CBS snapshots, and the Kennispunt open data (synthetic snapshots)
    assert tables["staging.cbs_observation"] == f"{sum(CBS_ROWS.values()) + sum(SWING_ROWS.values()):,}"
    for dtype, rows in EXAMPLE_ROWS.items():
        assert tables[f"staging.{dtype}"] == f"{rows:,}" and tables[f"raw.{dtype}"] == f"{rows:,}"
    # quiet: a mark per finished step (not a terminal: on one line, broken only by a warning), no Dagster
    # events or library logging on the terminal ...
    marks = "".join(m.group(1) for line in out if (m := re.fullmatch(r"steps ([.Fsr]+)(?: \d+/\d+)?", line)))
    header = next(line for line in out if line.startswith("nightly_refresh: run "))
    steps = int(re.search(r", (\d+) steps$", header).group(1))
    assert marks == "." * steps and steps >= 20
    assert re.fullmatch(rf"steps \.+ {steps}/{steps}", [line for line in out if line.startswith("steps ")][-1])
    assert "DEBUG" not in first.stdout + first.stderr and "STEP_SUCCESS" not in first.stdout + first.stderr
    # ... but all of them in the log file, whose path the summary prints last
    log = Path(re.fullmatch(r"Full log \(Dagster events, library output\): (.+)", out[-1]).group(1))
    assert log.parent == tmp_path / "logs"
    logged = log.read_text(encoding="utf-8")
    assert logged.count("STEP_SUCCESS") == steps and "great_expectations" in logged
    for table_id, rows in CBS_ROWS.items():
        flag = " SYNTHETIC" if table_id in SYNTHETIC else ""
        assert f"  cbs {table_id:<10} published  source mode replay   {rows:>7,} rows{flag}" in out
    for code in SWING_CODES:
        line = f"  swing {code:<10} published  source mode {'replay':<8} {SWING_ROWS[code]:>7,} rows SYNTHETIC"
        assert line in out
    for example in EXAMPLES:
        dtype = example.split("/")[0]
        illustrative = " ILLUSTRATIVE (a bundled example file)"
        assert f"  delivery {example}: accepted, {EXAMPLE_ROWS[dtype]} rows{illustrative}" in out
    assert any(re.fullmatch(r"Quality checks: \d+ passed, 0 failed \(Data Docs: .*\)", line) for line in out)
    report = next(line for line in out if line.startswith("Council report: "))
    assert re.fullmatch(rf"Council report: file://{re.escape(str(tmp_path))}/reports/\d{{4}}-\d\d-\d\d/"
                        r"kernindicatoren\.html \(\d+ charts\)", report)
    # the examples went through the inbox into the archive; nothing is left waiting and nothing refused
    assert sorted(p.name for p in (tmp_path / "archive").rglob("voorbeeld_*")) == sorted(
        e.split("/")[1] for e in EXAMPLES)
    assert list((tmp_path / "inbox").rglob("voorbeeld_*")) == []
    assert not (tmp_path / "quarantine").exists() or list((tmp_path / "quarantine").rglob("*.*")) == []
    # nothing was written into the project's own folders
    assert not (tmp_path / "data").exists()

    second = cli(env, tmp_path, "run", "--with-examples")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    out2 = second.stdout.splitlines()
    assert [line for line in out2 if line.startswith("example delivery placed")] == []  # once per warehouse
    for table_id, rows in CBS_ROWS.items():
        flag = " SYNTHETIC" if table_id in SYNTHETIC else ""
        assert (f"  cbs {table_id:<10} unchanged  source mode replay   {rows:>7,} rows{flag} "
                "(data fetch skipped: Modified unchanged)") in out2
    for code in SWING_CODES:  # the same responses: nothing published again (no modification date to skip on)
        line = f"  swing {code:<10} unchanged  source mode {'replay':<8} {SWING_ROWS[code]:>7,} rows SYNTHETIC"
        assert line in out2
    assert f"  no partner files were waiting in {tmp_path / 'inbox'}" in out2
    assert not any(line.startswith("  delivery ") for line in out2)
    for dtype, rows in EXAMPLE_ROWS.items():  # loaded once: the same rows, not twice as many
        assert run_tables(out2)[f"staging.{dtype}"] == f"{rows:,}"
    assert len(out2) + len(second.stderr.splitlines()) < 60  # the bound for a second `make run`
    assert out2[-1].startswith("Full log (Dagster events, library output): ")

    # both runs are in the instance with the workspace's code-location origin: the UI lists them under the job
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="nightly_refresh"))
        assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        for r in runs:
            assert r.remote_job_origin.location_name == "ea_pipelines"  # workspace.yaml's location
            assert r.remote_job_origin.job_name == "nightly_refresh"
        # the filter of the job's Runs tab (dagster_graphql's Pipeline.runs): job name and the repository label tag
        listed = instance.get_runs(filters=dg.RunsFilter(job_name="nightly_refresh",
                                                         tags={".dagster/repository": "__repository__@ea_pipelines"}))
        assert {r.run_id for r in listed} == {r.run_id for r in runs}

    summary = cli(env, tmp_path, "summary")
    assert summary.returncode == 0, summary.stderr[-3000:]
    lines = summary.stdout.splitlines()
    assert lines[:2] == [f"Warehouse: {tmp_path / 'warehouse' / 'ea.duckdb'}", "Tables:"]
    assert table_line("staging.cbs_observation", f"{sum(CBS_ROWS.values()) + sum(SWING_ROWS.values()):,}") in lines
    assert table_line("marts.kernindicatoren", "11") in lines
    for dtype, rows in EXAMPLE_ROWS.items():
        assert table_line(f"staging.{dtype}", f"{rows:,}") in lines
    assert not any(line.startswith("This run") for line in lines)  # summary alone reports no run



def test_examples_are_placed_once_per_warehouse(tmp_path: Path) -> None:
    """The same check without a whole run: placed into an empty inbox, not again once that warehouse accepted
    them (or while they still wait in the inbox), and again for another warehouse."""
    from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
    from ea_pipelines.cli import seed_examples
    from ea_pipelines.deliveries.inbox import Folders
    from ea_pipelines.ingest.delivery_file import process_file
    from ea_pipelines.reference.regions import RegionIndex
    from ea_pipelines.settings import Settings
    from ea_pipelines.warehouse.db import Warehouse

    settings = Settings.from_env({"EA_WAREHOUSE_URL": f"duckdb:///{tmp_path}/a.duckdb",
                                  "EA_INBOX_DIR": str(tmp_path / "inbox"), "EA_ARCHIVE_DIR": str(tmp_path / "archive"),
                                  "EA_QUARANTINE_DIR": str(tmp_path / "quarantine")})
    catalogue = load_delivery_catalogue(settings.delivery_catalogue_path)
    first = Warehouse(settings.warehouse_url)
    first.ensure_schema(catalogue)
    placed = seed_examples(settings, first)
    assert placed == [tmp_path / "inbox" / e for e in EXAMPLES]
    assert seed_examples(settings, first) == []  # still waiting in the inbox: not copied over
    folders = Folders(settings.inbox_dir, settings.archive_dir, settings.quarantine_dir)
    regions = RegionIndex.from_code_list()
    for path in placed:
        outcome = process_file(catalogue.get(path.parent.name), path.name, folders, first, regions)
        assert outcome.status == "accepted", outcome.reason
    assert seed_examples(settings, first) == []  # accepted by this warehouse: never again
    first.dispose()

    other = Warehouse(f"duckdb:///{tmp_path}/b.duckdb")
    other.ensure_schema(catalogue)
    assert seed_examples(settings, other) == placed  # another warehouse has not seen them
    other.dispose()


def test_a_symlinked_inbox_folder_gets_no_examples_and_the_summary_says_so(tmp_path: Path) -> None:
    """Nothing is written through a symlinked type folder, and the run summary names the folder left alone."""
    from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
    from ea_pipelines.cli import seed_examples, summary
    from ea_pipelines.settings import Settings
    from ea_pipelines.warehouse.db import Warehouse

    settings = Settings.from_env({"EA_WAREHOUSE_URL": f"duckdb:///{tmp_path}/a.duckdb",
                                  "EA_INBOX_DIR": str(tmp_path / "inbox"), "EA_ARCHIVE_DIR": str(tmp_path / "archive"),
                                  "EA_QUARANTINE_DIR": str(tmp_path / "quarantine")})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "mkb_ranking").symlink_to(elsewhere, target_is_directory=True)
    wh = Warehouse(settings.warehouse_url)
    wh.ensure_schema(load_delivery_catalogue(settings.delivery_catalogue_path))
    placed = seed_examples(settings, wh)
    assert len(placed) == len(EXAMPLES) - 1 and not any(p.parent.name == "mkb_ranking" for p in placed)
    assert list(elsewhere.iterdir()) == []
    lines = summary(wh, settings, "batch-without-loads").splitlines()
    wh.dispose()
    unsafe = [line for line in lines if "left alone" in line]
    assert unsafe == [f"  delivery mkb_ranking: WARNING files left alone, not opened: {tmp_path}/inbox/mkb_ranking "
                      f"is a symbolic link (to '{elsewhere}'); links are not followed"]
    assert not any(line.startswith("  no partner files were waiting") for line in lines)

"""Incremental nightly runs (ea_pipelines/defs/versions.py), in real job runs on both warehouses: a second run
with nothing new validates nothing, rebuilds no model and does not redraw the report; a new partner file
rebuilds exactly what is downstream of its delivery type; a forced full refresh redoes everything.

What is asserted are the effects: rows in meta.delivery_log and meta.check_result, the identity of a model's
table (PostgreSQL: its OID; DuckDB: a table comment, which a rebuild drops), the report file's bytes and
modification time, and, in a fresh process, whether Great Expectations was imported at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ea_pipelines.cli import seed_examples
from ea_pipelines.definitions import build_definitions
from ea_pipelines.defs.report_assets import KEY as REPORT_KEY
from ea_pipelines.defs.versions import FULL_REFRESH_TAG
from ea_pipelines.settings import Settings
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.defs.test_definitions import settings_for

ROOT = Path(__file__).resolve().parents[2]
VOUCHERS = dg.AssetKey(["deliveries", "twents_fonds_vouchers"])
MODEL = "intermediate.int_indicator_cbs"  # built from the seeds and CBS only: untouched by a partner file


def run(settings: Settings, instance: dg.DagsterInstance, **kwargs: object) -> dg.ExecuteInProcessResult:
    result = build_definitions(settings).resolve_job_def("nightly_refresh").execute_in_process(
        instance=instance, raise_on_error=False, **kwargs)
    assert result.success
    return result


def materialized(result: dg.ExecuteInProcessResult,
                 sources: bool = False) -> dict[dg.AssetKey, dg.AssetMaterialization]:
    """The run's materialisations; ``sources``: those of the external source assets (new data) instead."""
    return {e.asset_key: e.step_materialization_data.materialization
            for e in result.get_asset_materialization_events() if (e.asset_key.path[0] == "sources") == sources}


def value(mat: dg.AssetMaterialization, name: str) -> object:
    return mat.metadata[name].value


def models(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dg.AssetMaterialization]:
    return {k: m for k, m in materialized(result).items() if k.path[0] in ("staging", "intermediate", "marts")
            and k.path[-1] != "seeds"}


def counts(wh: Warehouse) -> dict[str, int]:
    with wh.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("meta.delivery_log", "meta.check_result", "meta.load_log")}


def mark_table(wh: Warehouse) -> None:
    """DuckDB: a comment on the model's table, gone when the table is recreated (PostgreSQL: the OID says it)."""
    if wh.dialect == "duckdb":
        with wh.engine.begin() as conn:
            conn.execute(sa.text(f"COMMENT ON TABLE {MODEL} IS 'marker'"))


def table_identity(wh: Warehouse) -> object:
    with wh.engine.connect() as conn:
        if wh.dialect == "postgresql":
            return conn.execute(sa.text(f"SELECT '{MODEL}'::regclass::oid")).scalar()
        schema, name = MODEL.split(".")
        return conn.execute(sa.text("SELECT comment FROM duckdb_tables() WHERE schema_name = :s AND table_name = :n"),
                            {"s": schema, "n": name}).scalar()


@pytest.fixture
def settings(tmp_path: Path, warehouse_url: str) -> Settings:
    return settings_for(tmp_path, EA_WAREHOUSE_URL=warehouse_url, EA_INBOX_SETTLE_SECONDS="0")


@pytest.fixture
def first(settings: Settings) -> tuple[dg.DagsterInstance, dg.ExecuteInProcessResult, Warehouse]:
    """The examples placed in the inbox and a first, full nightly run."""
    instance = dg.DagsterInstance.ephemeral()
    wh = Warehouse.from_settings(settings)
    wh.ensure_schema()
    assert seed_examples(settings, wh)
    result = run(settings, instance)
    mark_table(wh)
    yield instance, result, wh
    wh.dispose()


def test_a_second_run_with_nothing_new_validates_nothing_rebuilds_nothing(settings: Settings, first,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    instance, full, wh = first
    report = Path(str(value(materialized(full)[REPORT_KEY], "report_file")))
    before = (counts(wh), table_identity(wh), report.read_bytes(), report.stat().st_mtime_ns)
    assert before[1] is not None
    assert all(value(m, "rebuilt") for m in models(full).values())

    with caplog.at_level("WARNING"):
        noop = run(settings, instance)

    mats = materialized(noop)
    assert set(mats) == set(materialized(full))  # every asset still materialises, with the same data version
    assert len(materialized(full, sources=True)) == 3 + 7  # CBS tables and delivery types with an example file
    assert materialized(noop, sources=True) == {}  # no source brought new data: their freshness keeps ageing
    assert {k: m.tags["dagster/data_version"] for k, m in mats.items()} == \
        {k: m.tags["dagster/data_version"] for k, m in materialized(full).items()}
    after = counts(wh)
    assert after["meta.delivery_log"] == before[0]["meta.delivery_log"]  # no file taken in
    assert after["meta.load_log"] == before[0]["meta.load_log"] + 3 + 3  # each CBS table, Swing variable: 'unchanged'
    with wh.engine.connect() as conn:
        recorded = conn.execute(sa.text("SELECT DISTINCT asset FROM meta.check_result WHERE run_id = :r"),
                                {"r": noop.run_id}).scalars().all()
    # no delivery validated, no model tested; the Swing variables are fetched and checked every night (the
    # service gives no modification date to skip on), and found unchanged
    assert recorded and all(a.startswith(("cbs/", "kennispunt/")) for a in recorded)
    for key, mat in mats.items():
        if key.path[0] == "deliveries":
            assert value(mat, "validated") is False and value(mat, "files_accepted") == 0
    assert models(noop) and not any(value(m, "rebuilt") for m in models(noop).values())
    assert value(mats[REPORT_KEY], "redrawn") is False
    assert (table_identity(wh), report.read_bytes(), report.stat().st_mtime_ns) == before[1:]
    # The full run evaluated every check of every asset; the no-op only what depends on today's date (`fresh`
    # of each CBS table and Swing variable): no other check has a new result, and Dagster logs no warning about it
    graph = build_definitions(settings).resolve_asset_graph()
    every = {k for k in graph.asset_check_keys if k.asset_key in set(materialized(full))}
    assert {c.asset_check_key for c in full.get_asset_check_evaluations()} == every
    fresh = {c.asset_check_key for c in noop.get_asset_check_evaluations()}
    assert fresh == {k for k in every if k.name == "fresh"} and {k.asset_key.path[0] for k in fresh} == \
        {"cbs", "kennispunt"}
    assert not [r for r in caplog.records if "Blocking asset check" in r.getMessage()]
    # the last results stand: each check's last completed evaluation (what the UI's asset health reads) is
    # the full run's, with its outcome
    summaries = instance.event_log_storage.get_asset_check_summary_records(list(every - fresh))
    passed = {c.asset_check_key: c.passed for c in full.get_asset_check_evaluations()}
    for key, summary in summaries.items():
        last = summary.last_completed_check_execution_record
        assert last is not None and last.run_id == full.run_id and last.evaluation.passed == passed[key]


def test_a_new_partner_file_rebuilds_exactly_what_is_downstream_of_it(settings: Settings, first) -> None:
    instance, full, wh = first
    # A correction from the partner: the example's 2021 row for Almelo with one more voucher
    target = settings.inbox_dir / "twents_fonds_vouchers" / "correctie.csv"
    target.write_text("Periode;Gemeente;Aantal scholingscheques\n2021;GM0141;61\n", encoding="utf-8")

    changed = run(settings, instance)

    graph = build_definitions(settings).resolve_asset_graph()
    downstream: set[dg.AssetKey] = set()
    todo = [VOUCHERS]
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child not in downstream:
                downstream.add(child)
                todo.append(child)
    mats = materialized(changed)
    assert value(mats[VOUCHERS], "files_accepted") == 1 and value(mats[VOUCHERS], "validated") is True
    rebuilt = {k for k, m in models(changed).items() if value(m, "rebuilt")}
    assert rebuilt and rebuilt == {k for k in models(changed) if k in downstream}
    assert dg.AssetKey(MODEL.split(".")) not in rebuilt and table_identity(wh) is not None
    others = [k for k in mats if k.path[0] == "deliveries" and k != VOUCHERS]
    assert others and not any(value(mats[k], "validated") for k in others)
    assert value(mats[REPORT_KEY], "redrawn") is True  # a mart it reads changed


def test_a_forced_full_refresh_redoes_everything(settings: Settings, first) -> None:
    instance, full, wh = first
    before = counts(wh)
    identity = table_identity(wh)
    report = Path(str(value(materialized(full)[REPORT_KEY], "report_file")))
    mtime = report.stat().st_mtime_ns

    forced = run(settings, instance, tags={FULL_REFRESH_TAG: "true"})

    mats = materialized(forced)
    assert all(value(m, "rebuilt") for m in models(forced).values())
    assert all(value(m, "validated") for k, m in mats.items() if k.path[0] == "deliveries")
    assert value(mats[REPORT_KEY], "redrawn") is True and report.stat().st_mtime_ns != mtime
    assert table_identity(wh) != identity  # PostgreSQL: a new OID; DuckDB: the comment is gone
    assert counts(wh)["meta.delivery_log"] == before["meta.delivery_log"]  # nothing new to take in
    cbs = [m for k, m in mats.items() if k.path[0] == "cbs"]
    assert cbs and all(value(m, "fetch") == "full" for m in cbs)
    # the same data: the versions did not change, so nothing is stale afterwards
    assert {k: m.tags["dagster/data_version"] for k, m in mats.items() if k.path[0] in ("cbs", "deliveries")} == \
        {k: m.tags["dagster/data_version"] for k, m in materialized(full).items() if k.path[0] in ("cbs", "deliveries")}


def test_the_setting_forces_a_full_refresh_too(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, EA_FULL_REFRESH="true")
    assert settings.full_refresh and not settings_for(tmp_path).full_refresh
    resources = build_definitions(settings).resources
    assert resources["warehouse"].full_refresh is True


@pytest.mark.timeout(900)  # two whole runs in fresh processes, as `make run`
def test_a_no_op_run_does_not_import_great_expectations(tmp_path: Path) -> None:
    """A fresh process (``ea-pipelines run``, as ``make run``) after a full run in the same Dagster instance."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DAGSTER_HOME": os.environ["DAGSTER_HOME"],
           "PYTHONPATH": str(ROOT), "EA_TODAY": os.environ["EA_TODAY"],
           "EA_WAREHOUSE_URL": f"duckdb:///{tmp_path}/ea.duckdb", "EA_SOURCE_MODE": "replay",
           "EA_LANDING_DIR": str(tmp_path / "landing"), "EA_INBOX_DIR": str(tmp_path / "inbox"),
           "EA_ARCHIVE_DIR": str(tmp_path / "archive"), "EA_QUARANTINE_DIR": str(tmp_path / "quarantine"),
           "EA_DATA_DOCS_DIR": str(tmp_path / "docs"), "EA_REPORT_DIR": str(tmp_path / "reports"),
           "EA_INBOX_SETTLE_SECONDS": "0"}
    script = ("import sys\nfrom ea_pipelines.cli import main\ncode = main(sys.argv[1:])\n"
              "print('GX imported:', 'great_expectations' in sys.modules)\nsys.exit(code)")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, "run", *args], env=env, cwd=tmp_path, text=True,
                              capture_output=True, timeout=900, check=False)

    full = cli("--with-examples")
    assert full.returncode == 0, full.stdout[-2000:] + full.stderr[-2000:]
    assert "GX imported: True" in full.stdout  # the examples were validated
    noop = cli()
    assert noop.returncode == 0, noop.stdout[-2000:] + noop.stderr[-2000:]
    assert "GX imported: False" in noop.stdout


def test_a_warehouse_built_anew_gets_every_model_built(tmp_path: Path) -> None:
    """The same Dagster instance, an empty warehouse: nothing may be skipped for lack of changed inputs."""
    instance = dg.DagsterInstance.ephemeral()
    run(settings_for(tmp_path), instance)
    fresh = run(settings_for(tmp_path, EA_WAREHOUSE_URL=f"duckdb:///{tmp_path}/anew.duckdb"), instance)
    assert models(fresh) and all(value(m, "rebuilt") for m in models(fresh).values())
    assert value(materialized(fresh)[dg.AssetKey(["staging", "seeds"])], "rewritten") is True
    engine = sa.create_engine(f"duckdb:///{tmp_path}/anew.duckdb")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.dim_indicator")).scalar() > 0
    engine.dispose()

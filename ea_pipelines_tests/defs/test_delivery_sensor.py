"""The inbox sensor and the delivery assets, through Dagster."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from ea_pipelines.cli import EXAMPLES_DIR
from ea_pipelines.definitions import build_definitions
from ea_pipelines_tests.defs.test_definitions import settings_for
from ea_pipelines_tests.deliveries.helpers import csv_bytes

HEADER = "periode;gemeente;aantal_scholingscheques\n"


def drop(inbox: Path, dtype: str, name: str, data: bytes, age: float = 120) -> Path:
    path = inbox / dtype / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def run_requests(defs: dg.Definitions) -> list[dg.RunRequest]:
    sensor = defs.resolve_sensor_def("inbox_sensor")
    with dg.build_sensor_context(resources=defs.resources) as ctx:
        return list(sensor(ctx) or [])


def test_sensor_keys_runs_by_content_and_waits_for_settled_files(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path))
    inbox = tmp_path / "inbox"
    data = csv_bytes(HEADER + "2024;GM0141;118\n")
    drop(inbox, "twents_fonds_vouchers", "a.csv", data)
    drop(inbox, "twents_fonds_vouchers", "kopie van a.csv", data)
    drop(inbox, "mkb_ranking", "nog bezig.csv", b"editie;", age=0)  # still being written: not yet
    drop(inbox, "twents_fonds_vouchers", ".~lock.a.csv#", b"x")
    requests = run_requests(defs)
    assert len(requests) == 2
    assert requests[0].run_key == requests[1].run_key  # a renamed copy is the same delivery
    assert requests[0].run_key.startswith("twents_fonds_vouchers:")
    assert requests[0].asset_selection == [dg.AssetKey(["deliveries", "twents_fonds_vouchers"])]
    assert requests[0].run_config["ops"]["deliveries__twents_fonds_vouchers"]["config"]["files"] == ["a.csv"]


def test_sensor_status_and_job(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path))
    sensor = defs.resolve_sensor_def("inbox_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == "process_deliveries"


def test_a_sensor_run_processes_its_file(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path))
    inbox = tmp_path / "inbox"
    drop(inbox, "twents_fonds_vouchers", "a.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))
    drop(inbox, "twents_fonds_vouchers", "fout.csv", csv_bytes(HEADER + "2024;GM0141;-1\n"))
    request = next(r for r in run_requests(defs) if r.tags["ea/file"] == "a.csv")
    job = defs.resolve_job_def("process_deliveries")
    result = job.execute_in_process(run_config=request.run_config, instance=dg.DagsterInstance.ephemeral(),
                                    asset_selection=request.asset_selection)
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["files_accepted"].value == 1 and meta["dagster/row_count"].value == 1
    assert (inbox / "twents_fonds_vouchers" / "fout.csv").exists()  # not this run's file


def test_nightly_run_processes_the_whole_inbox_including_examples(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path))
    for example in EXAMPLES_DIR.glob("*/*.*"):
        drop(tmp_path / "inbox", example.parent.name, example.name, example.read_bytes())
    drop(tmp_path / "inbox", "mkb_ranking", "leeg.csv", b"")
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    engine = sa.create_engine(f"duckdb:///{tmp_path}/ea.duckdb")
    with engine.connect() as conn:
        log = dict(conn.execute(sa.text("SELECT file_name, status FROM meta.delivery_log")).all())
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM staging.{t}")).scalar()
                  for t in ("twents_fonds_vouchers", "ikbindr_labels", "mkb_ranking", "uwv_spanningsindicator",
                            "kennispunt_twente", "programme_efforts", "qualitative_contributions")}
    engine.dispose()
    assert log.pop("leeg.csv") == "rejected"
    assert set(log.values()) == {"accepted"} and len(log) == 7
    assert all(n > 0 for n in counts.values())
    assert "- Het bestand is leeg." in (tmp_path / "quarantine" / "mkb_ranking" / "leeg.csv.reason.txt").read_text()
    assert not any((tmp_path / "inbox").rglob("*.*"))
    assert len(list((tmp_path / "archive").rglob("*.*"))) == 7


def test_a_redelivery_that_drops_rows_is_published_and_flagged_by_a_warn_check(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path))
    inbox = tmp_path / "inbox"
    job = defs.resolve_job_def("process_deliveries")
    selection = [dg.AssetKey(["deliveries", "twents_fonds_vouchers"])]

    def run() -> dg.ExecuteInProcessResult:
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=selection)
        assert result.success
        return result

    drop(inbox, "twents_fonds_vouchers", "v1.csv", csv_bytes(HEADER + "2024;GM0141;118\n2024;GM0147;40\n"))
    first = run()
    check = first.get_asset_check_evaluations()
    assert {c.check_name: c.passed for c in check}["redelivery_keeps_rows"] is True
    drop(inbox, "twents_fonds_vouchers", "v2.csv", csv_bytes(HEADER + "2024;GM0141;121\n"))
    second = run()
    evaluation = next(c for c in second.get_asset_check_evaluations() if c.check_name == "redelivery_keeps_rows")
    assert evaluation.passed is False and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["unexpected_count"].value == 1
    meta = second.get_asset_materialization_events()[0].materialization.metadata
    assert (meta["rows_replaced"].value, meta["rows_gone"].value, meta["dagster/row_count"].value) == (2, 1, 1)
    assert "v2.csv: replaced 2024JJ00: 2 rows before, 1 after, 1 gone (2024JJ00 GM0147)" in meta["replaced"].value


def test_a_defect_around_one_file_does_not_stop_the_others(tmp_path: Path, monkeypatch) -> None:
    import ea_pipelines.defs.delivery_assets as delivery_assets

    real = delivery_assets.process_file

    def defect_for_one(dtype, name, *args, **kwargs):
        if name == "a.csv":
            raise RuntimeError("defect")
        return real(dtype, name, *args, **kwargs)

    monkeypatch.setattr(delivery_assets, "process_file", defect_for_one)
    defs = build_definitions(settings_for(tmp_path))
    inbox = tmp_path / "inbox"
    drop(inbox, "twents_fonds_vouchers", "a.csv", csv_bytes(HEADER + "2023;GM0141;1\n"), age=300)
    drop(inbox, "twents_fonds_vouchers", "b.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))
    result = defs.resolve_job_def("process_deliveries").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=[dg.AssetKey(["deliveries", "twents_fonds_vouchers"])])
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert (meta["files_failed"].value, meta["files_accepted"].value) == (1, 1)
    assert (inbox / "twents_fonds_vouchers" / "a.csv").exists()

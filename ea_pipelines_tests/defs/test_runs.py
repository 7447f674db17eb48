"""Runs whose worker process died are marked failed (CLI start-up, dead_run_sensor); live ones are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from ea_pipelines.defs.runs import dead_run_sensor, fail_dead_runs, workspace_job_origin

#: a run worker: a real run of a one-op job in a process of its own, in the instance at DAGSTER_HOME, that waits
WORKER = """
import time, dagster as dg

@dg.op
def wait() -> None:
    time.sleep(600)

@dg.job
def waiting_job():
    wait()

with dg.DagsterInstance.get() as instance:
    waiting_job.execute_in_process(instance=instance)
"""


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    """A worker whose error output goes to ``log`` (a file: a pipe nobody reads could fill and block it)."""
    with log.open("wb") as err:
        return subprocess.Popen([sys.executable, "-c", WORKER], env=dict(os.environ), stdout=subprocess.DEVNULL,
                                stderr=err)


def started_runs(instance: dg.DagsterInstance, n: int,
                 workers: dict[Path, subprocess.Popen[bytes]]) -> list[dg.DagsterRun]:
    """The ``n`` started runs; a worker that exits first fails the test with its own error output."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for log, worker in workers.items():
            if worker.poll() is not None:
                raise AssertionError(f"a run worker exited ({worker.returncode}) before its run started:\n"
                                     f"{log.read_text(errors='replace')[-3000:]}")
        runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        if len(runs) >= n and all(instance.get_records_for_run(r.run_id, of_type=dg.DagsterEventType.RUN_START)
                                  .records for r in runs):
            return runs
        time.sleep(0.2)
    raise AssertionError(f"{n} runs did not start within 120 s")


def run_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int:
    record = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_START).records[0]
    return record.event_log_entry.dagster_event.pid


def test_a_killed_run_is_marked_failed_with_the_reason_and_a_live_one_is_not(tmp_path: Path) -> None:
    # the instance's storage exists before the workers start: two processes creating a new instance's SQLite
    # schema at once race each other, and the loser exits
    with dg.DagsterInstance.get() as instance:
        instance.get_runs()
    logs = tmp_path / "killed.err", tmp_path / "alive.err"
    killed, alive = start_worker(logs[0]), start_worker(logs[1])
    try:
        with dg.DagsterInstance.get() as instance:
            runs = started_runs(instance, 2, dict(zip(logs, (killed, alive), strict=True)))
            by_pid = {run_pid(instance, r): r for r in runs}
            assert set(by_pid) == {killed.pid, alive.pid}
            assert fail_dead_runs(instance) == []  # both workers are running
            killed.send_signal(signal.SIGKILL)
            killed.wait(timeout=30)
            dead = fail_dead_runs(instance)
            assert [d.run_id for d in dead] == [by_pid[killed.pid].run_id]
            assert f"its run worker (pid {killed.pid}) is no longer running" in dead[0].reason
            failed = instance.get_run_by_id(by_pid[killed.pid].run_id)
            assert failed.status == dg.DagsterRunStatus.FAILURE
            failure = instance.get_records_for_run(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
            assert dead[0].reason in failure[0].event_log_entry.message
            assert instance.get_run_by_id(by_pid[alive.pid].run_id).status == dg.DagsterRunStatus.STARTED
            assert fail_dead_runs(instance) == []  # once only

            # the sensor does the same from the daemon
            alive.send_signal(signal.SIGKILL)
            alive.wait(timeout=30)
            skip = dead_run_sensor(dg.build_sensor_context(instance=instance))
            assert by_pid[alive.pid].run_id in skip.skip_message
            assert instance.get_run_by_id(by_pid[alive.pid].run_id).status == dg.DagsterRunStatus.FAILURE
    finally:
        for worker in (killed, alive):
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)


def test_cli_runs_get_the_origin_of_the_workspace_code_location() -> None:
    origin = workspace_job_origin("nightly_refresh")
    assert origin.location_name == "ea_pipelines" and origin.job_name == "nightly_refresh"
    assert origin.repository_origin.get_label() == "__repository__@ea_pipelines"
    assert Path(origin.repository_origin.code_location_origin.loadable_target_origin.module_name.replace(
        ".", "/") + ".py").as_posix() == "ea_pipelines/definitions.py"

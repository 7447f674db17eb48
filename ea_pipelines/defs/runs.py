"""Runs outside the daemon, and runs whose worker died.

- :func:`prepare_workspace_run` creates a run of a job of this code location for the calling process to execute (``make
  run``, ``ea-pipelines run``): a run that carries the workspace's code-location origin (``workspace.yaml``), so the
  UI lists it under the job and on the Overview timeline like a run launched from the UI.
- :func:`fail_dead_runs` marks a run failed, with the reason, when it is STARTED (or STARTING) but the process
  that runs it is gone: the pid of its ``RUN_START`` event (the run worker) is not alive, or is now another
  process (started after the run did). The CLI calls it at start-up; in a server deployment the
  ``dead_run_sensor`` calls it every minute. With the default run launcher, Dagster fails such a run only while
  the code server that launched the worker still lives; after a crash or restart of the daemon's service (or
  a killed CLI run) nothing does, run monitoring included (``DefaultRunLauncher`` has no run-worker health
  check), and with ``max_concurrent_runs: 1`` one such run blocks the whole queue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

#: the workspace file that ``make dev`` and the server's webserver and daemon load
WORKSPACE = Path(__file__).resolve().parents[2] / "workspace.yaml"
#: the module and attribute the workspace loads (``workspace.yaml``)
DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE = "ea_pipelines.definitions", "defs"
#: a run still STARTING after this long whose launching process is gone is dead too (seconds)
STARTING_GRACE_SECONDS = 300.0


def workspace_job_origin(job_name: str, workspace: Path = WORKSPACE):  # -> RemoteJobOrigin (private type)
    """The origin the webserver and daemon give runs of ``job_name``: the code location of ``workspace.yaml``."""
    from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
    from dagster._core.remote_origin import RemoteRepositoryOrigin
    from dagster._core.workspace.load import location_origins_from_yaml_paths

    locations = location_origins_from_yaml_paths([str(workspace)])
    if len(locations) != 1:
        raise ValueError(f"{workspace}: expected one code location, found {len(locations)}")
    return RemoteRepositoryOrigin(locations[0], SINGLETON_REPOSITORY_NAME).get_job_origin(job_name)


def prepare_workspace_run(instance: dg.DagsterInstance, job_name: str,
                          run_config: Mapping[str, object] | None = None,
                          tags: Mapping[str, str] | None = None) -> tuple[ReconstructableJob, dg.DagsterRun]:
    """A new run of ``job_name`` in ``instance`` with the workspace's code-location origin, and the job to
    execute it with (``dagster._core.execution.api.execute_run``, here and now).

    The job is loaded the way the code location loads it (``ea_pipelines.definitions:defs``, settings from the
    environment), so what runs is what the UI shows; steps run in the calling process with the in-process
    executor (other executors re-load the same module in their own processes).
    """
    from dagster._core.execution.api import create_execution_plan

    recon_repo = ReconstructableRepository.for_module(DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE,
                                                      working_directory=str(WORKSPACE.parent))
    recon_job = recon_repo.get_reconstructable_job(job_name)
    job_def = recon_job.get_definition()
    plan = create_execution_plan(recon_job, run_config=run_config,
                                 instance_ref=instance.get_ref() if instance.is_persistent else None)
    run = instance.create_run_for_job(job_def, execution_plan=plan, run_config=run_config, tags=tags,
                                      remote_job_origin=workspace_job_origin(job_name),
                                      job_code_origin=recon_job.get_python_origin())
    return recon_job, run


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    reason: str


def _process_start_epoch(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or None if there is no such process (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie: it has exited, only its parent has not reaped it yet
        return None
    started_ticks = int(fields[19])
    return time.time() - uptime + started_ticks / os.sysconf("SC_CLK_TCK")


def _pid_alive(pid: int) -> bool:
    if Path("/proc").is_dir():
        return _process_start_epoch(pid) is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def why_dead(instance: dg.DagsterInstance, run: dg.DagsterRun, now: float | None = None) -> str | None:
    """Why ``run`` (STARTED or STARTING) cannot be running any more, or None when it may still be."""
    now = time.time() if now is None else now
    record = instance.get_run_record_by_id(run.run_id)
    if record is None:
        return None
    started = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_START, limit=1).records
    if not started:
        # STARTING: the launcher's worker never reported in; judged only after a grace period
        begun = record.create_timestamp.timestamp()
        if run.status == dg.DagsterRunStatus.STARTING and now - begun > STARTING_GRACE_SECONDS:
            return (f"the run was still STARTING {now - begun:.0f} s after it was created and its run worker "
                    f"never started")
        return None
    entry = started[0].event_log_entry
    pid = entry.dagster_event.pid if entry.dagster_event else None
    if pid is None:
        return None
    if Path("/proc").is_dir():
        began = _process_start_epoch(pid)
        if began is None:
            return f"its run worker (pid {pid}) is no longer running (killed or crashed)"
        if began > entry.timestamp + 2:  # the pid was reused by a process that started after the run did
            return f"its run worker (pid {pid}) is no longer running (the pid now belongs to another process)"
        return None
    return None if _pid_alive(pid) else f"its run worker (pid {pid}) is no longer running (killed or crashed)"


def fail_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Mark every STARTED or STARTING run whose worker process is gone as failed, with the reason.

    Only for run workers on this machine: with the default run launcher (``make dev``, a systemd server) and for
    runs of the CLI. Launchers that run workers elsewhere (Kubernetes, Docker) have their own health check, which
    Dagster's run monitoring uses; this does nothing for them.
    """
    from dagster._core.launcher.default_run_launcher import DefaultRunLauncher

    if instance.run_launcher.supports_check_run_worker_health or not isinstance(
            instance.run_launcher, DefaultRunLauncher):
        return []
    dead = []
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED,
                                                             dg.DagsterRunStatus.STARTING]))
    for run in runs:
        reason = why_dead(instance, run)
        if reason is None:
            continue
        message = f"Marked failed by ea-pipelines: {reason}."
        instance.report_run_failed(run, message)
        dead.append(DeadRun(run.run_id, run.job_name, message))
    return dead


@dg.sensor(name="dead_run_sensor", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Marks runs failed whose run worker process died (kill -9, out of memory, a restart), "
                       "so that the run queue moves on and run retries can start them again.")
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    dead = fail_dead_runs(context.instance)
    for d in dead:
        context.log.warning(f"run {d.run_id} ({d.job_name}): {d.reason}")
    return dg.SkipReason(f"marked {len(dead)} dead run(s) failed: {', '.join(d.run_id for d in dead)}" if dead
                         else "no dead runs")

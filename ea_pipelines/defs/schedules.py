"""The nightly refresh: a job over every asset, and its schedule at 02:00 Europe/Amsterdam."""

from __future__ import annotations

import dagster as dg


def executor_def(name: str) -> dg.ExecutorDefinition:
    """The executor named by ``EA_EXECUTOR``; the Kubernetes and Celery ones come from the ``deploy`` extra."""
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor
    if name == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    raise ValueError(f"unknown executor {name!r}")


def build_nightly_job(executor: str = "in_process") -> dg.UnresolvedAssetJobDefinition:
    # In-process by default: the steps are I/O-bound and short, the embedded DuckDB allows one writing
    # process, and a subprocess per step would cost about 0.7 s each on this machine. Other executors are
    # for a PostgreSQL warehouse (docs/deployment.md).
    return dg.define_asset_job(
        "nightly_refresh",
        selection=dg.AssetSelection.all(),
        executor_def=executor_def(executor),
        description="Refresh every source and publish it to the warehouse.",
    )


nightly_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_0200",
    job_name="nightly_refresh",
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Amsterdam time.",
)

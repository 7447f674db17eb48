"""``nightly_refresh`` under Dagster's multiprocess executor (one step at a time), for the benchmark's
executor comparison. Run by ``bench.py`` in a fresh process with the ``EA_*`` settings in its environment;
each step process rebuilds the definitions from this module."""

from __future__ import annotations

import dagster as dg

from ea_pipelines.definitions import build_definitions


def multiprocess_nightly() -> dg.JobDefinition:
    job = build_definitions().resolve_job_def("nightly_refresh")
    # one step at a time: DuckDB allows one writing process per file
    return job.with_executor_def(dg.multiprocess_executor.configured({"max_concurrent": 1}))

"""The one place that builds isolated settings for everything that is not the user's own run.

``make bench``, the test suite and the snapshot builder run pipelines too; none of them may touch the user's
warehouse, reports, inbox, landing, archive, quarantine, Data Docs, logs or Dagster instance. Every location a
run writes to is listed once, in :data:`ea_pipelines.settings.WRITABLE_LOCATIONS`; :func:`isolated_env` points
each of them (and ``DAGSTER_HOME``) into one work directory. A setting added there is isolated everywhere, and
``ea_pipelines_tests/test_isolation.py`` fails when a new writable setting is not listed.
"""

from __future__ import annotations

import os
from pathlib import Path

from ea_pipelines.settings import WRITABLE_LOCATIONS, Settings

#: the folder of each writable location inside the work directory (the warehouse is ``<work>/ea.duckdb``)
FOLDERS = {"landing_dir": "landing", "inbox_dir": "inbox", "archive_dir": "archive", "quarantine_dir": "quarantine",
           "data_docs_dir": "docs", "report_dir": "reports", "log_dir": "logs"}


def isolated_env(work: Path, source_mode: str = "replay", dagster_home: bool = True) -> dict[str, str]:
    """``EA_*`` variables (and ``DAGSTER_HOME``) that put every writable location under ``work``."""
    work = Path(work)
    env = {"EA_SOURCE_MODE": source_mode}
    for field, var in WRITABLE_LOCATIONS.items():
        env[var] = f"duckdb:///{work / 'ea.duckdb'}" if field == "warehouse_url" else str(work / FOLDERS[field])
    if dagster_home:
        env["DAGSTER_HOME"] = str(work / "dagster_home")
    return env


def isolated_settings(work: Path, base: dict[str, str] | None = None, **overrides: str) -> Settings:
    """Settings with every writable location under ``work``; the other settings (memory limit, timeouts) from
    ``base`` (default: this process's environment); ``overrides``: more ``EA_*`` variables."""
    env = {k: v for k, v in isolated_env(work).items() if k.startswith("EA_")}
    return Settings.from_env({**(dict(os.environ) if base is None else base), **env, **overrides})

"""EA_DUCKDB_MEMORY_LIMIT reaches DuckDB: the warehouse the Dagster resources open runs with that memory_limit."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.defs.resources import resources_from_settings
from ea_pipelines.settings import Settings

# DuckDB reports the limit in binary units: 300 MB = 300,000,000 B = 286.1 MiB; 512 MB = 488.2 MiB;
# 1 GB = 953.6 MiB; 2 GiB as given.
CASES = [({"EA_DUCKDB_MEMORY_LIMIT": "300MB"}, "286.1 MiB"), ({"EA_DUCKDB_MEMORY_LIMIT": "1GB"}, "953.6 MiB"),
         ({"EA_DUCKDB_MEMORY_LIMIT": "2GiB"}, "2.0 GiB"), ({}, "488.2 MiB")]  # unset: the default 512MB


@pytest.mark.parametrize("env,shown", CASES, ids=["300MB", "1GB", "2GiB", "default"])
def test_the_memory_limit_setting_reaches_duckdb(tmp_path: Path, env: dict[str, str], shown: str) -> None:
    settings = Settings.from_env({"EA_WAREHOUSE_URL": f"duckdb:///{tmp_path}/ea.duckdb", **env})
    wh = resources_from_settings(settings)["warehouse"].warehouse
    try:
        with wh.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_setting('memory_limit')")).scalar() == shown
    finally:
        wh.dispose()

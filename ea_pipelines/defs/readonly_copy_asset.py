"""The read-only DuckDB copy for analysts as the last asset of the nightly run (DuckDB warehouses only).

It depends on every marts model, so it runs only when they were all built and their blocking checks
passed; otherwise it is skipped and analysts keep the previous copy.
"""

from pathlib import Path

import dagster as dg

from ea_pipelines.defs.resources import WarehouseResource
from ea_pipelines.warehouse.readonly_copy import publish_readonly_copy

READONLY_COPY_KEY = dg.AssetKey(["reporting", "duckdb_readonly_copy"])


def build_readonly_copy_asset(target: Path, marts_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(key=READONLY_COPY_KEY, group_name="reporting", deps=marts_keys, kinds={"duckdb"},
              owners=["team:data-engineering"],
              description=f"Read-only copy of the marts for analysts ({target}), replaced atomically after "
                          "the marts are built, so readers never lock the nightly load out. "
                          "See docs/analyst-access.md.")
    def duckdb_readonly_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        source = warehouse.warehouse.duckdb_path
        if source is None:
            raise dg.Failure("the read-only copy needs a DuckDB warehouse file", allow_retries=False)
        rows = publish_readonly_copy(source, target)
        context.log.info(f"published {len(rows)} marts tables to {target}")
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(target.resolve())),
            "tables": dg.MetadataValue.md("\n".join(f"- marts.{t}: {n:,} rows" for t, n in rows.items())),
            "dagster/row_count": sum(rows.values()),
        })

    return duckdb_readonly_copy

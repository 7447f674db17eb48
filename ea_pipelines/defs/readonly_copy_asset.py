"""The read-only DuckDB copy for analysts as the last asset of the nightly run (DuckDB warehouses only).

It depends on every marts model, so it runs only when they were all built and their blocking checks
passed; otherwise it is skipped and analysts keep the previous copy.
"""

from pathlib import Path

import dagster as dg

from ea_pipelines.defs.resources import WarehouseResource
from ea_pipelines.defs.versions import full_refresh, unchanged_inputs
from ea_pipelines.warehouse.readonly_copy import publish_readonly_copy

READONLY_COPY_KEY = dg.AssetKey(["reporting", "duckdb_readonly_copy"])
CODE_VERSION = "1"


def build_readonly_copy_asset(target: Path, marts_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(key=READONLY_COPY_KEY, group_name="reporting", deps=marts_keys, kinds={"duckdb"},
              owners=["team:data-engineering"], code_version=CODE_VERSION,
              description=f"Read-only copy of the marts for analysts ({target}), replaced atomically after "
                          "the marts are built, so readers never lock the nightly load out. "
                          "Published again only when a mart changed (or the copy is gone). See docs/analyst-access.md.")
    def duckdb_readonly_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        if warehouse.warehouse.duckdb_path is None:
            raise dg.Failure("the read-only copy needs a DuckDB warehouse file", allow_retries=False)
        unchanged = None if full_refresh(context, warehouse.full_refresh) else \
            unchanged_inputs(context, CODE_VERSION, marts_keys)
        if unchanged and target.is_file():
            context.log.info(f"{target} is current: {unchanged}")
            return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(target.resolve())),
                                                  "republished": False})
        rows = publish_readonly_copy(warehouse.warehouse, target)
        context.log.info(f"published {len(rows)} marts tables to {target}")
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(target.resolve())),
            "tables": dg.MetadataValue.md("\n".join(f"- marts.{t}: {n:,} rows" for t, n in rows.items())),
            "dagster/row_count": sum(rows.values()),
            "republished": True,
        })

    return duckdb_readonly_copy

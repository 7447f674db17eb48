"""SQL models as Dagster assets: one per model, dependencies from ref() and source(), tests as checks."""

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import Programme
from ea_pipelines.defs.checks import checked_asset
from ea_pipelines.defs.resources import WarehouseResource
from ea_pipelines.defs.versions import (
    existing_relations,
    full_refresh,
    latest_data_version,
    latest_metadata,
    unchanged_inputs,
    version,
)
from ea_pipelines.provenance import CLASSES, is_invented
from ea_pipelines.quality.gate import record
from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.sqlmodels.project import Model, ModelError
from ea_pipelines.sqlmodels.runner import TestResult, build, relations, run_tests
from ea_pipelines.sqlmodels.seeds import DELIVERIES_FILE, INDICATORS_FILE, SEED_TABLES, write_seeds
from ea_pipelines.warehouse.db import Warehouse

SEEDS_KEY = dg.AssetKey(["staging", "seeds"])
#: UI groups: intermediate models exist only to build the marts, so they are shown with them.
GROUPS = {"staging": "staging", "intermediate": "marts", "marts": "marts"}
#: Appended to the description of every model with a provenance column.
PROVENANCE_NOTE = ("\n\nEvery row carries its provenance class (illustrative < synthetic < cbs_capture < partner < "
                   "cbs_live; a derived value takes the weakest of its parts). Synthetic and illustrative rows are "
                   "invented, not real figures: the metadata counts them (`provenance/<class>`, `invented_rows`).")


def model_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey([model.layer, model.name])


def _row_counts(wh: Warehouse, relations: list[str]) -> dict[str, int] | None:
    """Rows in each relation, or None when any does not exist (then they must be written)."""
    try:
        with wh.engine.connect() as conn:
            return {r: int(conn.execute(sa.text(f"SELECT count(*) FROM {r}")).scalar()) for r in relations}
    except sa.exc.SQLAlchemyError:
        return None


def build_seeds_asset(programme: Programme) -> dg.AssetsDefinition:
    @dg.asset(key=SEEDS_KEY, group_name="staging", kinds={"yaml"}, owners=["team:data-engineering"],
              description="Indicator definitions (catalogue/indicators.yaml) and the programme's regions "
                          "(catalogue/cbs_tables.yaml) as tables for the SQL models. Rewritten only when they "
                          "changed (the data version hashes both and the tables' definitions) or are missing.")
    def _seeds(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        wh = warehouse.warehouse
        content = version(repr(programme), INDICATORS_FILE.read_bytes(), DELIVERIES_FILE.read_bytes(),
                          sorted(SEED_TABLES.items()))
        previous = latest_metadata(context.instance, SEEDS_KEY)
        counts = None
        if (getattr(previous.get("content_version"), "value", None) == content
                and not full_refresh(context, warehouse.full_refresh)):
            counts = _row_counts(wh, list(SEED_TABLES))  # None when a table is gone (a warehouse built anew)
        data_version = latest_data_version(context.instance, SEEDS_KEY)
        rewritten = counts is None or data_version is None
        if rewritten:
            counts = write_seeds(wh, programme)
            # every write is a new version, so that a warehouse built anew gets its models built too
            data_version = version(content, context.run_id)
        return dg.MaterializeResult(metadata={"dagster/row_count": sum(counts.values()), **counts,
                                              "content_version": content, "rewritten": rewritten},
                                    data_version=dg.DataVersion(data_version))

    return _seeds


def model_code_version(model: Model) -> str:
    """What the model's build and tests depend on besides their inputs: its SQL, materialisation and tests."""
    return version(model.sql, model.materialized, model.keep_previous, *(f"{t.name}:{t.sql}" for t in model.tests))


def _as_outcome(test: TestResult) -> CheckOutcome:
    return CheckOutcome(test.name, "ERROR", test.passed, "model test", 1, int(not test.passed), test.failing,
                        sample=test.sample if not test.sample.empty else None)


def _plot_metadata(conn: sa.Connection, model: Model) -> dict[str, float]:
    """One numeric entry per row (e.g. an indicator's latest value): the UI charts each over materialisations
    (Dagster 1.13: the asset's Events tab, the "Plots" view beside "Table")."""
    label, value = model.plot or ("", "")
    rows = conn.execute(sa.text(f"SELECT {label}, {value} FROM {model.relation} ORDER BY {label}")).fetchall()
    return {f"{value}/{k}": float(v) for k, v in rows if v is not None}


def column_schema(conn: sa.Connection, model: Model) -> dg.TableSchema:
    """The relation's columns with the warehouse's own types (BIGINT, DOUBLE, BOOLEAN, ...) and the
    descriptions from the model's YAML docs, in the relation's column order."""
    schema, name = model.relation.split(".", 1)
    columns = conn.execute(sa.text(  # the database's own type names (SQLAlchemy reflection says FLOAT for DOUBLE)
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = :s AND table_name = :t "
        "ORDER BY ordinal_position"), {"s": schema, "t": name}).fetchall()
    return dg.TableSchema(columns=[dg.TableColumn(c, type=str(t).upper(), description=model.columns.get(c))
                                   for c, t in columns])


def _provenance_metadata(conn: sa.Connection, model: Model) -> dict[str, object]:
    """Rows per provenance class (``provenance/<class>``), and a warning when any are invented."""
    rows = conn.execute(sa.text(f"SELECT provenance, count(*) FROM {model.relation} WHERE provenance IS NOT NULL "
                                f"GROUP BY provenance")).fetchall()
    counts = {str(k): int(n) for k, n in rows}
    invented = sum(n for k, n in counts.items() if is_invented(k))
    meta: dict[str, object] = {f"provenance/{c}": counts.get(c, 0) for c in CLASSES}
    meta["invented_rows"] = invented
    meta["provenance_note"] = dg.MetadataValue.text(
        f"{invented} rows are invented (synthetic or illustrative), not real figures" if invented
        else "every row is real (CBS or partner)")
    return meta


def build_model_asset(model: Model, models: list[Model],
                      sources: dict[tuple[str, str], list[dg.AssetKey]]) -> dg.AssetsDefinition:
    deps = [model_key(m) for m in models if m.name in model.refs]
    for source in model.sources:
        if source not in sources:
            raise ModelError(f"{model.path}: source('{source[0]}', '{source[1]}') is not produced by any asset")
        deps += sources[source]
    key = model_key(model)
    rels = relations(models)

    @checked_asset(
        key, group_name=GROUPS[model.layer], deps=list(dict.fromkeys(deps)), kinds={"sql", model.materialized},
        owners=["team:data-engineering"], description=(model.description + (PROVENANCE_NOTE if "provenance" in
                                                                              model.columns else "")) or None,
        metadata={"sql_file": str(model.path), "materialized": model.materialized, "relation": model.relation,
                  # the types are the warehouse's, known once built: each materialisation carries the real ones
                  "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(c, type="unknown", description=d)
                                                                   for c, d in model.columns.items()])},
        check_specs=[dg.AssetCheckSpec(t.name, asset=key, blocking=True, description=t.sql) for t in model.tests],
        # Dagster derives the data version from this and the inputs' data versions (a logical version).
        code_version=model_code_version(model),
    )
    def _model(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        wh = warehouse.warehouse
        unchanged = None if full_refresh(context, warehouse.full_refresh) else \
            unchanged_inputs(context, model_code_version(model), deps)
        if unchanged and model.relation not in existing_relations(context, wh.engine):
            unchanged = None  # its table is gone (a warehouse built anew): build it
        if unchanged:
            # Not rebuilt (an append model would append its last changes again): same rows, and the tests' last
            # results stand
            previous = latest_metadata(context.instance, key)
            kept = ("dagster/row_count", "dagster/column_schema")
            yield dg.MaterializeResult(metadata={**{k: previous[k] for k in kept if k in previous},
                                                 "rebuilt": False, "skipped": dg.MetadataValue.text(unchanged)})
            return
        rows = build(wh, model, rels)
        tests = run_tests(wh, model, rels)
        record(wh, [_as_outcome(t) for t in tests], run_id=context.run_id, load_id=None, asset=key.to_user_string())
        for t in tests:
            yield dg.AssetCheckResult(
                check_name=t.name, passed=t.passed, severity=dg.AssetCheckSeverity.ERROR,
                metadata={"failing_rows": t.failing,
                          "sample": dg.MetadataValue.md(t.sample.to_markdown(index=False) if t.failing else "none")})
        with wh.engine.connect() as conn:
            preview = pd.read_sql_query(f"SELECT * FROM {model.relation} LIMIT 10", conn) if rows else pd.DataFrame()
            plotted = _plot_metadata(conn, model) if model.plot else {}
            provenance = _provenance_metadata(conn, model) if "provenance" in model.columns else {}
            columns = column_schema(conn, model)
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": rows,
            "rebuilt": True,
            "dagster/column_schema": columns,
            "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "_empty_"),
            **plotted,
            **provenance,
        })

    return _model


def build_sql_assets(models: list[Model], programme: Programme,
                     sources: dict[tuple[str, str], list[dg.AssetKey]]) -> list[dg.AssetsDefinition]:
    sources = {**sources, **{tuple(table.split(".")): [SEEDS_KEY] for table in SEED_TABLES}}
    return [build_seeds_asset(programme), *(build_model_asset(m, models, sources) for m in models)]

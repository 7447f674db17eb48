"""One Dagster asset per partner delivery type, and the sensor that watches the inbox."""

import os

import dagster as dg
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, DeliveryType
from ea_pipelines.defs.checks import check_results, check_specs, checked_asset
from ea_pipelines.defs.freshness import new_version, source_spec
from ea_pipelines.defs.resources import DeliveriesResource, QualityResource, WarehouseResource
from ea_pipelines.defs.versions import full_refresh, latest_data_version, version
from ea_pipelines.deliveries.inbox import identity, pending
from ea_pipelines.deliveries.reading import is_bare_name
from ea_pipelines.ingest.delivery_file import DeliveryOutcome, process_file, staged_after
from ea_pipelines.provenance import delivery_provenance
from ea_pipelines.quality.gate import record
from ea_pipelines.quality.gx_runner import CheckOutcome, combine
from ea_pipelines.quality.suites import CheckConfig, delivery_check_names
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines.warehouse.delivery_publish import accepted_loads, db_text

GROUP = "deliveries"
REDELIVERY_CHECK = "redelivery_keeps_rows"


class DeliveryFiles(dg.Config):
    """Files to process, by name in the type's inbox folder; empty means every file waiting there."""

    files: list[str] = []


def asset_key(dtype: DeliveryType) -> dg.AssetKey:
    return dg.AssetKey([GROUP, dtype.name])


def _metadata(outcomes: list[DeliveryOutcome], staged_rows: int, unsafe: list[str] | None = None) -> dict[str, object]:
    table = pd.DataFrame([{"file": db_text(o.file_name), "status": o.status, "rows": o.rows,
                           "provenance": delivery_provenance(o.sha256) if o.sha256 else "-",
                           "replaced": (o.replaced.text() if o.replaced else None) or "-",
                           "stored at": db_text(str(o.stored_path or "-"))} for o in outcomes])
    replaced = [o.replaced for o in outcomes if o.replaced and o.replaced.groups]
    meta: dict[str, object] = {
        "dagster/row_count": staged_rows,
        "files_accepted": sum(o.status == "accepted" for o in outcomes),
        "files_rejected": sum(o.status == "rejected" for o in outcomes),
        "files_duplicate": sum(o.status == "duplicate" for o in outcomes),
        "files_illustrative": sum(o.status == "accepted" and bool(o.sha256)
                                  and delivery_provenance(o.sha256) == "illustrative" for o in outcomes),
        "files_stuck": sum(o.status == "stuck" for o in outcomes),
        "files_waiting": sum(o.status == "waiting" for o in outcomes),
        "files_failed": sum(o.status == "failed" for o in outcomes),
        "files_unsafe": sum(o.status == "unsafe" for o in outcomes),
        "rows_replaced": sum(r.rows_before for r in replaced),
        "rows_gone": sum(len(r.gone) for r in replaced),
        "files": dg.MetadataValue.md(table.to_markdown(index=False) if len(table) else "no files waiting"),
    }
    if replaced:
        meta["replaced"] = dg.MetadataValue.md("\n".join(f"- {db_text(o.file_name)}: {o.replaced.text()}"
                                                         for o in outcomes if o.replaced and o.replaced.groups))
    if unsafe:  # a folder of this type is a symlink or not ours: its files were left alone, unread
        meta["unsafe_folders"] = dg.MetadataValue.md("\n".join(f"- {db_text(p)}" for p in unsafe))
    previews = [o.preview for o in outcomes if o.preview is not None]
    if previews:
        meta["preview"] = dg.MetadataValue.md(previews[-1].to_markdown(index=False))
    rejections = [db_text(o.reason) for o in outcomes if o.reason]
    if rejections:
        meta["rejections"] = dg.MetadataValue.md("\n\n".join(f"```\n{r}```" for r in rejections))
    return meta


def redelivery_outcome(outcomes: list[DeliveryOutcome], config: CheckConfig) -> CheckOutcome:
    """WARN when an accepted re-delivery left out rows that staging held for the periods it replaced."""
    dropped = [o for o in outcomes if o.replaced and o.replaced.gone]
    sample = pd.DataFrame([{"file": db_text(o.file_name), "replaced": ", ".join(o.replaced.groups),
                            "rows before": o.replaced.rows_before, "rows after": o.replaced.rows_after,
                            "gone": "; ".join(o.replaced.gone[:10])} for o in dropped]) if dropped else None
    return CheckOutcome(REDELIVERY_CHECK, config.severity, not dropped, config.description, 1, int(bool(dropped)),
                        sum(len(o.replaced.gone) for o in dropped),
                        [f"{db_text(o.file_name)}: {o.replaced.text()}" for o in dropped], sample)


def _staged(wh: Warehouse, dtype: DeliveryType) -> tuple[int, str]:
    """Rows in staging, and the data version: a hash of the accepted files staging was built from."""
    with wh.engine.connect() as conn:
        staged = int(conn.exec_driver_sql(f"SELECT count(*) FROM staging.{dtype.name}").scalar())
        accepted = accepted_loads(conn, dtype.name)
    return staged, version(dtype.name, *accepted)


def build_delivery_asset(dtype: DeliveryType, checks: dict[str, CheckConfig]) -> dg.AssetsDefinition:
    key = asset_key(dtype)
    names = [*delivery_check_names(dtype, checks), REDELIVERY_CHECK]
    # the catalogue entry and the checks that apply: a new or changed check validates the published data again
    code_version = version(repr(dtype), *(repr(checks[n]) for n in names))

    @checked_asset(
        key,
        group_name=GROUP,
        description=f"{dtype.title} — delivered by {dtype.supplier}.\n\n{dtype.description}\n\nA file whose bytes "
                    f"equal one of the project's bundled example files is recorded as illustrative (invented "
                    f"values; files_illustrative, and the provenance column of the files table), any other as "
                    f"partner.",
        kinds={"csv", "xlsx"},
        owners=list(dtype.owners),
        metadata={"staging_table": f"staging.{dtype.name}", "raw_table": f"raw.{dtype.name}",
                  "key": ", ".join(dtype.key), "replaces_by": ", ".join(dtype.replace_by)},
        check_specs=check_specs(key, names, checks),
        code_version=code_version,
    )
    def _asset(context: dg.AssetExecutionContext, config: DeliveryFiles, warehouse: WarehouseResource,
               deliveries: DeliveriesResource, quality: QualityResource):
        folders = deliveries.folders()
        inbox = folders.inbox_for(dtype.name)
        settle = deliveries.settle_seconds
        unsafe = folders.problems(dtype.name)
        for problem in unsafe:
            context.log.warning(f"{dtype.name}: files left alone, not opened: {db_text(problem)}")
        files = [] if unsafe else config.files or [p.name for p in pending(inbox, settle)]
        wh = warehouse.warehouse
        if not files and not full_refresh(context, warehouse.full_refresh):
            # No file waiting: when staging is still what the last materialisation published (same accepted
            # files, same checks), its checks' results stand; nothing is validated and Great Expectations is
            # not imported.
            staged, current = _staged(wh, dtype)
            provenance = context.get_asset_provenance(key)
            if provenance is not None and provenance.code_version == code_version \
                    and latest_data_version(context.instance, key) == current:
                yield dg.MaterializeResult(metadata={**_metadata([], staged, unsafe), "data_docs": quality.docs_link(),
                                                     "validated": False}, data_version=dg.DataVersion(current))
                return
        regions, limits, gate = deliveries.regions(), deliveries.limits(), quality.gate()
        outcomes = []
        for name in files:
            if is_bare_name(name) and not os.path.lexists(inbox / name):
                context.log.info(f"{db_text(name)!r}: no longer in {inbox} (processed by an earlier run)")
                continue
            try:
                outcome = process_file(dtype, name, folders, wh, regions, limits=limits, gate=gate,
                                       run_id=context.run_id, settle_seconds=settle)
            except SQLAlchemyError:
                raise  # the warehouse itself: the step fails
            except Exception as exc:  # noqa: BLE001 - a defect around one file must not stop the others
                context.log.exception(f"{db_text(name)!r}: not processed ({type(exc).__name__}); left in the inbox")
                outcomes.append(DeliveryOutcome(name, "failed", 0, None, None, "-", None))
                continue
            shown = repr(db_text(name))
            if outcome.status == "rejected":
                context.log.warning(f"{shown} rejected; reason beside it in quarantine:\n{db_text(outcome.reason)}")
            elif outcome.status == "stuck" and outcome.reason:
                context.log.error(f"{shown} refused but could not leave the inbox (logged once):\n"
                                  f"{db_text(outcome.reason)}")
            elif outcome.status == "unsafe":
                context.log.warning(f"{shown} {db_text(outcome.reason)}")
            elif outcome.status == "waiting":
                context.log.info(f"{shown} is still changing; left for a later run")
            outcomes.append(outcome)
        validated = [o.checks for o in outcomes if o.checks]
        if not validated:  # no new data: the checks report on what is published now
            current = staged_after(wh, dtype, pd.DataFrame(columns=[*(c.name for c in dtype.columns)]))
            validated = [gate.check_delivery(dtype, current)]
            record(wh, validated[0], run_id=context.run_id, load_id=None, asset=key.to_user_string())
        yield from check_results(key, combine(validated), "the refused file is in quarantine; staging is unchanged",
                                 docs_link=quality.docs_link())
        redelivery = redelivery_outcome(outcomes, checks[REDELIVERY_CHECK])
        record(wh, [redelivery], run_id=context.run_id, load_id=None, asset=key.to_user_string())
        yield from check_results(key, [redelivery], "the re-delivery is published; earlier rows stay in raw")
        staged, current = _staged(wh, dtype)
        yield dg.MaterializeResult(metadata={**_metadata(outcomes, staged, unsafe), "data_docs": quality.docs_link(),
                                             "validated": True}, data_version=dg.DataVersion(current))
        accepted = [o for o in outcomes if o.status == "accepted"]
        if accepted:  # the partner delivered: what the source's freshness policy measures
            new_version(context, "deliveries", dtype.name, files=", ".join(db_text(o.file_name) for o in accepted),
                        rows=sum(o.rows for o in accepted))

    return _asset


def build_delivery_assets(catalogue: DeliveryCatalogue, checks: dict[str, CheckConfig]) -> list[dg.AssetsDefinition]:
    return [build_delivery_asset(t, checks) for t in catalogue.types]


def build_delivery_sources(catalogue: DeliveryCatalogue) -> list[dg.AssetSpec]:
    """Each partner's delivery type as a source with a freshness policy from its catalogue ``frequency``."""
    return [source_spec("deliveries", t.name, f"{t.title} ({t.supplier})", t.frequency, asset_key(t), list(t.owners))
            for t in catalogue.types]


process_deliveries = dg.define_asset_job(
    "process_deliveries",
    selection=dg.AssetSelection.groups(GROUP),
    executor_def=dg.in_process_executor,
    description="Process partner files waiting in the inbox.",
)


def build_inbox_sensor(catalogue: DeliveryCatalogue) -> dg.SensorDefinition:
    @dg.sensor(job=process_deliveries, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Starts a run for each new file in the inbox, keyed by its content hash.")
    def inbox_sensor(context: dg.SensorEvaluationContext, deliveries: DeliveriesResource):
        folders = deliveries.folders()
        for dtype in catalogue.types:
            unsafe = folders.problems(dtype.name)
            if unsafe:  # nothing below a symlinked or foreign folder is listed or opened
                context.log.warning(f"{dtype.name}: inbox not watched: {db_text('; '.join(unsafe))}")
                continue
            for path in pending(folders.inbox_for(dtype.name), deliveries.settle_seconds):
                try:
                    sha = identity(path)  # never follows a symlink or opens what is not a regular file
                except OSError as exc:
                    context.log.warning(f"{db_text(str(path))!r}: cannot be read ({exc}); the nightly run will log it")
                    continue
                # The run key is the content: a renamed copy of a file already run is not run again.
                yield dg.RunRequest(
                    run_key=f"{dtype.name}:{sha}",
                    asset_selection=[asset_key(dtype)],
                    run_config=dg.RunConfig(ops={asset_key(dtype).to_python_identifier():
                                                 DeliveryFiles(files=[path.name])}),
                    tags={"ea/delivery_type": dtype.name, "ea/file": db_text(path.name)[:200],
                          "ea/sha256": sha.split(":")[-1][:16]},
                )

    return inbox_sensor

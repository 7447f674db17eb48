"""One Dagster asset per CBS catalogue table, generated from the catalogue."""

import dagster as dg

from ea_pipelines.catalogue.cbs import CbsCatalogue, CbsTable
from ea_pipelines.cbs.errors import CbsError
from ea_pipelines.defs.checks import check_results, check_specs
from ea_pipelines.defs.resources import CbsSourceResource, QualityResource, WarehouseResource
from ea_pipelines.ingest.cbs_table import LoadReport, load_cbs_table
from ea_pipelines.provenance import cbs_provenance
from ea_pipelines.quality.suites import CBS_CHECKS, CheckConfig
from ea_pipelines.settings import mask_credentials

GROUP = "cbs"

#: Transient failures (timeouts, 5xx that outlasted the client's own retries) get the step retried.
CBS_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


class CbsLoadConfig(dg.Config):
    """Run config of a CBS asset (launchpad: ``ops: {cbs__<name>: {config: {full_fetch: true}}}``)."""

    full_fetch: bool = False  # fetch in full even when CBS's Modified is unchanged (also EA_CBS_FULL_FETCH)
    #: publish a snapshot (replay, or fallback) even over a live, more real or newer published version
    replace_published: bool = False


def _metadata(report: LoadReport) -> dict[str, object]:
    return {
        "dagster/row_count": report.rows,
        "preview": dg.MetadataValue.md(report.preview.to_markdown(index=False)),
        "load_id": report.load_id,
        "status": report.status,
        "stale": report.stale,
        "published_load": report.previous_load if report.status == "kept" else report.load_id,
        "source_mode": report.mode,
        "synthetic_snapshot": report.synthetic,
        "provenance": cbs_provenance(report.mode, report.synthetic),
        "note": mask_credentials(report.note),  # may name the configured URL
        "content_hash": report.content_hash,
        "manifest": dg.MetadataValue.path(str(report.manifest)),
        "fetch": "metadata only (nothing changed upstream)" if report.skipped else "full",
        "skipped": report.skipped or "nothing",
        "source_modified": report.source_modified or "unknown",
        "http_requests": report.requests,
        "http_bytes": report.bytes_received,
        "elapsed_seconds": report.elapsed_seconds,
        "phase_seconds": dg.MetadataValue.json(report.phase_seconds),
    }


def build_cbs_asset(spec: CbsTable, checks: dict[str, CheckConfig]) -> dg.AssetsDefinition:
    key = dg.AssetKey([GROUP, spec.name])

    @dg.asset(
        key=key,
        group_name=GROUP,
        description=f"CBS {spec.table_id} — {spec.title}\n\n{spec.description}\n\nEach materialisation's "
                    f"`provenance` says where the figures come from: cbs_live, cbs_capture (a real capture "
                    f"replayed) or synthetic (a synthetic snapshot: invented values, not CBS figures).",
        kinds=set(spec.kinds) or None,
        owners=list(spec.owners) or None,
        metadata={"cbs_table_id": spec.table_id, "odata_api": spec.api, "frequency": spec.frequency,
                  "measures": ", ".join(spec.measure_codes)},
        retry_policy=CBS_RETRY,
        check_specs=check_specs(key, list(CBS_CHECKS), checks),
        output_required=False,  # when an ERROR check fails nothing is published, and nothing materialises
    )
    def _asset(context: dg.AssetExecutionContext, config: CbsLoadConfig, warehouse: WarehouseResource,
               cbs: CbsSourceResource, quality: QualityResource):
        try:
            report = load_cbs_table(spec, cbs.source(), warehouse.warehouse, batch_id=context.run_id,
                                    gate=quality.gate(), asset=key.to_user_string(),
                                    full_fetch=cbs.full_fetch or config.full_fetch,
                                    replace_published=config.replace_published)
        except CbsError as exc:
            if exc.transient:
                raise
            # Retrying cannot fix a discontinued table, a missing measure or a wrong id.
            raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc
        if report.mode == "fallback" or report.status == "kept":
            context.log.warning(f"{spec.table_id}: {report.note}")
        kept = (f"nothing published: staging keeps load {report.previous_load}" if report.previous_load
                else "nothing published (no earlier load)")
        yield from check_results(key, report.checks, kept, docs_link=quality.docs_link())
        if report.status == "blocked":
            context.log.error(f"{spec.table_id}: blocked by failed checks; {kept}")
            return
        yield dg.MaterializeResult(metadata={**_metadata(report), "data_docs": quality.docs_link()})

    return _asset


def build_cbs_assets(catalogue: CbsCatalogue, checks: dict[str, CheckConfig]) -> list[dg.AssetsDefinition]:
    return [build_cbs_asset(spec, checks) for spec in catalogue.tables]

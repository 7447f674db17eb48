"""One Dagster asset per CBS catalogue table, generated from the catalogue."""

from collections.abc import Callable
from typing import TypeVar

import dagster as dg

from ea_pipelines.catalogue.cbs import CbsCatalogue, CbsTable
from ea_pipelines.cbs.errors import CbsError
from ea_pipelines.defs.checks import check_results, check_specs, checked_asset
from ea_pipelines.defs.freshness import new_version, source_spec
from ea_pipelines.defs.resources import CbsSourceResource, QualityResource, SwingSourceResource, WarehouseResource
from ea_pipelines.defs.versions import full_refresh, version
from ea_pipelines.ingest.cbs_editions import load_cbs_entry
from ea_pipelines.ingest.cbs_table import LoadReport
from ea_pipelines.masking import Note
from ea_pipelines.provenance import cbs_provenance
from ea_pipelines.quality.suites import CBS_CHECKS, CheckConfig

GROUP = "cbs"
T = TypeVar("T")

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
        "note": str(report.note),  # a Note: masked when made (it may name the configured URL)
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


def data_version(report: LoadReport) -> str:
    """The content hash of what is published, with the load that published it: unchanged data (skipped,
    kept, or fetched in full and found identical) keeps the version, so nothing downstream is rebuilt; a
    warehouse built anew (new loads of the same data) gets new versions, so its models are built too."""
    published = report.load_id if report.status == "published" else (report.previous_load or report.load_id)
    return version(report.content_hash, published)


def run_load(load: Callable[..., T], spec: CbsTable, source: CbsSourceResource | SwingSourceResource,
             context: dg.AssetExecutionContext, config: CbsLoadConfig, warehouse: WarehouseResource,
             quality: QualityResource) -> T:
    """``load`` (``load_cbs_entry`` or ``load_cbs_table``) for the asset of ``spec``, from a CBS or Swing source.

    A transient error raises as it is, so the step is retried (CBS_RETRY); any other fails the step without
    retries: retrying cannot fix a discontinued table, a missing measure or a wrong id.
    """
    try:
        return load(spec, source.source(), warehouse.warehouse, batch_id=context.run_id, gate=quality.gate(),
                    asset=context.asset_key.to_user_string(),
                    full_fetch=source.full_fetch or config.full_fetch or full_refresh(context, warehouse.full_refresh),
                    replace_published=config.replace_published)
    except CbsError as exc:
        if exc.transient:
            raise
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc


def kept_note(report: LoadReport) -> str:
    """What stays published when a load published nothing (its checks' ``published`` metadata)."""
    return (f"nothing published: staging keeps load {report.previous_load}" if report.previous_load
            else "nothing published (no earlier load)")


def build_cbs_asset(spec: CbsTable, checks: dict[str, CheckConfig]) -> dg.AssetsDefinition:
    key = dg.AssetKey([GROUP, spec.name])

    @checked_asset(
        key,
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
        # optional output: when an ERROR check fails nothing is published, and nothing materialises
        code_version=version(repr(spec)),  # the catalogue entry: a changed entry makes the table stale
    )
    def _asset(context: dg.AssetExecutionContext, config: CbsLoadConfig, warehouse: WarehouseResource,
               cbs: CbsSourceResource, quality: QualityResource):
        entry = run_load(load_cbs_entry, spec, cbs, context, config, warehouse, quality)
        for warning in entry.warnings:
            context.log.warning(f"{spec.name}: {warning}")
        for table_id, why in entry.skipped.items():
            context.log.warning(f"{table_id}: {why}")
        report = entry.newest
        if report is not None:
            for r in entry.reports:
                if r.mode == "fallback" or r.status == "kept":
                    context.log.warning(f"{r.table_id}: {r.note}")
            kept = kept_note(report)
            yield from check_results(key, entry.checks, kept, docs_link=quality.docs_link())
            if all(r.status == "blocked" for r in entry.reports):
                context.log.error(f"{spec.table_id}: blocked by failed checks; {kept}")
            else:
                extra = ({"editions": dg.MetadataValue.md(entry.summary().to_markdown(index=False))}
                         if entry.editions is not None else {})
                # every edition's version: a new edition, or new data in any, makes the entry's data new
                yield dg.MaterializeResult(metadata={**_metadata(report), **extra,
                                                     "data_docs": quality.docs_link()},
                                           data_version=dg.DataVersion(version(*(data_version(r)
                                                                                 for r in entry.reports))))
                published = [r for r in entry.reports if r.status == "published"]
                if published:  # new data from CBS: what the source's freshness policy measures
                    new_version(context, "cbs", spec.name, load_id=published[-1].load_id,
                                source_mode=published[-1].mode,
                                source_modified=published[-1].source_modified or "unknown",
                                rows=sum(r.rows for r in published))
        failures = Note("; ".join(f"{t}: {type(e).__name__}: {e}" for t, e in entry.failed.items()))
        if entry.failed and report is None:  # no edition could be loaded: the entry's failure
            raise dg.Failure(description=f"{spec.name}: every edition failed ({failures})",
                             allow_retries=any(getattr(e, "transient", False) for e in entry.failed.values()))
        if entry.failed:  # one edition's failure is that edition's: the others are published and the marts go on
            context.log.error(f"{spec.name}: edition(s) failed ({failures}); the other editions were loaded "
                              f"(their rows and the `editions` metadata say which)")

    return _asset


def build_cbs_assets(catalogue: CbsCatalogue, checks: dict[str, CheckConfig]) -> list[dg.AssetsDefinition]:
    return [build_cbs_asset(spec, checks) for spec in catalogue.tables]


def build_cbs_sources(catalogue: CbsCatalogue) -> list[dg.AssetSpec]:
    """Each CBS table as a source with a freshness policy from its catalogue ``frequency``."""
    return [source_spec("cbs", spec.name, f"CBS {spec.table_id} — {spec.title}", spec.frequency,
                        dg.AssetKey([GROUP, spec.name]), list(spec.owners)) for spec in catalogue.tables]

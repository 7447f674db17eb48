"""One Dagster asset per Swing ODS variable (Kennispunt Twente open data), generated from the Swing catalogue
(EA_SWING_CATALOGUE, default swing_variables.yaml).

The load is the CBS one (``ea_pipelines.ingest.cbs_table.load_cbs_table``) with a Swing source: the same checks,
snapshot policy, incremental rules and publish; the asset differs only in its group, resource and description.
"""

import dagster as dg

from ea_pipelines.catalogue.indicators import IndicatorCatalogue
from ea_pipelines.catalogue.swing import SwingCatalogue, SwingVariable
from ea_pipelines.defs.cbs_assets import CBS_RETRY, CbsLoadConfig, _metadata, data_version, kept_note, run_load
from ea_pipelines.defs.checks import check_results, check_specs, checked_asset
from ea_pipelines.defs.resources import QualityResource, SwingSourceResource, WarehouseResource
from ea_pipelines.defs.versions import version
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.provenance import source_provenance
from ea_pipelines.quality.suites import CBS_CHECKS, CheckConfig

GROUP = "kennispunt"


def build_swing_asset(var: SwingVariable, checks: dict[str, CheckConfig],
                      indicators: IndicatorCatalogue) -> dg.AssetsDefinition:
    key = dg.AssetKey([GROUP, var.name])
    spec = var.table()
    indicator = f"`{var.indicator}` ({indicators.name(var.indicator)})" if var.indicator else None

    @checked_asset(
        key,
        group_name=GROUP,
        description=f"Kennispunt Twente open data (Swing ODS) — {var.title}\n\nVariable `{var.variable}`, geo "
                    f"level {var.geo_level}, period level {var.period_level}"
                    + (f"; provides indicator {indicator}" if indicator else "; context figure")
                    + ".\n\nEach materialisation's `provenance` says where the figures come from: swing_live, "
                      "swing_capture (a real landed batch replayed) or synthetic (the bundled synthetic snapshot: "
                      "invented values, not Kennispunt figures).",
        kinds=set(var.kinds) or None,
        owners=list(var.owners) or None,
        metadata={"swing_variable": var.variable, "geo_level": var.geo_level, "period_level": var.period_level,
                  "unit": var.unit, "indicator": var.indicator or "(context figure)"},
        retry_policy=CBS_RETRY,
        check_specs=check_specs(key, list(CBS_CHECKS), checks),
        code_version=version(repr(var)),  # the catalogue entry: a changed entry makes the variable stale
    )
    def _asset(context: dg.AssetExecutionContext, config: CbsLoadConfig, warehouse: WarehouseResource,
               swing: SwingSourceResource, quality: QualityResource):
        report = run_load(load_cbs_table, spec, swing, context, config, warehouse, quality)
        if report.mode == "fallback" or report.status == "kept":
            context.log.warning(f"{var.variable}: {report.note}")
        kept = kept_note(report)
        yield from check_results(key, report.checks, kept, docs_link=quality.docs_link())
        if report.status == "blocked":
            context.log.error(f"{var.variable}: blocked by failed checks; {kept}")
            return
        metadata = {**_metadata(report), "provenance": source_provenance("swing", report.mode, report.synthetic),
                    "data_docs": quality.docs_link()}
        yield dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(data_version(report)))

    return _asset


def build_swing_assets(catalogue: SwingCatalogue, checks: dict[str, CheckConfig],
                       indicators: IndicatorCatalogue) -> list[dg.AssetsDefinition]:
    return [build_swing_asset(v, checks, indicators) for v in catalogue.variables]

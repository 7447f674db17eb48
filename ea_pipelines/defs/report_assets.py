"""The council report as an asset downstream of the marts, with links to both files and the Data Docs."""

from pathlib import Path

import dagster as dg

from ea_pipelines.defs.resources import QualityResource, ReportingResource, WarehouseResource
from ea_pipelines.provenance import CLASSES

GROUP = "reporting"
KEY = dg.AssetKey([GROUP, "council_report"])


def build_report_asset(marts: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEY, group_name=GROUP, deps=marts, kinds={"html", "pdf"},
        owners=["team:data-engineering", "team:programma-economie-en-arbeidsmarkt"],
        description="Raadsrapportage kernindicatoren Economie en Arbeidsmarkt: HTML and PDF in Dutch, built from "
                    "the marts only, organised by the plan's five strategic goals, with a trend chart per "
                    "indicator and a summary table on page one. Written to <EA_REPORT_DIR>/<date>/. When any "
                    "figure is synthetic or illustrative, page one says so and counts them, each such figure, "
                    "summary row and chart is marked 'voorbeeldcijfer', and its target status is not judged; the "
                    "metadata counts the indicators per provenance class (provenance/<class>, invented_indicators).",
    )
    def council_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       reporting: ReportingResource, quality: QualityResource) -> dg.MaterializeResult:
        from ea_pipelines.report.build import write_report  # matplotlib and reportlab: load only when drawing
        from ea_pipelines.report.marks import banner

        files = write_report(warehouse.warehouse.engine, Path(reporting.reports_dir))
        kern = files.content.kern
        without = [s.code for s in files.content.sections if s.code not in files.charts]
        if without:
            context.log.info(f"no data, so no chart, for: {', '.join(without)}")
        return dg.MaterializeResult(metadata={
            "report_html": dg.MetadataValue.url(files.html.resolve().as_uri()),
            "report_pdf": dg.MetadataValue.url(files.pdf.resolve().as_uri()),
            "report_dir": dg.MetadataValue.path(str(files.directory.resolve())),
            "data_docs": quality.docs_link(),
            "charts": len(files.charts),
            "indicators_without_data": dg.MetadataValue.text(", ".join(without) or "none"),
            **{f"kern_{status.replace(' ', '_')}": sum(s.status == status for s in kern)
               for status in ("behaald", "niet behaald", "geen data", "niet beoordeeld")},
            **{f"provenance/{c}": sum(s.weakest_provenance == c for s in files.content.sections) for c in CLASSES},
            "invented_indicators": sum(s.invented for s in files.content.sections),
            "voorbeeldcijfers": dg.MetadataValue.text(banner(files.content) or "geen: alle cijfers zijn echt"),
        })

    return council_report

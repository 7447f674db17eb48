"""The council report as an asset downstream of the marts, with links to both files and the Data Docs."""

from datetime import date
from pathlib import Path

import dagster as dg

from ea_pipelines import clock
from ea_pipelines.defs.resources import QualityResource, ReportingResource, WarehouseResource
from ea_pipelines.defs.versions import (
    full_refresh,
    latest_data_version,
    latest_data_versions,
    latest_metadata,
    version,
)
from ea_pipelines.provenance import CLASSES
from ea_pipelines.settings import DEFAULT_SQL_DIR

GROUP = "reporting"
KEY = dg.AssetKey([GROUP, "council_report"])
#: the report's code version: change it when the report's content or layout changes, to have it redrawn
CODE_VERSION = "3"


class ReportConfig(dg.Config):
    """Run config of the report: which report moment (see ea_pipelines/report/moments.py).

    ``moment``: voorjaarsrapportage, najaarsrapportage or jaarverantwoording; empty: the latest moment whose
    period has ended today. ``year``: the moment's year; empty: its latest ended instance. ``as_of``: show the
    figures as known on this date (YYYY-MM-DD; see ea_pipelines/report/vintage.py); empty: everything the
    warehouse holds now.
    """

    moment: str | None = None
    year: int | None = None
    as_of: str | None = None


#: metadata of the last drawn report repeated when it is not redrawn (it still describes the files)
KEPT = ("report_html", "report_pdf", "report_dir", "report_file", "data_docs", "charts", "moment", "as_of",
        "vintage_rows")


def build_report_asset(marts: list[dg.AssetKey], sql_dir: Path = DEFAULT_SQL_DIR) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEY, group_name=GROUP, deps=marts, kinds={"html", "pdf"}, code_version=CODE_VERSION,
        owners=["team:data-engineering", "team:programma-economie-en-arbeidsmarkt"],
        description="Raadsrapportage kernindicatoren Economie en Arbeidsmarkt: HTML and PDF in Dutch, built from "
                    "the marts only, organised by the plan's five strategic goals, with a trend chart per "
                    "indicator and a summary table on page one; per report moment (voorjaarsrapportage, "
                    "najaarsrapportage, jaarverantwoording; run config `moment`, `year`) highlights, afwijkingen, "
                    "the results of the programme's efforts and qualitative contributions per goal. Written to "
                    "`EA_REPORT_DIR/<date>/`. When any figure is synthetic or illustrative, page one says so and "
                    "counts them, each such figure, summary row and chart is marked 'voorbeeldcijfer', and its "
                    "target status is not judged; the metadata counts the indicators per provenance class "
                    "(`provenance/<class>`, `invented_indicators`). It is redrawn only when a mart it reads changed "
                    "(their data versions), for another report moment or year, or when its files are gone; "
                    "otherwise the last report stands (metadata `redrawn`).",
    )
    def council_report(context: dg.AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource,
                       reporting: ReportingResource, quality: QualityResource) -> dg.MaterializeResult:
        from ea_pipelines.report.build import write_report  # matplotlib and reportlab: load only when drawing
        from ea_pipelines.report.marks import banner
        from ea_pipelines.report.moments import check_as_of, resolve

        now = clock.now()
        try:
            moment = resolve(config.moment, config.year, now.date())
            as_of = date.fromisoformat(config.as_of) if config.as_of else None
            check_as_of(as_of)
        except ValueError as exc:  # MomentError or a malformed as_of
            raise dg.Failure(description=f"report moment: {exc}") from exc
        # What the report is drawn from: the marts' data versions, the moment, the as-of date, and the year
        # (staleness notes).
        current = version(CODE_VERSION, moment, as_of, now.year,
                          *latest_data_versions(context.instance, marts).values())
        previous = latest_metadata(context.instance, KEY)
        html = Path(str(previous["report_file"].value)) if "report_file" in previous else None
        if (not full_refresh(context, warehouse.full_refresh) and latest_data_version(context.instance, KEY) == current
                and html is not None and html.is_file() and html.with_suffix(".pdf").is_file()
                and html.parent.parent == Path(reporting.reports_dir).resolve()):
            context.log.info(f"report unchanged: the marts did not change since {html} was drawn")
            return dg.MaterializeResult(metadata={**{k: previous[k] for k in KEPT if k in previous},
                                                  "redrawn": False}, data_version=dg.DataVersion(current))
        files = write_report(warehouse.warehouse.engine, Path(reporting.reports_dir), now=now, moment=moment,
                             as_of=as_of, sql_dir=sql_dir)
        content = files.content
        kern = files.content.kern
        without = [s.code for s in files.content.sections if s.code not in files.charts]
        if without:
            context.log.info(f"no data, so no chart, for: {', '.join(without)}")
        return dg.MaterializeResult(metadata={
            "report_html": reporting.link(files.html),
            "report_pdf": reporting.link(files.pdf),
            "report_dir": dg.MetadataValue.path(str(files.directory.resolve())),
            "report_file": dg.MetadataValue.path(str(files.html.resolve())),
            "data_docs": quality.docs_link(),
            "charts": len(files.charts),
            "indicators_without_data": dg.MetadataValue.text(", ".join(without) or "none"),
            "moment": dg.MetadataValue.text(f"{moment.title} ({moment.start} - {moment.end})"),
            "as_of": dg.MetadataValue.text(as_of.isoformat() if as_of else "nu (alles in het datawarehouse)"),
            "vintage_rows": content.vintage_rows,
            "highlights": len(content.highlights),
            "afwijkingen": len(content.deviations),
            "efforts": sum(len(g.efforts) for g in content.goals),
            "contributions": sum(len(g.contributions) for g in content.goals),
            **{f"kern_{status.replace(' ', '_')}": sum(s.status == status for s in kern)
               for status in ("behaald", "niet behaald", "geen data", "niet beoordeeld")},
            **{f"provenance/{c}": sum(s.weakest_provenance == c for s in files.content.sections) for c in CLASSES},
            "invented_indicators": sum(s.invented for s in files.content.sections),
            "voorbeeldcijfers": dg.MetadataValue.text(banner(files.content) or "geen: alle cijfers zijn echt"),
            "redrawn": True,
        }, data_version=dg.DataVersion(current))

    return council_report

"""Dagster entry point (see ``workspace.yaml``): everything is generated from the catalogues."""

from __future__ import annotations

import dagster as dg

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.defs.cbs_assets import build_cbs_assets, build_cbs_sources
from ea_pipelines.defs.delivery_assets import (
    build_delivery_assets,
    build_delivery_sources,
    build_inbox_sensor,
    process_deliveries,
)
from ea_pipelines.defs.readonly_copy_asset import build_readonly_copy_asset
from ea_pipelines.defs.report_assets import build_report_asset
from ea_pipelines.defs.resources import resources_from_settings
from ea_pipelines.defs.runs import dead_run_sensor
from ea_pipelines.defs.schedules import build_nightly_job, nightly_schedule
from ea_pipelines.defs.sql_assets import build_sql_assets
from ea_pipelines.defs.swing_assets import build_swing_assets
from ea_pipelines.masking import install_logging
from ea_pipelines.quality.suites import load_checks
from ea_pipelines.settings import Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.warehouse.readonly_copy import readonly_copy_path


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    install_logging()  # every log record of a process that loads the code is masked (the Dagster event log too)
    settings = settings or Settings.from_env()
    catalogues = load_catalogues(settings)  # every catalogue from the file its setting names
    catalogue, deliveries = catalogues.cbs, catalogues.deliveries
    checks = load_checks()
    cbs_assets = [*build_cbs_assets(catalogue, checks),
                  *build_swing_assets(catalogues.swing, checks, catalogues.indicators)]
    delivery_assets = build_delivery_assets(deliveries, checks)
    cbs_keys = [a.key for a in cbs_assets]
    delivery_keys = [a.key for a in delivery_assets]
    sources = {("staging", "cbs_observation"): cbs_keys, ("staging", "cbs_region"): cbs_keys,
               ("staging", "cbs_measure"): cbs_keys, ("staging", "cbs_period"): cbs_keys,
               ("staging", "cbs_edition"): cbs_keys, ("staging", "cbs_edition_measure"): cbs_keys,
               ("meta", "load_log"): cbs_keys, ("meta", "delivery_log"): delivery_keys,
               **{("staging", a.key.path[-1]): [a.key] for a in delivery_assets}}
    sql_assets = build_sql_assets(load_project(settings.sql_dir), catalogues, sources)
    copy_path = readonly_copy_path(settings.warehouse_url, settings.duckdb_readonly_copy)
    marts_keys = [a.key for a in sql_assets if a.key.path[0] == "marts"]
    report = build_report_asset(marts_keys, settings.sql_dir)
    published = [build_readonly_copy_asset(copy_path, marts_keys)] if copy_path else []
    return dg.Definitions(
        assets=[*cbs_assets, *delivery_assets, *sql_assets, report, *published,
                *build_cbs_sources(catalogue), *build_delivery_sources(deliveries)],
        jobs=[build_nightly_job(settings.executor), process_deliveries],
        schedules=[nightly_schedule],
        sensors=[build_inbox_sensor(deliveries), dead_run_sensor],
        resources=resources_from_settings(settings, catalogues),
    )


defs = build_definitions()

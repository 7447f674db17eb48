"""Dagster entry point (see ``workspace.yaml``): everything is generated from the catalogues."""

from __future__ import annotations

import dagster as dg

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.defs.cbs_assets import build_cbs_assets
from ea_pipelines.defs.delivery_assets import build_delivery_assets, build_inbox_sensor, process_deliveries
from ea_pipelines.defs.resources import resources_from_settings
from ea_pipelines.defs.schedules import nightly_refresh, nightly_schedule
from ea_pipelines.quality.suites import load_checks
from ea_pipelines.settings import Settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    catalogue = load_cbs_catalogue(settings.catalogue_path)
    deliveries = load_delivery_catalogue(settings.delivery_catalogue_path)
    checks = load_checks()
    return dg.Definitions(
        assets=[*build_cbs_assets(catalogue, checks), *build_delivery_assets(deliveries, checks)],
        jobs=[nightly_refresh, process_deliveries],
        schedules=[nightly_schedule],
        sensors=[build_inbox_sensor(deliveries)],
        resources=resources_from_settings(settings),
    )


defs = build_definitions()

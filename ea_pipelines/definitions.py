"""Dagster entry point (see ``workspace.yaml``): everything is generated from the catalogues."""

from __future__ import annotations

import dagster as dg

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.defs.cbs_assets import build_cbs_assets
from ea_pipelines.defs.resources import resources_from_settings
from ea_pipelines.defs.schedules import nightly_refresh, nightly_schedule
from ea_pipelines.settings import Settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    catalogue = load_cbs_catalogue(settings.catalogue_path)
    return dg.Definitions(
        assets=build_cbs_assets(catalogue),
        jobs=[nightly_refresh],
        schedules=[nightly_schedule],
        resources=resources_from_settings(settings),
    )


defs = build_definitions()

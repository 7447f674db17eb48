"""The report asset takes its moment from run config; a wrong moment fails the step with the reason."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import dagster as dg

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.definitions import build_definitions
from ea_pipelines.defs.report_assets import KEY
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.defs.test_definitions import settings_for
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load


def run_report(tmp_path: Path, config: dict) -> dg.ExecuteInProcessResult:
    wh = Warehouse(f"duckdb:///{tmp_path}/ea.duckdb")
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(wh, load_catalogues(Settings()))
    load(wh, BASE)
    deliver(wh)
    build_all(wh, load_project(DEFAULT_SQL_DIR))
    wh.dispose()
    defs = build_definitions(settings_for(tmp_path))
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(run_config={"ops": {"reporting__council_report": {"config": config}}},
                                  instance=dg.DagsterInstance.ephemeral(), asset_selection=[KEY],
                                  raise_on_error=False)


def test_run_config_chooses_the_moment(tmp_path: Path) -> None:
    result = run_report(tmp_path, {"moment": "voorjaarsrapportage", "year": 2025})
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["moment"].value == "Voorjaarsrapportage 2025 (2025-01-01 - 2025-04-30)"
    # linked over HTTP, where `make dev` serves EA_REPORT_DIR (ea_pipelines/serve.py)
    url = meta["report_html"].value
    assert url.startswith("http://127.0.0.1:3001/reports/"), url
    html = tmp_path / "reports" / unquote(url.removeprefix("http://127.0.0.1:3001/reports/"))
    assert html.name == "kernindicatoren-voorjaarsrapportage-2025.html"
    assert 'data-moment="voorjaarsrapportage"' in html.read_text(encoding="utf-8")


def test_an_unknown_moment_fails_the_step(tmp_path: Path) -> None:
    result = run_report(tmp_path, {"moment": "zomerrapportage"})
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "unknown report moment 'zomerrapportage'" in str(failure.event_specific_data.error_display_string)

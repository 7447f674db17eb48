"""The report asset takes its moment from run config; a wrong moment fails the step with the reason."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import dagster as dg
import pytest

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


def test_run_config_as_of_counts_the_vintage(tmp_path: Path) -> None:
    """The known inputs reached the warehouse on 1 March 2026: known as of that day, not the day before."""
    counts = {}
    for day in ("2026-02-28", "2026-03-01"):
        result = run_report(tmp_path / day, {"moment": "najaarsrapportage", "year": 2026, "as_of": day})
        assert result.success
        meta = result.get_asset_materialization_events()[0].materialization.metadata
        assert meta["as_of"].value == day
        counts[day] = meta["vintage_rows"].value
        html = tmp_path / day / "reports" / unquote(meta["report_html"].value.removeprefix(
            "http://127.0.0.1:3001/reports/"))
        assert f'data-as-of="{day}"' in html.read_text(encoding="utf-8")
    assert counts["2026-02-28"] == 0 < counts["2026-03-01"]


@pytest.mark.parametrize("as_of", ["2999-01-01", "1 maart"])
def test_an_as_of_in_the_future_or_malformed_fails_the_step(tmp_path: Path, as_of: str) -> None:
    result = run_report(tmp_path, {"moment": "najaarsrapportage", "year": 2026, "as_of": as_of})
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert as_of.split("-")[0] in str(failure.event_specific_data.error_display_string)

"""The Dagster definitions load, and hold the assets, job, schedule and policies the issue promises."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.definitions import build_definitions
from ea_pipelines.devtools.isolated import isolated_settings
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE, Settings

ROOT = Path(__file__).resolve().parents[2]


def settings_for(tmp_path: Path, **extra: str) -> Settings:
    """Every writable location under ``tmp_path`` (ea_pipelines/devtools/isolated.py), replay, and ``extra``."""
    return isolated_settings(tmp_path, base={}, **extra)


@pytest.fixture
def defs(tmp_path: Path) -> dg.Definitions:
    return build_definitions(settings_for(tmp_path))


def served(url: str, prefix: str, folder: Path) -> Path:
    """The file behind a metadata link to the ``make dev`` file server (default EA_FILES_URL)."""
    base = f"http://127.0.0.1:3001/{prefix}/"
    assert url.startswith(base), url
    return folder / unquote(url.removeprefix(base))


def test_module_level_defs_load() -> None:
    from ea_pipelines.definitions import defs as module_defs

    assert module_defs.resolve_job_def("nightly_refresh") is not None


def test_one_asset_per_catalogue_entry(defs: dg.Definitions) -> None:
    catalogue = load_cbs_catalogue(DEFAULT_CATALOGUE)
    deliveries = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if k.path[0] in ("cbs", "deliveries")}
    assert keys == ({dg.AssetKey(["cbs", t.name]) for t in catalogue.tables}
                    | {dg.AssetKey(["deliveries", t.name]) for t in deliveries.types})
    for dtype in deliveries.types:
        node = graph.get(dg.AssetKey(["deliveries", dtype.name]))
        assert node.group_name == "deliveries" and dtype.title in node.description
    for table in catalogue.tables:
        node = graph.get(dg.AssetKey(["cbs", table.name]))
        assert node.group_name == "cbs"
        assert set(node.owners) == {"team:data-engineering"}
        assert table.table_id in node.description and table.title in node.description
        assert {"cbs", "odata"} <= set(node.kinds)


def test_job_schedule_and_retry_policy(defs: dg.Definitions) -> None:
    job = defs.resolve_job_def("nightly_refresh")
    assert job.executor_def is dg.in_process_executor
    assert {n.retry_policy.max_retries for n in job.graph.node_defs if n.name.startswith("cbs__")} == {2}
    graph = defs.resolve_asset_graph()  # every asset but the external sources (their freshness in the UI)
    assert job.asset_layer.executable_asset_keys == {k for k in graph.get_all_asset_keys() if k.path[0] != "sources"}
    schedule = defs.resolve_schedule_def("nightly_refresh_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "nightly_refresh"


def test_instance_config_enables_run_retries() -> None:
    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
    assert config["run_retries"]["enabled"] is True
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_nightly_refresh_runs_in_replay(defs: dg.Definitions, tmp_path: Path) -> None:
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    mats = {e.asset_key.path[-1]: e.step_materialization_data.materialization.metadata
            for e in result.get_asset_materialization_events() if e.asset_key.path[0] != "sources"}
    assert mats["bevolking"]["dagster/row_count"].value == 13_568
    assert mats["bevolking"]["source_mode"].value == "replay"
    assert mats["regionale_kerncijfers"]["synthetic_snapshot"].value is True
    assert mats["bevolking"]["preview"].value.startswith("| table_id   | measure_code")
    engine = sa.create_engine(f"duckdb:///{tmp_path}/ea.duckdb")
    with engine.connect() as conn:
        value = conn.execute(sa.text(
            "SELECT value FROM staging.cbs_observation WHERE region_code = 'GM0141' AND period_code = '2024JJ00' "
            "AND measure_code = 'M000352'")).scalar()
        denominator = conn.execute(sa.text(
            "SELECT denominator FROM marts.fact_indicator_value WHERE indicator_code = 'bijstand_per_10000' "
            "AND region_code = 'GM0141' AND period_code = '2024JJ00'")).scalar()
        kern = conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar()
    engine.dispose()
    assert value == 74_317
    assert denominator == 74_317  # the real 03759ned capture is the population denominator
    assert kern == 11
    report = mats["council_report"]
    # links over HTTP, where `make dev` serves EA_REPORT_DIR and EA_DATA_DOCS_DIR (ea_pipelines/serve.py)
    html = served(report["report_html"].value, "reports", tmp_path / "reports")
    assert html.parent.parent == tmp_path / "reports" and html.exists()
    assert served(report["report_pdf"].value, "reports", tmp_path / "reports").read_bytes().startswith(b"%PDF")
    assert html.read_text().count('<figure class="chart"') == report["charts"].value > 0
    assert served(report["data_docs"].value, "data-docs", tmp_path / "docs") == tmp_path / "docs" / "index.html"
    assert (tmp_path / "docs" / "index.html").exists()
    assert mats["bevolking"]["data_docs"].value == report["data_docs"].value
    # each mart's column schema carries the warehouse's own types, as DuckDB describes the relation
    for mart in ("kernindicatoren", "fact_indicator_value"):
        with engine.connect() as conn:
            described = [(r[0], r[1]) for r in conn.execute(sa.text(f"DESCRIBE marts.{mart}"))]
        schema = mats[mart]["dagster/column_schema"].value
        assert [(c.name, c.type) for c in schema.columns] == described
        assert {t for _, t in described} - {"VARCHAR"}, f"{mart}: only strings?"
    engine.dispose()
    # the kernindicatoren mart plots each indicator's latest value in the UI
    assert mats["kernindicatoren"]["latest_value/bijstand_per_10000"].value > 0
    # the analysts' read-only copy was published after the marts: marts only, same rows
    assert mats["duckdb_readonly_copy"]["path"].value == str(tmp_path / "ea_readonly.duckdb")
    copy = sa.create_engine(f"duckdb:///{tmp_path}/ea_readonly.duckdb", connect_args={"read_only": True})
    with copy.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar() == 11
        schemas = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT schema_name FROM duckdb_tables()"))}
    copy.dispose()
    assert schemas == {"marts"}


def test_the_readonly_copy_is_only_for_duckdb_and_can_be_turned_off(tmp_path: Path) -> None:
    from ea_pipelines.defs.readonly_copy_asset import READONLY_COPY_KEY

    def keys(settings: Settings) -> set[dg.AssetKey]:
        return set(build_definitions(settings).resolve_asset_graph().get_all_asset_keys())

    graph = build_definitions(settings_for(tmp_path)).resolve_asset_graph()
    assert {k.path[0] for k in graph.get(READONLY_COPY_KEY).parent_keys} == {"marts"}
    assert READONLY_COPY_KEY not in keys(settings_for(tmp_path, EA_DUCKDB_READONLY_COPY="off"))
    assert READONLY_COPY_KEY not in keys(settings_for(tmp_path, EA_WAREHOUSE_URL="postgresql+psycopg://u@h/db"))


def test_a_permanent_cbs_error_fails_without_retries(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    raw["tables"] = [raw["tables"][0]]
    raw["tables"][0]["measures"]["M999999"] = "Bestaat niet"
    catalogue.write_text(yaml.safe_dump(raw))
    defs = build_definitions(settings_for(tmp_path, EA_CBS_CATALOGUE=str(catalogue)))
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    events = result.all_events
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in events)
    failure = next(e for e in events if e.event_type_value == "STEP_FAILURE")
    assert "CbsMeasureMissing" in failure.event_specific_data.error.message + str(
        failure.event_specific_data.user_failure_data)


def test_every_asset_is_grouped_owned_and_described(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    nodes = [graph.get(k) for k in graph.get_all_asset_keys()]
    assert {n.group_name for n in nodes} == {"cbs", "kennispunt", "deliveries", "staging", "marts", "reporting",
                                             "sources"}
    undescribed = [n.key.to_user_string() for n in nodes if not n.description or not n.owners]
    assert undescribed == []
    report = graph.get(dg.AssetKey(["reporting", "council_report"]))
    assert dg.AssetKey(["marts", "kernindicatoren"]) in report.parent_keys
    assert all(k.path[0] == "marts" for k in report.parent_keys)  # the report reads the marts only


def test_sql_models_are_assets_with_lineage_and_their_tests_are_checks(defs: dg.Definitions) -> None:
    from ea_pipelines.settings import DEFAULT_SQL_DIR
    from ea_pipelines.sqlmodels.project import load_project

    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    for model in load_project(DEFAULT_SQL_DIR):
        key = dg.AssetKey([model.layer, model.name])
        assert graph.get(key).group_name == ("marts" if model.layer == "intermediate" else model.layer)
        assert all((key, t.name) in checks for t in model.tests)
    assert dg.AssetKey(["cbs", "bevolking"]) in graph.get(dg.AssetKey(["staging", "stg_cbs_value"])).parent_keys
    assert dg.AssetKey(["kennispunt", "grond_lokaal_mkb"]) in graph.get(
        dg.AssetKey(["staging", "stg_cbs_value"])).parent_keys
    assert dg.AssetKey(["deliveries", "mkb_ranking"]) in graph.get(
        dg.AssetKey(["intermediate", "int_indicator_delivery"])).parent_keys
    assert dg.AssetKey(["marts", "fact_indicator_value"]) in graph.get(
        dg.AssetKey(["marts", "kernindicatoren"])).parent_keys


def test_no_description_loses_a_placeholder_to_markdown(defs: dg.Definitions) -> None:
    """The UI renders descriptions as Markdown, where ``<EA_REPORT_DIR>`` outside a code span is an HTML tag and
    disappears ("Written to <EA_REPORT_DIR>//." showed as "Written to //.")."""
    import re

    for spec in defs.resolve_all_asset_specs():
        outside_code = re.sub(r"`[^`]*`", "", spec.description or "")
        assert not re.search(r"<[A-Za-z_][^>]*>", outside_code), (spec.key, outside_code)
    report = next(s for s in defs.resolve_all_asset_specs() if s.key.path == ["reporting", "council_report"])
    assert "`EA_REPORT_DIR/<date>/`" in report.description

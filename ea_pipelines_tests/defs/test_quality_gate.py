"""End to end: a corrupted CBS source fails the named check, is not published, and is reported everywhere."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ea_pipelines.definitions import build_definitions
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines_tests.defs.test_definitions import settings_for

BEVOLKING = dg.AssetKey(["cbs", "bevolking"])


def corrupt(table: FakeTable, defect: str) -> FakeTable:
    rows = copy.deepcopy(table.rows)
    almelo_2024 = next(i for i, r in enumerate(rows) if r["RegioS"] == "GM0141" and r["Perioden"] == "2024JJ00"
                       and r["Measure"] == "M000352")
    if defect == "negative population":
        rows[almelo_2024]["Value"] = -74317
    elif defect == "unknown region":
        rows[almelo_2024 + 2]["RegioS"] = "GM9999"
    elif defect == "duplicate key":
        rows.append({**rows[almelo_2024], "Id": 999_999, "Value": 80_000})
    # a new edition: CBS's Modified changes, so the incremental run fetches it instead of skipping
    props = json.loads(table.raw["Properties"])
    props["Modified"] = "2026-11-20T02:00:00+01:00"
    return dataclasses.replace(table, rows=rows, raw={**table.raw, "Properties": json.dumps(props).encode()})


def run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("nightly_refresh").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=[BEVOLKING], raise_on_error=False)


def almelo_2024(url: str) -> list[float]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        values = [r[0] for r in conn.execute(sa.text(
            "SELECT value FROM staging.cbs_observation WHERE table_id = '03759ned' AND measure_code = 'M000352' "
            "AND region_code = 'GM0141' AND period_code = '2024JJ00'"))]
    engine.dispose()
    return values


@pytest.mark.parametrize("defect,check,shown", [("negative population", "value_ranges", "-74317"),
                                                ("unknown region", "regions_known", "GM9999"),
                                                ("duplicate key", "key_unique", "80000")])
def test_corrupted_source_is_blocked_and_reported(fake_tables: list[FakeTable], tmp_path: Path, defect: str,
                                                  check: str, shown: str) -> None:
    capture = next(t for t in fake_tables if t.table_id == "03759ned")
    with FakeCbsServer([capture], page_size=5_000) as server:
        settings = settings_for(tmp_path, EA_SOURCE_MODE="live", EA_CBS_V4_URL=server.v4_url,
                                EA_DATA_DOCS_DIR=str(tmp_path / "docs"), EA_HTTP_MAX_ATTEMPTS="1")
        defs = build_definitions(settings)
        good = run(defs)
        assert good.success and almelo_2024(settings.warehouse_url) == [74_317.0]

        server.tables[("v4", "03759ned")] = corrupt(capture, defect)
        bad = run(defs)

    evaluations = {e.check_name: e for e in bad.get_asset_check_evaluations()}
    failing = evaluations[check]
    assert not failing.passed and failing.severity == dg.AssetCheckSeverity.ERROR
    assert shown in failing.metadata["failing_rows"].value  # the failing rows, in the UI
    assert "staging keeps load" in failing.metadata["published"].value
    assert failing.metadata["data_docs"].value == "http://127.0.0.1:3001/data-docs/index.html"  # served, not file://
    assert not any(e.asset_key == BEVOLKING for e in bad.get_asset_materialization_events())
    assert almelo_2024(settings.warehouse_url) == [74_317.0]  # the previous values stay published

    engine = sa.create_engine(settings.warehouse_url)
    with engine.connect() as conn:
        results = conn.execute(sa.text(
            "SELECT check_name, passed, failed_count, severity FROM meta.check_result WHERE run_id = :r"),
            {"r": bad.run_id}).fetchall()
        status = conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE batch_id = :r"),
                              {"r": bad.run_id}).one()
    engine.dispose()
    recorded = {r.check_name: r for r in results}
    assert recorded[check].passed is False and recorded[check].failed_count >= 1
    assert status.status == "blocked" and check in status.message

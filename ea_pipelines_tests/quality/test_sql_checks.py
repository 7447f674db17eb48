"""The CBS checks in SQL (tables above EA_GX_MAX_ROWS): same verdicts as the GX suite, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.quality import sql_checks
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.defs.test_quality_gate import corrupt


@pytest.fixture
def sql_gate(tmp_path: Path) -> QualityGate:
    """A gate that validates every table in SQL (no table is small enough for GX)."""
    return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=tmp_path / "docs",
                       gx_max_rows=0)


def observations(wh: Warehouse) -> int:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM staging.cbs_observation")).scalar()


@pytest.mark.parametrize("name", ["bevolking", "arbeidsdeelname_regionaal"])
def test_clean_tables_pass_every_check_in_sql(warehouse: Warehouse, live_source: CbsSource,
                                              catalogue: CbsCatalogue, sql_gate: QualityGate, name: str) -> None:
    report = load_cbs_table(catalogue.table(name), live_source, warehouse, batch_id="b1", gate=sql_gate)
    assert report.status == "published"
    assert [o.check for o in report.checks] == list(sql_checks.CBS_CHECKS)
    assert all(o.passed for o in report.checks), [o.failures for o in report.checks]
    # a first load has no previous row count to compare with, as in the GX suite
    assert {o.check for o in report.checks if o.evaluated == 0} == {"row_count_plausible"}


@pytest.mark.parametrize("defect,check", [("negative population", "value_ranges"),
                                          ("unknown region", "regions_known"),
                                          ("duplicate key", "key_unique")])
@pytest.mark.parametrize("partition_rows", [1_000_000, 1_000])  # 1,000: key_unique runs in 14 hash partitions
def test_a_defect_blocks_the_publish_and_keeps_the_previous_load(
        warehouse: Warehouse, cbs_server: FakeCbsServer, live_source: CbsSource, catalogue: CbsCatalogue,
        sql_gate: QualityGate, monkeypatch: pytest.MonkeyPatch, defect: str, check: str,
        partition_rows: int) -> None:
    monkeypatch.setattr(sql_checks, "PARTITION_ROWS", partition_rows)
    spec = catalogue.table("bevolking")
    good = load_cbs_table(spec, live_source, warehouse, batch_id="b1", gate=sql_gate)
    cbs_server.tables[("v4", "03759ned")] = corrupt(cbs_server.tables[("v4", "03759ned")], defect)

    bad = load_cbs_table(spec, live_source, warehouse, batch_id="b2", gate=sql_gate)

    failed = {o.check: o for o in bad.checks if not o.passed}
    assert bad.status == "blocked" and set(failed) == {check}
    assert failed[check].unexpected >= 1 and failed[check].failures
    if defect == "duplicate key":
        assert failed[check].unexpected == 2  # the two rows sharing the key
    assert observations(warehouse) == good.rows == 13_568  # rolled back: the previous load stays
    with warehouse.engine.connect() as conn:
        loads = dict(conn.execute(sa.text("SELECT batch_id, status FROM meta.load_log")).fetchall())
        recorded = conn.execute(sa.text("SELECT passed FROM meta.check_result WHERE run_id = 'b2' "
                                        "AND check_name = :c"), {"c": check}).scalar()
    assert loads == {"b1": "published", "b2": "blocked"} and recorded is False

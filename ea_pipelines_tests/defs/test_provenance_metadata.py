"""The Dagster UI tells real figures from invented ones: the nightly run in replay with the bundled example
deliveries (what `make run` does) reports each asset's provenance in its metadata and description."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from ea_pipelines.definitions import build_definitions
from ea_pipelines.provenance import EXAMPLES_DIR
from ea_pipelines_tests.defs.test_definitions import settings_for


def test_assets_show_provenance_after_a_run_with_the_examples(tmp_path: Path) -> None:
    examples = sorted(p for p in EXAMPLES_DIR.glob("*/*") if p.is_file())
    for i, example in enumerate(examples):  # under other names: recognised by content
        target = tmp_path / "inbox" / example.parent.name / f"levering_{i}{example.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example, target)
        os.utime(target, (time.time() - 120, time.time() - 120))  # settled (EA_INBOX_SETTLE_SECONDS)
    defs = build_definitions(settings_for(tmp_path))
    result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    mats = {e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
            for e in result.get_asset_materialization_events()}

    # CBS: the real 03759ned capture replayed, the other two bundled snapshots synthetic
    assert {k: m["provenance"].value for k, m in mats.items() if k.startswith("cbs/")} == {
        "cbs/bevolking": "cbs_capture", "cbs/regionale_kerncijfers": "synthetic",
        "cbs/arbeidsdeelname_regionaal": "synthetic"}
    # deliveries: every example file is illustrative, whatever its name
    deliveries = {k: m for k, m in mats.items() if k.startswith("deliveries/")}
    assert {m["files_illustrative"].value for m in deliveries.values()} == {1}
    assert all("| illustrative |" in m["files"].value for m in deliveries.values())

    # marts: counts per class equal to the table's own rows; nothing real but the population
    fact = mats["marts/fact_indicator_value"]
    engine = sa.create_engine(f"duckdb:///{tmp_path}/ea.duckdb")
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT provenance, count(*) FROM marts.fact_indicator_value "
                                           "GROUP BY provenance")).tuples().all())
    engine.dispose()
    assert set(counts) == {"cbs_capture", "synthetic", "illustrative"}
    assert {c: fact[f"provenance/{c}"].value for c in counts} == counts
    assert fact["provenance/cbs_live"].value == fact["provenance/partner"].value == 0
    assert fact["invented_rows"].value == counts["synthetic"] + counts["illustrative"]
    assert "invented" in fact["provenance_note"].value
    assert mats["marts/kernindicatoren"]["invented_rows"].value == 11
    # the programme marts too: 11 efforts and 4 contributions, all from example files
    assert mats["marts/programme_effort"]["provenance/illustrative"].value == 11
    assert mats["marts/qualitative_contribution"]["provenance/illustrative"].value == 4

    # the report: no kernindicator is judged on invented figures, and the banner text is in the metadata
    report = mats["reporting/council_report"]
    assert report["kern_behaald"].value == report["kern_niet_behaald"].value == 0
    assert report["kern_niet_beoordeeld"].value > 0
    assert report["provenance/cbs_capture"].value >= 1  # bevolking
    assert report["provenance/cbs_live"].value == report["provenance/partner"].value == 0
    assert report["invented_indicators"].value == (report["provenance/synthetic"].value
                                                   + report["provenance/illustrative"].value) > 0
    assert report["voorbeeldcijfers"].value.startswith("Let op: dit rapport bevat voorbeeldcijfers")

    graph = defs.resolve_asset_graph()
    for key in (["marts", "fact_indicator_value"], ["marts", "kernindicatoren"], ["reporting", "council_report"],
                ["cbs", "bevolking"], ["deliveries", "mkb_ranking"]):
        description = graph.get(dg.AssetKey(key)).description
        assert "illustrative" in description or "synthetic" in description, key

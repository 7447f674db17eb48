"""Dagster freshness policies per source, from the catalogues' frequency (ea_pipelines/defs/freshness.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.catalogue.frequency import due_window
from ea_pipelines.definitions import build_definitions
from ea_pipelines.defs.freshness import source_key
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines_tests.defs.test_definitions import settings_for

BEVOLKING = dg.AssetKey(["cbs", "bevolking"])


def test_each_source_has_the_policy_of_its_frequency(tmp_path: Path) -> None:
    graph = build_definitions(settings_for(tmp_path)).resolve_asset_graph()
    sources = [("cbs", t.name, t.frequency) for t in load_cbs_catalogue(DEFAULT_CATALOGUE).tables]
    sources += [("deliveries", t.name, t.frequency) for t in load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).types]
    with_policy = 0
    for kind, name, frequency in sources:
        node = graph.get(source_key(kind, name))
        assert not node.is_materializable  # an external asset: the loading asset reports its new versions
        window = due_window(frequency)
        if window is None:
            assert node.freshness_policy is None
            continue
        with_policy += 1
        assert node.freshness_policy == dg.FreshnessPolicy.time_window(fail_window=window.fail,
                                                                       warn_window=window.warn)
    assert with_policy >= len(load_cbs_catalogue(DEFAULT_CATALOGUE).tables) + 1


def test_a_source_materialises_only_when_it_brought_new_data(tmp_path: Path) -> None:
    """The CBS asset materialises every run; its source only when the load published new data."""
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_job_def("nightly_refresh")
    instance = dg.DagsterInstance.ephemeral()
    source = source_key("cbs", "bevolking")
    runs = [job.execute_in_process(instance=instance, asset_selection=[BEVOLKING]) for _ in range(2)]
    assert all(r.success for r in runs)
    records = instance.fetch_materializations(source, limit=10).records
    assert [r.run_id for r in records] == [runs[0].run_id]
    meta = records[0].asset_materialization.metadata
    assert meta["source_mode"].value == "replay" and meta["rows"].value == 13_568
    assert len(instance.fetch_materializations(BEVOLKING, limit=10).records) == 2

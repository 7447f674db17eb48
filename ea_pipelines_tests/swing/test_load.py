"""Swing ODS variables through the shared loader into both warehouses: synthetic replay, live over HTTP, the
snapshot policy, and the unchanged rule."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.swing import SwingCatalogue
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.swing.conftest import PERIODS, live_source, swing_source


def log_rows(wh: Warehouse) -> list[tuple]:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT source, table_id, status, mode, provenance, synthetic FROM meta.load_log "
                                    "ORDER BY started_at")).fetchall()


def values(wh: Warehouse, code: str) -> dict[tuple[str, str], float | None]:
    with wh.engine.connect() as conn:
        return {(r, p): v for r, p, v in conn.execute(sa.text(
            "SELECT region_code, period_code, value FROM staging.cbs_observation WHERE table_id = :t"), {"t": code})}


@pytest.mark.parametrize("root", ["jiveservices/odata", "ods/odata"])
def test_replay_publishes_the_synthetic_snapshot_as_synthetic(wh: Warehouse, swing_catalogue: SwingCatalogue,
                                                              tmp_path: Path, root: str) -> None:
    # replay makes no request: an ODS 2.0 root needs no key for it, and the snapshots' page links resolve
    source = swing_source("replay", f"https://unused.invalid/{root}", tmp_path, swing_catalogue)
    for var in swing_catalogue.variables:
        report = load_cbs_table(var.table(), source, wh, batch_id="b1")
        assert report.status == "published" and report.mode == "replay" and report.synthetic
        assert "SYNTHETIC" in report.note and "not Kennispunt Twente figures" in report.note
    again = load_cbs_table(swing_catalogue.variables[0].table(), source, wh, batch_id="b2")
    assert again.status == "unchanged"  # same responses, same content hash: nothing published twice
    rows = log_rows(wh)
    assert {r[0] for r in rows} == {"swing"} and {r[4] for r in rows} == {"synthetic"} and all(r[5] for r in rows)


def test_live_publishes_over_http_as_swing_live_and_a_snapshot_never_replaces_it(
        wh: Warehouse, ods: FakeSwingServer, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variable("grond_lokaal_mkb")
    live = load_cbs_table(var.table(), live_source(ods, tmp_path, swing_catalogue), wh,
                          batch_id="b1")
    assert live.status == "published" and live.requests > 3 and live.rows == len(TWENTE) * len(PERIODS)
    got = values(wh, var.variable)
    assert got[("GM0164", "2023JJ00")] == (164 + 2023) / 100 and got[("GM0141", "2022JJ00")] is None  # '?'
    replay = swing_source("replay", "https://unused.invalid/jiveservices/odata", tmp_path, swing_catalogue)
    kept = load_cbs_table(var.table(), replay, wh, batch_id="b2")
    assert kept.status == "kept" and "fetched live from the Swing Open Data Service" in kept.note
    assert values(wh, var.variable) == got
    assert [r[2:5] for r in log_rows(wh)] == [("published", "live", "swing_live"), ("kept", "replay", None)]


def test_an_unchanged_last_update_skips_the_fetch_and_a_changed_one_fetches(
        wh: Warehouse, ods: FakeSwingServer, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variable("grond_lokaal_mkb")
    fake = ods.variables[var.variable]
    fake.last_update = "2026-10-01T09:30:00"
    source = live_source(ods, tmp_path, swing_catalogue)
    first = load_cbs_table(var.table(), source, wh, batch_id="b1")
    assert first.status == "published" and first.source_modified == "2026-10-01T09:30:00"
    published = values(wh, var.variable)

    fake.values[("GM0153", "2023")] = "99.5"  # changed upstream, but LastUpdate says it was not
    before = len(ods.requests)
    second = load_cbs_table(var.table(), source, wh, batch_id="b2")
    asked = [unquote(r) for r in ods.requests[before:]]
    assert second.status == "unchanged" and second.skipped and second.rows == first.rows
    assert asked == [f"{ods.ods_root}/Variables('{var.variable}')"]  # one metadata request: no Values, no codes
    assert "Swing LastUpdate 2026-10-01T09:30:00" in second.note
    assert values(wh, var.variable) == published  # nothing republished

    fake.last_update = "2026-11-15T08:00:00"
    before = len(ods.requests)
    third = load_cbs_table(var.table(), source, wh, batch_id="b3")
    assert third.status == "published" and any("/Values" in r for r in ods.requests[before:])
    assert values(wh, var.variable)[("GM0153", "2023JJ00")] == 99.5
    assert [r[2] for r in log_rows(wh)] == ["published", "unchanged", "published"]


def test_without_last_update_every_run_fetches_and_identical_data_stays_unchanged(
        wh: Warehouse, ods: FakeSwingServer, swing_catalogue: SwingCatalogue, tmp_path: Path) -> None:
    var = swing_catalogue.variable("grond_lokaal_mkb")
    assert ods.variables[var.variable].last_update is None
    source = live_source(ods, tmp_path, swing_catalogue)
    first = load_cbs_table(var.table(), source, wh, batch_id="b1")
    before = len(ods.requests)
    second = load_cbs_table(var.table(), source, wh, batch_id="b2")
    assert first.status == "published" and first.source_modified is None
    assert second.status == "unchanged" and second.skipped is None  # fetched in full, found identical
    assert any("/Values" in r for r in ods.requests[before:])
    ods.variables[var.variable].values[("GM0153", "2023")] = "99.5"
    assert load_cbs_table(var.table(), source, wh, batch_id="b3").status == "published"
    assert values(wh, var.variable)[("GM0153", "2023JJ00")] == 99.5

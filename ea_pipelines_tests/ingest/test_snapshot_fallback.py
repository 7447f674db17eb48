"""A bundled snapshot never goes backwards over a published version (issue 13, the fallback defect).

Over real HTTP against the fake CBS server, on DuckDB and PostgreSQL: a table published live, then nights on
which CBS refuses connections (``auto`` falls back to the snapshot) or answers 5xx, or an explicit replay.
The live value stays; the load says ``kept`` (or ``failed``) and the table is stale. A first run with an
empty warehouse still publishes the snapshot.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.errors import CbsTransientError
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, Fault
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST

LIVE_MODIFIED = "2026-11-01T00:00:00+01:00"


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/odata/v1/CBS"


@pytest.fixture
def gate() -> QualityGate:
    return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=Path("/nonexistent"),
                       gx_max_rows=0, today=dt.date(2026, 11, 30))  # validated in SQL: no Data Docs


def serve_live(server: FakeCbsServer, api: str, table_id: str, where: dict[str, str], measure: str,
               value: float, modified: str = LIVE_MODIFIED) -> None:
    """Serve ``value`` for one observation of ``table_id`` and a new ``Modified`` (a newer CBS version)."""
    table = server.tables[(api, table_id)]
    rows = copy.deepcopy(table.rows)
    hits = 0
    for row in rows:
        if all(str(row[k]).strip() == v for k, v in where.items()):
            if api == "v4" and row["Measure"] == measure:
                row["Value"], hits = value, hits + 1
            elif api == "v3":
                row[measure], hits = value, hits + 1
    assert hits == 1, f"{hits} rows match {where} {measure}"
    entities, raw = dict(table.entities), dict(table.raw)
    if api == "v4":
        props = json.loads(raw.pop("Properties")) if "Properties" in raw else copy.deepcopy(entities["Properties"])
        entities["Properties"] = {**props, "Modified": modified}
    else:
        infos = copy.deepcopy(entities["TableInfos"])
        infos["value"][0]["Modified"] = modified
        entities["TableInfos"] = infos
    server.tables[(api, table_id)] = dataclasses.replace(table, rows=rows, entities=entities, raw=raw)


def value(wh: Warehouse, table_id: str, measure: str, region: str, period: str,
          other: str | None = None) -> float | None:
    sql = ("SELECT value FROM staging.cbs_observation WHERE table_id = :t AND measure_code = :m "
           "AND region_code = :r AND period_code = :p" + (" AND other_dimensions = :o" if other else ""))
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(sql), {"t": table_id, "m": measure, "r": region, "p": period, "o": other}).scalar()


def loads(wh: Warehouse, table_id: str) -> list[sa.Row]:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT load_id, status, mode, rows, content_hash, message, source_modified, synthetic "
            "FROM meta.load_log WHERE table_id = :t ORDER BY started_at"), {"t": table_id}).fetchall()


def published_load_ids(wh: Warehouse, table_id: str) -> set[str]:
    """The load ids of every staging row of the table (observations, measures, regions, periods)."""
    out: set[str] = set()
    with wh.engine.connect() as conn:
        for table in ("cbs_observation", "cbs_measure", "cbs_region", "cbs_period"):
            out |= {r[0] for r in conn.execute(sa.text(f"SELECT DISTINCT load_id FROM staging.{table} "
                                                       "WHERE table_id = :t"), {"t": table_id})}
    return out


# Almelo (GM0141) 2024 served live as 74,999 (the bundled real capture has 74,317), and for the two tables with
# synthetic snapshots a value no snapshot has; each with the Modified 2026-11-01.
LIVE_CASES = {
    "bevolking": ({"RegioS": "GM0141", "Perioden": "2024JJ00"}, "M000352", 74_999.0, 74_317.0, None),
    "regionale_kerncijfers": ({"RegioS": "GM0141", "Perioden": "2024JJ00"}, "90210_3", 3_333.0, None, None),
    "arbeidsdeelname_regionaal": ({"RegioS": "GM0141", "Perioden": "2024JJ00", "Geslacht": "T001038"},
                                  "WerkzameBeroepsbevolking_2", 42.4, None, '{"Geslacht": "T001038"}'),
}


@pytest.mark.parametrize("name", list(LIVE_CASES))
def test_unreachable_nights_keep_the_live_version(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                                  live_source: CbsSource, catalogue: CbsCatalogue, gate: QualityGate,
                                                  dead_url: str, tmp_path: Path, name: str) -> None:
    spec = catalogue.table(name)
    where, measure, live_value, _, other = LIVE_CASES[name]
    serve_live(cbs_server, spec.api, spec.table_id, where, measure, live_value)
    live = load_cbs_table(spec, live_source, warehouse, batch_id="night-0", gate=gate)
    assert (live.status, live.mode, live.source_modified) == ("published", "live", LIVE_MODIFIED)
    assert value(warehouse, spec.table_id, measure, "GM0141", "2024JJ00", other) == live_value
    with warehouse.engine.connect() as conn:  # a live fetch is taken from the source when it runs
        captured, finished = conn.execute(sa.text("SELECT captured_at, finished_at FROM meta.load_log "
                                                  "WHERE load_id = :l"), {"l": live.load_id}).one()
    assert captured == finished is not None

    offline = CbsSource("auto", dead_url, dead_url.replace("/odata/v1/CBS", "/ODataFeed/odata"),
                        DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)
    for night in (1, 2, 3):
        kept = load_cbs_table(spec, offline, warehouse, batch_id=f"night-{night}", gate=gate)
        assert (kept.status, kept.mode, kept.previous_load, kept.stale) == ("kept", "fallback", live.load_id, True)
        assert kept.rows == live.rows and kept.source_modified == LIVE_MODIFIED
        assert value(warehouse, spec.table_id, measure, "GM0141", "2024JJ00", other) == live_value
        assert published_load_ids(warehouse, spec.table_id) == {live.load_id}
        checks = {o.check: o for o in kept.checks}
        assert not checks["fresh"].passed and checks["fresh"].severity == "WARN"
        assert checks["fresh"].failures[0].startswith("stale: not refreshed: CBS unreachable")
        assert all(o.passed and "carried over from load " + live.load_id in o.failures[-1]
                   for n, o in checks.items() if n != "fresh")

    log = loads(warehouse, spec.table_id)
    assert [(r.status, r.mode) for r in log] == [("published", "live")] + [("kept", "fallback")] * 3
    for row in log[1:]:
        assert row.message.startswith("CBS unreachable (") and "connection refused" in row.message
        assert f"kept the published version (load {live.load_id}, source mode live" in row.message
        assert "the published version was fetched live from CBS" in row.message
        assert row.source_modified == LIVE_MODIFIED and row.synthetic is False
        assert (row.rows, row.content_hash) == (log[0].rows, log[0].content_hash)
    with warehouse.engine.connect() as conn:
        fresh = conn.execute(sa.text("SELECT passed, details FROM meta.check_result WHERE load_id = :l "
                                     "AND check_name = 'fresh'"), {"l": log[-1].load_id}).one()
    assert not fresh.passed and "stale: not refreshed: CBS unreachable" in fresh.details


def test_back_online_after_unreachable_nights_skips_as_unchanged(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                                                 live_source: CbsSource, catalogue: CbsCatalogue,
                                                                 gate: QualityGate, dead_url: str,
                                                                 tmp_path: Path) -> None:
    """The kept nights leave the incremental state alone: back online, the same Modified is a metadata-only run."""
    spec = catalogue.table("bevolking")
    serve_live(cbs_server, "v4", "03759ned", {"RegioS": "GM0141", "Perioden": "2024JJ00"}, "M000352", 74_999.0)
    live = load_cbs_table(spec, live_source, warehouse, batch_id="n0", gate=gate)
    offline = CbsSource("auto", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)
    assert load_cbs_table(spec, offline, warehouse, batch_id="n1", gate=gate).status == "kept"

    back = load_cbs_table(spec, live_source, warehouse, batch_id="n2", gate=gate)

    assert (back.status, back.mode, back.previous_load) == ("unchanged", "live", live.load_id) and back.skipped
    assert all(o.passed for o in back.checks)  # fresh again: the table was refreshed (nothing changed)
    assert value(warehouse, "03759ned", "M000352", "GM0141", "2024JJ00") == 74_999.0


@pytest.mark.parametrize("where", ["/Properties$", "/Observations$"])
def test_a_5xx_burst_keeps_the_live_version(warehouse: Warehouse, cbs_server: FakeCbsServer,
                                            live_source: CbsSource, catalogue: CbsCatalogue, gate: QualityGate,
                                            tmp_path: Path, where: str) -> None:
    """5xx is a server answering badly: no fallback in ``auto``, the load fails, nothing is replaced."""
    spec = catalogue.table("bevolking")
    serve_live(cbs_server, "v4", "03759ned", {"RegioS": "GM0141", "Perioden": "2024JJ00"}, "M000352", 74_999.0)
    live = load_cbs_table(spec, live_source, warehouse, batch_id="n0", gate=gate)
    # a newer version announced, so that the second load goes on to the observations
    serve_live(cbs_server, "v4", "03759ned", {"RegioS": "GM0141", "Perioden": "2024JJ00"}, "M000352", 75_111.0,
               modified="2026-11-20T00:00:00+01:00")
    cbs_server.inject(where, *[Fault("status", 503)] * FAST.max_attempts)
    auto = CbsSource("auto", cbs_server.v4_url, cbs_server.v3_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "l2", FAST)

    with pytest.raises(CbsTransientError):
        load_cbs_table(spec, auto, warehouse, batch_id="n1", gate=gate)

    assert value(warehouse, "03759ned", "M000352", "GM0141", "2024JJ00") == 74_999.0
    assert published_load_ids(warehouse, "03759ned") == {live.load_id}
    last = loads(warehouse, "03759ned")[-1]
    assert last.status == "failed" and "503" in last.message
    assert last.message.endswith(f"the published version (load {live.load_id}) stays published")


@pytest.mark.parametrize("name", ["bevolking", "regionale_kerncijfers", "arbeidsdeelname_regionaal"])
def test_a_first_run_publishes_the_snapshot(warehouse: Warehouse, catalogue: CbsCatalogue, gate: QualityGate,
                                            dead_url: str, tmp_path: Path, name: str) -> None:
    """Replay-only, and auto with no route to CBS: an empty table is filled from the snapshot."""
    spec = catalogue.table(name)
    replay = CbsSource("replay", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)
    first = load_cbs_table(spec, replay, warehouse, batch_id="r1", gate=gate)
    synthetic = spec.table_id != "03759ned"
    assert (first.status, first.mode, first.synthetic) == ("published", "replay", synthetic)
    assert all(o.passed for o in first.checks)
    row = loads(warehouse, spec.table_id)[-1]
    assert (row.status, row.synthetic) == ("published", synthetic)
    if name == "bevolking":
        assert value(warehouse, "03759ned", "M000352", "GM0141", "2024JJ00") == 74_317.0  # the real capture
    # the data is of the capture's date (its manifest's captured_at), not of tonight's replay; synthetic: none
    manifest = json.loads((DEFAULT_SNAPSHOT_DIR / spec.table_id / "manifest.json").read_text(encoding="utf-8"))
    with warehouse.engine.connect() as conn:
        captured, finished = conn.execute(sa.text("SELECT captured_at, finished_at FROM meta.load_log "
                                                  "WHERE load_id = :l"), {"l": row.load_id}).one()
    if synthetic:
        assert "captured_at" not in manifest and captured is None
    else:
        assert captured == dt.datetime.fromisoformat(manifest["captured_at"]).replace(tzinfo=None)
        assert captured.date() == dt.date(2026, 7, 2) and finished.date() != captured.date()
    # a second replay night: the same snapshot, nothing to refuse and nothing to fetch again
    assert load_cbs_table(spec, replay, warehouse, batch_id="r2", gate=gate).status == "unchanged"


def test_auto_fills_an_empty_table_from_the_snapshot(warehouse: Warehouse, catalogue: CbsCatalogue,
                                                     gate: QualityGate, dead_url: str, tmp_path: Path) -> None:
    auto = CbsSource("auto", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)
    first = load_cbs_table(catalogue.table("bevolking"), auto, warehouse, batch_id="a1", gate=gate)
    assert (first.status, first.mode) == ("published", "fallback") and "connection refused" in first.note
    assert value(warehouse, "03759ned", "M000352", "GM0141", "2024JJ00") == 74_317.0


def test_replay_over_a_live_version_is_refused_unless_replace_published(
        warehouse: Warehouse, cbs_server: FakeCbsServer, live_source: CbsSource, catalogue: CbsCatalogue,
        gate: QualityGate, dead_url: str, tmp_path: Path) -> None:
    spec = catalogue.table("bevolking")
    serve_live(cbs_server, "v4", "03759ned", {"RegioS": "GM0141", "Perioden": "2024JJ00"}, "M000352", 74_999.0)
    live = load_cbs_table(spec, live_source, warehouse, batch_id="n0", gate=gate)
    replay = CbsSource("replay", dead_url, dead_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)

    kept = load_cbs_table(spec, replay, warehouse, batch_id="n1", gate=gate)

    assert (kept.status, kept.mode, kept.previous_load) == ("kept", "replay", live.load_id)
    assert kept.note.startswith(f"replay: kept the published version (load {live.load_id}, source mode live")
    assert "replace_published" in kept.note
    assert value(warehouse, "03759ned", "M000352", "GM0141", "2024JJ00") == 74_999.0

    forced = load_cbs_table(spec, replay, warehouse, batch_id="n2", gate=gate, replace_published=True)

    assert (forced.status, forced.mode) == ("published", "replay")
    assert value(warehouse, "03759ned", "M000352", "GM0141", "2024JJ00") == 74_317.0

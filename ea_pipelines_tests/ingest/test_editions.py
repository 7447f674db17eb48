"""Loading a table with editions (issue 13, item 2), on DuckDB and PostgreSQL: each edition is loaded as its own
table, the older discontinued ones with a warning naming their successor; the marts take each period from
the newest edition that has it and never mix editions within a period; offline, editions without a
snapshot are skipped and said so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.cbs import CbsTable, load_cbs_catalogue
from ea_pipelines.cbs.errors import CbsTableDiscontinued
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.devtools.shapes import MEASURES
from ea_pipelines.devtools.synthetic_editions import SyntheticEdition, edition_entry, edition_table
from ea_pipelines.ingest.cbs_editions import load_cbs_entry
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_SNAPSHOT_DIR, DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build, relations, run_tests
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST

A = SyntheticEdition("95001NED", 2022, (2021, 2022), 100_000, "Gediscontinueerd")
B = SyntheticEdition("95002NED", 2023, (2021, 2022, 2023), 200_000, "Gediscontinueerd")
C = SyntheticEdition("95003NED", 2024, (2022, 2023, 2024), 300_000)
COUNT = MEASURES[0][1]  # the v3 key of the count measure, which carries each edition's offset


def entry(tmp_path: Path, **extra: object) -> CbsTable:
    programme = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))["programme"]
    path = tmp_path / "cbs_tables.yaml"
    path.write_text(yaml.safe_dump({"programme": programme,
                                    "tables": [edition_entry("v3", A.table_id, **extra)]}), encoding="utf-8")
    return load_cbs_catalogue(path).tables[0]


@pytest.fixture
def gate() -> QualityGate:
    return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=Path("/nonexistent"),
                       gx_max_rows=0, today=dt.date(2026, 11, 30))


def edition_rows(wh: Warehouse) -> dict[str, set[str]]:
    """Per table id in staging.cbs_observation: its periods."""
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT DISTINCT table_id, period_code FROM staging.cbs_observation")).fetchall()
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r.table_id, set()).add(r.period_code)
    return out


def build_edition_rule(wh: Warehouse) -> list[sa.Row]:
    """Build stg_cbs_value and stg_cbs_edition_value (with their tests) and return the latter's rows."""
    models = {m.name: m for m in load_project(DEFAULT_SQL_DIR)}
    rels = relations(list(models.values()))
    for name in ("stg_cbs_value", "stg_cbs_edition_value"):
        build(wh, models[name], rels)
        failed = [t.name for t in run_tests(wh, models[name], rels) if not t.passed]
        assert not failed, (name, failed)
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(
            f"SELECT table_id, edition_table_id, measure_code, region_code, period_code, value "
            f"FROM {rels['stg_cbs_edition_value']}")).fetchall()


def test_each_edition_is_its_own_table_and_each_period_comes_from_the_newest_that_has_it(
        wh: Warehouse, gate: QualityGate, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = entry(tmp_path, successors=[B.table_id, C.table_id])
    with FakeCbsServer([edition_table("v3", e) for e in (A, B, C)]) as server, caplog.at_level(logging.WARNING):
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path / "snap", tmp_path / "landing", FAST)
        report = load_cbs_entry(spec, source, wh, batch_id="run-1", gate=gate)
    assert not report.failed and not report.skipped
    assert [(r.table_id, r.status, r.mode) for r in report.reports] == [
        (A.table_id, "published", "live"), (B.table_id, "published", "live"), (C.table_id, "published", "live")]
    assert all(o.passed for o in report.checks), [o.check for o in report.checks if not o.passed]
    # the configured table is discontinued: said, with its successor; the older editions load with a warning
    assert any(f"{A.table_id} is 'Gediscontinueerd' at CBS; its successor is {B.table_id}" in w
               for w in report.warnings)
    assert f"{A.table_id}: CBS reports this edition as 'Gediscontinueerd'; its successor is {B.table_id}" \
        in caplog.text
    # kept apart in the warehouse: each edition under its own table id, with its own periods
    assert edition_rows(wh) == {A.table_id: {"2021JJ00", "2022JJ00"},
                                B.table_id: {"2021JJ00", "2022JJ00", "2023JJ00"},
                                C.table_id: {"2022JJ00", "2023JJ00", "2024JJ00"}}
    with wh.engine.connect() as conn:
        recorded = conn.execute(sa.text("SELECT table_id, edition_table_id, edition_rank, status "
                                        "FROM staging.cbs_edition ORDER BY edition_rank")).fetchall()
        logged = {r.table_id for r in conn.execute(sa.text(
            "SELECT table_id FROM meta.load_log WHERE status = 'published'"))}
    assert [tuple(r) for r in recorded] == [(A.table_id, A.table_id, 1, "Gediscontinueerd"),
                                            (A.table_id, B.table_id, 2, "Gediscontinueerd"),
                                            (A.table_id, C.table_id, 3, "Regulier")]
    assert logged == {A.table_id, B.table_id, C.table_id}
    # the rule: per period, every row from the newest edition that has the period; never mixed
    rows = build_edition_rule(wh)
    by_period: dict[str, set[str]] = {}
    for r in rows:
        assert r.table_id == A.table_id  # under the entry's table id, as indicators.yaml names it
        by_period.setdefault(r.period_code, set()).add(r.edition_table_id)
    assert by_period == {"2021JJ00": {B.table_id}, "2022JJ00": {C.table_id}, "2023JJ00": {C.table_id},
                         "2024JJ00": {C.table_id}}
    # each period whole from its one edition: every fetched region (GM, PV, NL) x both measures
    per_period: dict[str, int] = {}
    for r in rows:
        per_period[r.period_code] = per_period.get(r.period_code, 0) + 1
    assert per_period == {p: 5 * len(MEASURES) for p in by_period}
    counts = {(r.period_code, r.region_code): r.value for r in rows if r.measure_code == COUNT}
    offsets = {A.table_id: A.offset, B.table_id: B.offset, C.table_id: C.offset}
    assert all(value >= offsets[next(iter(by_period[period]))] for (period, _), value in counts.items())
    assert all(value < offsets[next(iter(by_period[period]))] + 100_000 for (period, _), value in counts.items())


def test_a_discontinued_table_without_a_successor_still_fails_naming_the_entry(wh: Warehouse, gate: QualityGate,
                                                                                tmp_path: Path) -> None:
    spec = entry(tmp_path, successors=[B.table_id])
    with FakeCbsServer([edition_table("v3", e) for e in (A, B)]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path / "snap", tmp_path / "landing", FAST)
        report = load_cbs_entry(spec, source, wh, batch_id="run-1", gate=gate)
    # A has B as successor and loads; B is the newest and discontinued: refused, and the entry says why
    assert [r.table_id for r in report.reports] == [A.table_id]
    assert isinstance(report.failed[B.table_id], CbsTableDiscontinued)
    assert "find its successor" in str(report.failed[B.table_id])
    assert any(w.startswith(f"the newest known edition {B.table_id} is 'Gediscontinueerd'") for w in report.warnings)
    assert edition_rows(wh) == {A.table_id: {"2021JJ00", "2022JJ00"}}


def test_a_new_version_of_an_edition_moves_a_period_to_it_whole(wh: Warehouse, gate: QualityGate,
                                                                 tmp_path: Path) -> None:
    spec = entry(tmp_path, successors=[B.table_id, C.table_id])
    first_c = dataclasses.replace(C, years=(2023, 2024))
    with FakeCbsServer([edition_table("v3", e) for e in (A, B, first_c)]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path / "snap", tmp_path / "landing", FAST)
        load_cbs_entry(spec, source, wh, batch_id="run-1", gate=gate)
        before = {r.period_code: r.edition_table_id for r in build_edition_rule(wh)}
        # a new version of C adds 2022: from then on 2022 comes from C, whole
        newer = edition_table("v3", C)
        newer.entities["TableInfos"]["value"][0]["Modified"] = "2026-11-15T02:00:00"
        server.tables[("v3", C.table_id)] = newer
        second = load_cbs_entry(spec, source, wh, batch_id="run-2", gate=gate)
    assert before == {"2021JJ00": B.table_id, "2022JJ00": B.table_id, "2023JJ00": C.table_id,
                      "2024JJ00": C.table_id}
    assert [(r.table_id, r.status) for r in second.reports] == [
        (A.table_id, "unchanged"), (B.table_id, "unchanged"), (C.table_id, "published")]
    by_period: dict[str, set[str]] = {}
    for r in build_edition_rule(wh):
        by_period.setdefault(r.period_code, set()).add(r.edition_table_id)
    assert by_period == {"2021JJ00": {B.table_id}, "2022JJ00": {C.table_id}, "2023JJ00": {C.table_id},
                         "2024JJ00": {C.table_id}}


def test_offline_the_editions_without_a_snapshot_are_skipped_and_said_so(wh: Warehouse, gate: QualityGate,
                                                                         tmp_path: Path) -> None:
    spec = load_cbs_catalogue(DEFAULT_CATALOGUE).table("arbeidsdeelname_regionaal")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        root = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens: replay must not need it
    source = CbsSource("replay", root + "/odata/v1/CBS", root + "/ODataFeed/odata", DEFAULT_SNAPSHOT_DIR,
                       tmp_path / "landing", FAST)
    report = load_cbs_entry(spec, source, wh, batch_id="run-1", gate=gate)
    assert [(r.table_id, r.status, r.mode) for r in report.reports] == [("85969NED", "published", "replay")]
    assert set(report.skipped) == {"86111NED", "86276NED"}
    assert "no bundled snapshot of edition 86276NED" in report.skipped["86276NED"]
    assert list(report.summary().edition) == ["85969NED", "86111NED", "86276NED"]
    with wh.engine.connect() as conn:
        recorded = conn.execute(sa.text("SELECT edition_table_id, edition_rank, origin FROM staging.cbs_edition "
                                        "WHERE table_id = '85969NED' ORDER BY edition_rank")).fetchall()
    assert [(r.edition_table_id, r.edition_rank) for r in recorded] == [("85969NED", 1), ("86111NED", 2),
                                                                       ("86276NED", 3)]
    assert recorded[0].origin.startswith("snapshot manifest")

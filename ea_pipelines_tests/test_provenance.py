"""Provenance classes: the order, the SQL tag, and how loads and deliveries get their class (on DuckDB and
PostgreSQL): synthetic snapshots by their manifest, example deliveries by their bytes, never by file name."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, load_delivery_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.deliveries.inbox import Folders
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.ingest.delivery_file import process_file
from ea_pipelines.provenance import (
    EXAMPLES_DIR,
    ProvenanceError,
    cbs_provenance,
    delivery_provenance,
    weakest,
    weakest_sql,
)
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SNAPSHOT_DIR
from ea_pipelines.sqlmodels.project import render
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST

EXAMPLES = sorted(p for p in EXAMPLES_DIR.rglob("*") if p.is_file())
#: hand-written: (parts, weakest)
WEAKEST_CASES = [
    (("cbs_live",), "cbs_live"),
    (("cbs_live", "partner"), "partner"),
    (("partner", "cbs_capture"), "cbs_capture"),
    (("cbs_capture", "synthetic"), "synthetic"),
    (("synthetic", "illustrative"), "illustrative"),
    (("cbs_live", "synthetic", "partner"), "synthetic"),
    (("illustrative", "cbs_live"), "illustrative"),
]


def sql_value(expression: str) -> object:
    with duckdb.connect() as conn:
        return conn.execute(f"select {expression}").fetchone()[0]


@pytest.mark.parametrize(("parts", "want"), WEAKEST_CASES)
def test_weakest_in_python_and_in_sql(parts: tuple[str, ...], want: str) -> None:
    assert weakest(*parts) == want
    literals = [f"'{p}'" for p in parts]
    assert sql_value(weakest_sql(*literals)) == want


def test_unknown_or_missing_parts() -> None:
    assert weakest(None, "partner") == "partner" and weakest() is None
    with pytest.raises(ProvenanceError, match="unknown provenance class 'real'"):
        weakest("real", "cbs_live")
    # in SQL a missing or unknown part gives NULL: the models' not_null tests then fail loudly
    assert sql_value(weakest_sql("NULL", "'cbs_live'")) is None
    assert sql_value(weakest_sql("'real'", "'cbs_live'")) is None


def test_the_sql_tag_renders_to_the_expression() -> None:
    sql = render("select {{ weakest('a.provenance', 'b.provenance') }} as p from {{ ref('x') }} a", {"x": "m.x"})
    assert sql == f"select {weakest_sql('a.provenance', 'b.provenance')} as p from m.x a"


def test_cbs_class_from_mode_and_manifest() -> None:
    assert [cbs_provenance("live", False), cbs_provenance("replay", False), cbs_provenance("fallback", False),
            cbs_provenance("replay", True), cbs_provenance("fallback", True)] == [
        "cbs_live", "cbs_capture", "cbs_capture", "synthetic", "synthetic"]


@pytest.fixture(scope="module")
def deliveries() -> DeliveryCatalogue:
    return load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)


def test_there_are_examples_to_recognise() -> None:
    assert {p.parent.name for p in EXAMPLES} >= {"kennispunt_twente", "mkb_ranking", "uwv_spanningsindicator",
                                                "ikbindr_labels", "twents_fonds_vouchers"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
@pytest.mark.parametrize("rename", [False, True], ids=["own name", "renamed"])
def test_example_files_are_illustrative_by_content_under_any_name(
        warehouse: Warehouse, deliveries: DeliveryCatalogue, tmp_path: Path, example: Path, rename: bool) -> None:
    warehouse.ensure_schema(deliveries)
    folders = Folders(tmp_path / "inbox", tmp_path / "archive", tmp_path / "quarantine")
    name = f"levering Kennispunt 2025 (definitief){example.suffix}" if rename else example.name
    target = folders.inbox_for(example.parent.name) / name
    target.parent.mkdir(parents=True)
    shutil.copyfile(example, target)
    out = process_file(deliveries.get(example.parent.name), name, folders, warehouse, RegionIndex.from_code_list(),
                       today=dt.date(2026, 11, 26))
    assert out.status == "accepted", out.reason
    with warehouse.engine.connect() as conn:
        got = conn.execute(sa.text("SELECT provenance FROM meta.delivery_log WHERE load_id = :l"),
                           {"l": out.load_id}).scalar()
    assert got == "illustrative"


@pytest.mark.parametrize("example", [p for p in EXAMPLES if p.suffix == ".csv"], ids=lambda p: p.name)
def test_a_changed_example_is_a_partner_file(example: Path) -> None:
    """Named like the example, but other bytes (a partner filled in the example): partner."""
    data = example.read_bytes()
    assert delivery_provenance(hashlib.sha256(data).hexdigest()) == "illustrative"
    changed = data.replace(b"\r\n", b"\n")
    assert changed != data
    assert delivery_provenance(hashlib.sha256(changed).hexdigest()) == "partner"


def test_cbs_loads_record_their_class(warehouse: Warehouse, catalogue: CbsCatalogue, tmp_path: Path,
                                      live_source: CbsSource) -> None:
    replay = CbsSource("replay", "http://127.0.0.1:9/x", "http://127.0.0.1:9/x", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    by_id = {t.table_id: t for t in catalogue.tables}
    want = {"03759ned": "cbs_capture", "70072ned": "synthetic", "85969NED": "synthetic"}
    for table_id in want:
        load_cbs_table(by_id[table_id], replay, warehouse, batch_id="b1")
    live = load_cbs_table(by_id["03759ned"], live_source, warehouse, batch_id="b2", force=True)
    with warehouse.engine.connect() as conn:
        got = dict(conn.execute(sa.text("SELECT table_id, provenance FROM meta.load_log WHERE batch_id = 'b1'"))
                   .tuples().all())
        live_class = conn.execute(sa.text("SELECT provenance FROM meta.load_log WHERE load_id = :l"),
                                  {"l": live.load_id}).scalar()
    assert got == want
    assert live_class == "cbs_live"


def test_loads_from_before_provenance_are_classified_once(warehouse: Warehouse, deliveries: DeliveryCatalogue) -> None:
    warehouse.ensure_schema(deliveries)
    example_sha = hashlib.sha256(EXAMPLES[0].read_bytes()).hexdigest()
    now = dt.datetime(2026, 1, 1)
    with warehouse.engine.begin() as conn:
        for load_id, mode, message, status in (
                ("a", "fallback", "CBS unreachable; used the bundled snapshot instead (SYNTHETIC snapshot: ...)",
                 "published"),
                ("b", "replay", "replayed from ...", "published"), ("c", "live", "fetched live", "unchanged"),
                ("d", None, None, "running")):
            conn.execute(sa.text("INSERT INTO meta.load_log (load_id, batch_id, source, table_id, started_at, mode, "
                                 "message, status) VALUES (:l, 'b', 'cbs', 't', :n, :m, :msg, :s)"),
                         {"l": load_id, "n": now, "m": mode, "msg": message, "s": status})
        for load_id, sha, status in (("e", example_sha, "accepted"), ("f", "0" * 64, "accepted"),
                                     ("g", example_sha, "rejected")):
            conn.execute(sa.text("INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, "
                                 "received_at, status) VALUES (:l, 'x', 'x.csv', :h, 1, :n, :s)"),
                         {"l": load_id, "h": sha, "n": now, "s": status})
    warehouse.ensure_schema(deliveries)
    with warehouse.engine.connect() as conn:
        cbs = dict(conn.execute(sa.text("SELECT load_id, provenance FROM meta.load_log")).tuples().all())
        files = dict(conn.execute(sa.text("SELECT load_id, provenance FROM meta.delivery_log")).tuples().all())
    assert cbs == {"a": "synthetic", "b": "cbs_capture", "c": "cbs_live", "d": None}
    assert files == {"e": "illustrative", "f": "partner", "g": None}


def test_swing_classes_rank_with_their_cbs_counterparts() -> None:
    from ea_pipelines.provenance import RANK, source_provenance, weakest

    assert RANK["swing_live"] == RANK["cbs_live"] and RANK["swing_capture"] == RANK["cbs_capture"]
    assert weakest("swing_live", "partner") == "partner" and weakest("swing_capture", "partner") == "swing_capture"
    assert weakest("swing_live", "cbs_live") == "cbs_live"  # a tie: the first of the two in CLASSES order
    assert weakest("synthetic", "swing_live") == "synthetic"
    assert [source_provenance("swing", m, False) for m in ("live", "replay", "fallback")] == \
        ["swing_live", "swing_capture", "swing_capture"]
    assert source_provenance("swing", "live", True) == "synthetic"

"""A delivered file end to end, on DuckDB and PostgreSQL: accepted, refused, duplicated, corrected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, load_delivery_catalogue
from ea_pipelines.deliveries.inbox import Folders, sha256_file
from ea_pipelines.ingest.delivery_file import process_file
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.deliveries.helpers import csv_bytes

TODAY = dt.date(2026, 11, 26)
HEADER = "periode;gemeente;aantal_scholingscheques\n"


@pytest.fixture(scope="module")
def catalogue() -> DeliveryCatalogue:
    return load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    return RegionIndex.from_code_list()


@pytest.fixture
def wh(warehouse: Warehouse, catalogue: DeliveryCatalogue) -> Warehouse:
    warehouse.ensure_schema(catalogue)
    return warehouse


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path / "inbox", tmp_path / "archive", tmp_path / "quarantine")


def deliver(folders: Folders, name: str, data: bytes, dtype: str = "twents_fonds_vouchers") -> Path:
    path = folders.inbox_for(dtype) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def process(catalogue, folders, wh, regions, name, dtype="twents_fonds_vouchers"):
    return process_file(catalogue.get(dtype), name, folders, wh, regions, today=TODAY)


def published(wh: Warehouse) -> dict[str, list[tuple]]:
    """Every row of every raw and staging table, sorted: the published state."""
    out = {}
    with wh.engine.connect() as conn:
        for schema in ("raw", "staging"):
            names = sa.inspect(conn).get_table_names(schema=schema)
            for name in names:
                rows = conn.execute(sa.text(f"SELECT * FROM {schema}.{name}")).fetchall()
                out[f"{schema}.{name}"] = sorted(tuple(map(str, r)) for r in rows)
    return out


def staged(wh: Warehouse) -> list[tuple]:
    with wh.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT period, municipality_code, vouchers_issued FROM staging.twents_fonds_vouchers ORDER BY 1, 2"))]


def test_accepted_file_is_staged_kept_in_raw_and_archived(catalogue, folders, wh, regions) -> None:
    data = csv_bytes(HEADER + "2024;GM0141;118\n2024;Borne;40\n")
    src = deliver(folders, "cheques.csv", data)
    outcome = process(catalogue, folders, wh, regions, "cheques.csv")
    assert (outcome.status, outcome.rows) == ("accepted", 2)
    assert not src.exists()
    assert outcome.stored_path.parent.parent == folders.archive / "twents_fonds_vouchers"
    assert outcome.stored_path.read_bytes() == data  # the original bytes, unchanged
    assert staged(wh) == [("2024JJ00", "GM0141", 118), ("2024JJ00", "GM0147", 40)]
    with wh.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT load_id, source_file, sha256, source_row FROM raw.twents_fonds_vouchers "
                                   "ORDER BY source_row")).fetchall()
        log = conn.execute(sa.text("SELECT status, rows, stored_path FROM meta.delivery_log")).one()
    assert [r.source_row for r in raw] == [2, 3] and {r.sha256 for r in raw} == {sha256_file(outcome.stored_path)}
    assert (log.status, log.rows, log.stored_path) == ("accepted", 2, str(outcome.stored_path))


def test_rejected_file_goes_to_quarantine_with_a_dutch_reason(catalogue, folders, wh, regions) -> None:
    deliver(folders, "goed.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))
    process(catalogue, folders, wh, regions, "goed.csv")
    before = published(wh)
    bad = csv_bytes(HEADER + "2024;GM0141;118\n2025;GM0141;twaalf\n")
    deliver(folders, "fout.csv", bad)
    outcome = process(catalogue, folders, wh, regions, "fout.csv")
    assert outcome.status == "rejected"
    quarantined = folders.quarantine / "twents_fonds_vouchers" / "fout.csv"
    assert quarantined.read_bytes() == bad
    reason = (folders.quarantine / "twents_fonds_vouchers" / "fout.csv.reason.txt").read_text(encoding="utf-8")
    assert "Dit bestand is NIET verwerkt. Er is niets uit overgenomen." in reason
    assert "- Rij 3, kolom 'aantal_scholingscheques': 'twaalf' is geen getal" in reason
    assert published(wh) == before  # not one row from the file reached raw or staging
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM meta.delivery_log WHERE file_name = 'fout.csv'")).scalar() \
            == "rejected"


def test_the_same_file_twice_changes_nothing_even_renamed(catalogue, folders, wh, regions) -> None:
    data = csv_bytes(HEADER + "2024;GM0141;118\n")
    deliver(folders, "a.csv", data)
    process(catalogue, folders, wh, regions, "a.csv")
    before = published(wh)
    for name in ("a.csv", "kopie van a.csv"):
        deliver(folders, name, data)
        outcome = process(catalogue, folders, wh, regions, name)
        assert outcome.status == "duplicate" and outcome.stored_path.read_bytes() == data
        assert not (folders.inbox_for("twents_fonds_vouchers") / name).exists()
    assert published(wh) == before


def test_corrected_redelivery_replaces_the_period_and_raw_keeps_both(catalogue, folders, wh, regions) -> None:
    deliver(folders, "v1.csv", csv_bytes(HEADER + "2023;GM0141;90\n2024;GM0141;118\n2024;GM0147;40\n"))
    first = process(catalogue, folders, wh, regions, "v1.csv")
    deliver(folders, "v2.csv", csv_bytes(HEADER + "2024;GM0141;121\n"))  # correction for 2024 only
    second = process(catalogue, folders, wh, regions, "v2.csv")
    assert staged(wh) == [("2023JJ00", "GM0141", 90), ("2024JJ00", "GM0141", 121)]
    with wh.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT load_id, count(*) FROM raw.twents_fonds_vouchers GROUP BY load_id")).all()
    assert dict(raw) == {first.load_id: 3, second.load_id: 1}


def test_same_name_different_content_is_archived_beside_the_first(catalogue, folders, wh, regions) -> None:
    deliver(folders, "cheques.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))
    one = process(catalogue, folders, wh, regions, "cheques.csv")
    deliver(folders, "cheques.csv", csv_bytes(HEADER + "2024;GM0141;120\n"))
    two = process(catalogue, folders, wh, regions, "cheques.csv")
    assert one.stored_path != two.stored_path and one.stored_path.exists() and two.stored_path.exists()


def test_a_name_with_path_components_is_refused_and_nothing_is_touched(catalogue, folders, wh, regions,
                                                                         tmp_path: Path) -> None:
    outside = tmp_path / "geheim.csv"
    outside.write_bytes(csv_bytes(HEADER + "2024;GM0141;1\n"))
    before = published(wh)
    outcome = process(catalogue, folders, wh, regions, "../../geheim.csv")
    assert outcome.status == "rejected" and "bevat een map of pad" in outcome.reason
    assert outside.exists() and published(wh) == before


def test_oversized_file_is_quarantined_without_being_read(catalogue, folders, wh, regions) -> None:
    from ea_pipelines.deliveries.reading import Limits

    deliver(folders, "groot.csv", csv_bytes(HEADER + "2024;GM0141;1\n" * 2000))
    outcome = process_file(catalogue.get("twents_fonds_vouchers"), "groot.csv", folders, wh, regions,
                           today=TODAY, limits=Limits(max_bytes=4096))
    assert outcome.status == "rejected" and "de grens is 4 kB" in outcome.reason
    assert (folders.quarantine / "twents_fonds_vouchers" / "groot.csv").exists()


@pytest.mark.parametrize("case", [r for r in __import__("ea_pipelines_tests.deliveries.test_validate",
                                                         fromlist=["REFUSALS"]).REFUSALS
                                  if "path" not in r[0]], ids=lambda r: r[0])
def test_every_refused_kind_ends_in_quarantine_and_changes_nothing(case, catalogue, folders, tmp_path, regions) -> None:
    """The refusal corpus, end to end on DuckDB: quarantined with its reason, warehouse untouched."""
    _, dtype, name, data, expected = case
    wh = Warehouse(f"duckdb:///{tmp_path}/ea.duckdb")
    wh.ensure_schema(catalogue)
    before = published(wh)
    deliver(folders, name, data, dtype)
    outcome = process(catalogue, folders, wh, regions, name, dtype)
    assert outcome.status == "rejected"
    assert (folders.quarantine / dtype / name).read_bytes() == data
    reason = (folders.quarantine / dtype / f"{name}.reason.txt").read_text(encoding="utf-8")
    assert all(f"- {line}" in reason for line in expected)
    assert published(wh) == before
    wh.dispose()

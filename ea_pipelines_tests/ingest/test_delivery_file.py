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


# -- isolation: one file is only ever its own failure ---------------------------------------------------

@pytest.mark.parametrize("error", [RuntimeError("kapot"), OverflowError("int too large"), RecursionError("diep"),
                                   KeyError("x"), UnicodeError("?")], ids=lambda e: type(e).__name__)
def test_any_error_while_reading_quarantines_the_file_with_a_dutch_reason(error, catalogue, folders, wh, regions,
                                                                           monkeypatch) -> None:
    import ea_pipelines.ingest.delivery_file as delivery_file

    def broken(*args, **kwargs):
        raise error

    before = published(wh)
    data = csv_bytes(HEADER + "2024;GM0141;118\n")
    deliver(folders, "a.csv", data)
    monkeypatch.setattr(delivery_file, "parse_delivery", broken)
    outcome = process(catalogue, folders, wh, regions, "a.csv")
    assert outcome.status == "rejected"
    expected = f"- Het bestand kon niet gelezen worden door een onverwachte fout ({type(error).__name__}: "
    assert expected in outcome.reason
    assert (folders.quarantine / "twents_fonds_vouchers" / "a.csv").read_bytes() == data
    assert published(wh) == before


def test_a_warehouse_failure_fails_the_step_and_leaves_the_file(catalogue, folders, wh, regions, monkeypatch) -> None:
    import ea_pipelines.ingest.delivery_file as delivery_file

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("connection lost"))

    src = deliver(folders, "a.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))
    monkeypatch.setattr(delivery_file, "publish_delivery", down)
    with pytest.raises(sa.exc.OperationalError):
        process(catalogue, folders, wh, regions, "a.csv")
    assert src.exists() and not any(folders.quarantine.rglob("*"))


def test_a_file_that_cannot_leave_the_inbox_is_logged_once_and_then_left_alone(catalogue, folders, wh,
                                                                                regions) -> None:
    folders.quarantine.mkdir(parents=True)
    (folders.quarantine / "twents_fonds_vouchers").write_bytes(b"")  # a file where the folder should be
    src = deliver(folders, "fout.csv", csv_bytes(HEADER + "2024;GM0141;twaalf\n"))
    first = process(catalogue, folders, wh, regions, "fout.csv")
    again = [process(catalogue, folders, wh, regions, "fout.csv") for _ in range(3)]
    assert first.status == "stuck" and [o.status for o in again] == ["stuck"] * 3
    assert "- Rij 2, kolom 'aantal_scholingscheques': 'twaalf' is geen getal" in first.reason
    assert "Het bestand kon niet uit de inbox worden gehaald (FileExistsError" in first.reason
    assert src.exists()
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status FROM meta.delivery_log WHERE file_name = 'fout.csv'")).all()
    assert [r.status for r in rows] == ["stuck"]  # once, not every night
    deliver(folders, "fout.csv", csv_bytes(HEADER + "2024;GM0141;dertien\n"))  # new bytes: judged again
    assert process(catalogue, folders, wh, regions, "fout.csv").status == "stuck"
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta.delivery_log")).scalar() == 2


# -- settled, regular files only -------------------------------------------------------------------------

def test_a_file_still_being_written_waits(catalogue, folders, wh, regions) -> None:
    src = deliver(folders, "bezig.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))  # modified just now
    outcome = process_file(catalogue.get("twents_fonds_vouchers"), "bezig.csv", folders, wh, regions,
                           today=TODAY, settle_seconds=30)
    assert outcome.status == "waiting" and src.exists()
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta.delivery_log")).scalar() == 0


def test_a_file_written_to_while_it_is_read_waits(catalogue, folders, wh, regions, monkeypatch) -> None:
    """The writer appends between two reads (the hold is the first read returning)."""
    import os

    from ea_pipelines.deliveries import inbox as inbox_module

    src = deliver(folders, "bezig.csv", csv_bytes(HEADER + "2024;GM0141;118\n"))
    real_read = os.read
    calls = []

    def read_then_append(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        if not calls:
            with open(src, "ab") as fh:
                fh.write(b"2024;GM0153;40\r\n")
        calls.append(len(chunk))
        return chunk

    monkeypatch.setattr(inbox_module.os, "read", read_then_append)
    outcome = process(catalogue, folders, wh, regions, "bezig.csv")
    assert outcome.status == "waiting" and src.exists()
    monkeypatch.undo()
    assert process(catalogue, folders, wh, regions, "bezig.csv").rows == 2  # whole once it is complete


def test_a_symlink_is_refused_without_opening_its_target(catalogue, folders, wh, regions, tmp_path) -> None:
    target = tmp_path / "elders.csv"
    target.write_bytes(csv_bytes(HEADER + "2024;GM0141;118\n"))
    link = folders.inbox_for("twents_fonds_vouchers") / "link.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    before = published(wh)
    outcome = process(catalogue, folders, wh, regions, "link.csv")
    assert outcome.status == "rejected" and outcome.sha256.startswith("symlink:")
    assert "Dit is een snelkoppeling (symbolische link) naar een ander bestand" in outcome.reason
    assert (folders.quarantine / "twents_fonds_vouchers" / "link.csv").is_symlink() and target.exists()
    assert published(wh) == before


def test_long_names_keep_their_reason_beside_them(catalogue, folders, wh, regions) -> None:
    name = "ü" * 125 + ".csv"  # 254 bytes: '<name>.reason.txt' would not fit in a file name
    deliver(folders, name, csv_bytes(HEADER + "2024;GM0141;twaalf\n"))
    outcome = process(catalogue, folders, wh, regions, name)
    assert outcome.status == "rejected" and outcome.stored_path.name == name
    reasons = list((folders.quarantine / "twents_fonds_vouchers").glob("*.reason.txt"))
    assert len(reasons) == 1 and len(reasons[0].name.encode()) <= 255
    assert reasons[0].name.endswith(f"~{outcome.sha256[:12]}.csv.reason.txt")
    assert reasons[0].read_text(encoding="utf-8").startswith(f"Bestand: {name}\n")
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT file_name FROM meta.delivery_log")).scalar() == name


# -- visible re-delivery ---------------------------------------------------------------------------------

def test_a_partial_redelivery_says_what_it_replaced_and_what_is_gone(catalogue, folders, wh, regions) -> None:
    deliver(folders, "v1.csv", csv_bytes(HEADER + "2023;GM0141;90\n2024;GM0141;118\n2024;GM0147;40\n"))
    first = process(catalogue, folders, wh, regions, "v1.csv")
    assert first.replaced.groups == [] and first.replaced.text() is None
    deliver(folders, "v2.csv", csv_bytes(HEADER + "2024;GM0141;121\n2024;GM0153;7\n"))
    second = process(catalogue, folders, wh, regions, "v2.csv")
    assert (second.replaced.groups, second.replaced.rows_before, second.replaced.rows_after, second.replaced.gone) == (
        ["2024JJ00"], 2, 2, ["2024JJ00 GM0147"])
    with wh.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT replaced, rows_replaced, rows_gone FROM meta.delivery_log "
                                   "WHERE file_name = 'v2.csv'")).one()
    assert tuple(row) == ("replaced 2024JJ00: 2 rows before, 2 after, 1 gone (2024JJ00 GM0147)", 2, 1)
    assert staged(wh) == [("2023JJ00", "GM0141", 90), ("2024JJ00", "GM0141", 121), ("2024JJ00", "GM0153", 7)]

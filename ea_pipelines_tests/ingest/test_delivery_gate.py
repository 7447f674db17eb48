"""A delivery the parser accepts but the quality gate blocks goes to quarantine with its reason, on both engines.

The gate here knows every CBS region except Enschede (GM0153): the parser's region list accepts it, the gate's
``regions_known`` check does not. That is the one way a file gets past validation and is stopped by the gate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.deliveries.inbox import Folders
from ea_pipelines.ingest.delivery_file import process_file
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.deliveries.helpers import csv_bytes

TODAY = dt.date(2026, 11, 30)
GOOD = csv_bytes("periode;gemeente;aantal_scholingscheques\n2023;GM0141;60\n2023;GM0150;120\n")
BLOCKED = csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;70\n2024;GM0153;140\n")


def staged(wh: Warehouse) -> list[tuple]:
    with wh.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT period, municipality_code, vouchers_issued FROM staging.twents_fonds_vouchers ORDER BY 1, 2"))]


def test_a_file_blocked_by_the_gate_goes_to_quarantine(wh: Warehouse, tmp_path: Path) -> None:
    dtype = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).get("twents_fonds_vouchers")
    regions = RegionIndex.from_code_list()
    gate = QualityGate(known_regions=set(regions.names) - {"GM0153"}, docs_dir=tmp_path / "docs")
    folders = Folders(tmp_path / "inbox", tmp_path / "archive", tmp_path / "quarantine")
    inbox = folders.inbox_for(dtype.name)
    inbox.mkdir(parents=True)
    (inbox / "cheques_2023.csv").write_bytes(GOOD)
    first = process_file(dtype, "cheques_2023.csv", folders, wh, regions, today=TODAY, gate=gate, run_id="r1")
    assert first.status == "accepted" and staged(wh) == [("2023JJ00", "GM0141", 60), ("2023JJ00", "GM0150", 120)]

    (inbox / "cheques_2024.csv").write_bytes(BLOCKED)
    outcome = process_file(dtype, "cheques_2024.csv", folders, wh, regions, today=TODAY, gate=gate, run_id="r2")

    assert outcome.status == "rejected" and outcome.rows == 0
    failed = [o.check for o in outcome.checks if not o.passed]
    assert failed == ["regions_known"]
    quarantined = tmp_path / "quarantine" / "twents_fonds_vouchers" / "cheques_2024.csv"
    assert outcome.stored_path == quarantined and quarantined.read_bytes() == BLOCKED  # moved, bytes unchanged
    assert not (inbox / "cheques_2024.csv").exists()
    reason = quarantined.with_name("cheques_2024.csv.reason.txt").read_text(encoding="utf-8")
    assert reason.startswith("Bestand: cheques_2024.csv\nSoort levering: ")
    assert "Dit bestand is NIET verwerkt. Er is niets uit overgenomen." in reason
    assert "'regions_known'" in reason  # the failed check is named; how many rows: meta.check_result below
    assert staged(wh) == [("2023JJ00", "GM0141", 60), ("2023JJ00", "GM0150", 120)]  # nothing of 2024 published
    with wh.engine.connect() as conn:
        log = conn.execute(sa.text("SELECT status, rows, reason, stored_path FROM meta.delivery_log "
                                   "WHERE file_name = 'cheques_2024.csv'")).one()
        raw_2024 = conn.execute(sa.text("SELECT count(*) FROM raw.twents_fonds_vouchers "
                                        "WHERE period = '2024JJ00'")).scalar()
        check = conn.execute(sa.text("SELECT passed, failed_count FROM meta.check_result WHERE run_id = 'r2' "
                                     "AND check_name = 'regions_known'")).one()
    assert (log.status, log.rows, log.reason, log.stored_path) == ("rejected", 0, reason, str(quarantined))
    assert raw_2024 == 0
    assert (bool(check.passed), check.failed_count) == (False, 1)

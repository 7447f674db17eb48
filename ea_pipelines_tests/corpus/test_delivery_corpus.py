"""The hostile-delivery corpus (``delivery_files``): every class refused for its exact Dutch reason, every accepted
variant read as a person reads it, workbooks also as saved by LibreOffice, and all of it end to end through a
nightly run on DuckDB and PostgreSQL that still succeeds and loads the valid file of every type beside them."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import zipfile
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, load_delivery_catalogue
from ea_pipelines.cli import EXAMPLES_DIR
from ea_pipelines.definitions import build_definitions
from ea_pipelines.deliveries.problems import Rejected
from ea_pipelines.deliveries.validate import parse_delivery
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines_tests.corpus.delivery_files import (
    Accepted,
    Refused,
    accepted_cases,
    refused_cases,
    resave_with_libreoffice,
    soffice,
)
from ea_pipelines_tests.defs.test_definitions import settings_for
from ea_pipelines_tests.deliveries.helpers import csv_bytes

TODAY = dt.date(2026, 11, 26)
REFUSED = refused_cases()
ACCEPTED = accepted_cases()
LO_REFUSED = [c for c in REFUSED if c.xlsx_source]
LO_ACCEPTED = [c for c in ACCEPTED if c.xlsx_source]


@pytest.fixture(scope="module")
def catalogue() -> DeliveryCatalogue:
    return load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    return RegionIndex.from_code_list(preferred=frozenset({"GM0164"}))


def problems_of(catalogue, regions, dtype: str, name: str, data: bytes) -> list[str]:
    with pytest.raises(Rejected) as err:
        parse_delivery(catalogue.get(dtype), name, data, regions, today=TODAY)
    return [str(p) for p in err.value.problems]


def values_of(catalogue, regions, case: Accepted, data: bytes) -> list[tuple]:
    frame = parse_delivery(catalogue.get(case.dtype), case.file_name, data, regions, today=TODAY).frame
    return list(frame[list(case.columns)].itertuples(index=False, name=None))


def test_the_corpus_covers_every_class() -> None:
    names = [c.name for c in REFUSED] + [c.name for c in ACCEPTED]
    assert len(names) == len(set(names))
    assert len(REFUSED) >= 40 and len(ACCEPTED) >= 15 and len(LO_REFUSED) >= 5 and len(LO_ACCEPTED) >= 4


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_refused_for_its_exact_reason(case: Refused, catalogue, regions) -> None:
    assert problems_of(catalogue, regions, case.dtype, case.file_name, case.data) == case.problems


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.name for c in ACCEPTED])
def test_accepted_as_a_person_reads_it(case: Accepted, catalogue, regions) -> None:
    assert values_of(catalogue, regions, case, case.data) == case.rows


def saved_by(data: bytes) -> str:
    """The application a workbook says wrote it (docProps/app.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        app = zf.read("docProps/app.xml").decode()
    return app.split("<Application>", 1)[1].split("</Application>", 1)[0]


@pytest.fixture(scope="module")
def resaved() -> dict[str, bytes]:
    """The workbook cases as saved by LibreOffice, by case name (empty where LibreOffice is not installed)."""
    if not soffice():
        return {}
    return resave_with_libreoffice({c.name: c.data for c in LO_REFUSED + LO_ACCEPTED})


@pytest.fixture(scope="module")
def libreoffice_saved(resaved: dict[str, bytes]) -> dict[str, bytes]:
    if not resaved:
        pytest.skip("LibreOffice (Debian libreoffice-calc-nogui) is not installed; .ci/run installs it")
    return resaved


@pytest.mark.parametrize("case", LO_REFUSED, ids=[c.name for c in LO_REFUSED])
def test_saved_by_libreoffice_refused_for_the_same_reason(case: Refused, libreoffice_saved, catalogue,
                                                          regions) -> None:
    data = libreoffice_saved[case.name]
    assert saved_by(data).startswith("LibreOffice")
    assert problems_of(catalogue, regions, case.dtype, case.file_name, data) == case.problems


@pytest.mark.parametrize("case", LO_ACCEPTED, ids=[c.name for c in LO_ACCEPTED])
def test_saved_by_libreoffice_read_the_same(case: Accepted, libreoffice_saved, catalogue, regions) -> None:
    data = libreoffice_saved[case.name]
    assert saved_by(data).startswith("LibreOffice") and not saved_by(case.data).startswith("LibreOffice")
    assert values_of(catalogue, regions, case, data) == case.rows


# -- end to end -------------------------------------------------------------------------------------------

# one valid new file per type, for periods the bundled examples do not hold (nothing is replaced)
VALID = {
    "twents_fonds_vouchers": ("nieuw.csv", "periode;gemeente;aantal_scholingscheques\n2018;GM0141;50\n2018;GM0153;20\n",
                              2),
    "ikbindr_labels": ("nieuw.csv", "peildatum;gemeente;aantal_bedrijven_met_label\n31-12-2018;GM0141;12\n", 1),
    "mkb_ranking": ("nieuw.csv", "editie;gemeente;positie;aantal_gemeenten;score_tevredenheid;score_imago;"
                    "score_communicatie_en_beleid;score_prijs_kwaliteit_lasten;tevredenheid_dienstverlening\n"
                    "2016;GM0141;150;300;5,5;5,4;5,3;5,2;5,9\n", 1),
    "uwv_spanningsindicator": ("nieuw.csv", "kwartaal;gebied;spanningsindicator\n2017-K1;Twente;0,9\n", 1),
    "kennispunt_twente": ("nieuw.csv", "indicator;regio;periode;waarde;eenheid\n"
                          "grond_lokaal_mkb;GM0141;2012;0.875;hectare\n"
                          "grond_lokaal_mkb;GM0141;2013;1.234;hectare\n", 2),
    "programme_efforts": ("nieuw.csv", "doel;inspanning;status;periode;toelichting;aantal;eenheid_aantal\n"
                          "2;Netwerkbijeenkomst;afgerond;2019-K1;Een bijeenkomst.;1;bijeenkomsten\n", 1),
    "qualitative_contributions": ("nieuw.csv", "doel;titel;tekst;auteur;datum;afbeelding\n"
                                  "3;Een titel;Een tekst.;Programmateam;15-03-2019;\n", 1),
}
SYMLINK = ("dit is een snelkoppeling (symbolische link) naar een ander bestand; dat wordt niet gevolgd en niet "
           "geopend. Zet het bestand zelf in de map")
LONG_NAMES = ["x" * 250 + ".csv", "é" * 125 + ".csv", "cijfers " + "ä" * 80 + " definitief.csv"]
ODD_NAMES = ["-rf.csv", "a\nb.csv", " spatie .csv", "grafiek 📊.csv", "$(whoami).csv", "'; DROP TABLE x; --.csv"]
BAD = "periode;gemeente;aantal_scholingscheques\n2024;GM0141;twaalf\n"
BAD_REASON = "- Rij 2, kolom 'aantal_scholingscheques': 'twaalf' is geen getal"


def drop(inbox: Path, dtype: str, name: str | bytes, data: bytes, age: float = 120) -> Path:
    folder = inbox / dtype
    folder.mkdir(parents=True, exist_ok=True)
    raw = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else os.fsencode(name))
    with open(raw, "wb") as fh:
        fh.write(data)
    then = time.time() - age
    os.utime(raw, (then, then))
    return folder / os.fsdecode(raw).rsplit("/", 1)[1]


def settled(path: Path) -> None:
    """Date an inbox entry (not what a symlink points to) back past the settle time."""
    then = time.time() - 120
    os.utime(path, (then, then), follow_symlinks=False)


def published(url: str, catalogue: DeliveryCatalogue) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        for t in catalogue.types:
            for schema in ("raw", "staging"):
                rows = conn.execute(sa.text(f"SELECT * FROM {schema}.{t.name}")).mappings().all()
                out[f"{schema}.{t.name}"] = sorted(tuple(str(v) for v in r.values()) for r in rows)
    engine.dispose()
    return out


def log_rows(url: str) -> list[sa.Row]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT delivery_type, file_name, status, reason, stored_path, rows "
                                    "FROM meta.delivery_log")).all()
    engine.dispose()
    return rows


def test_nightly_run_with_every_hostile_file_succeeds_and_loads_the_valid_ones(warehouse_url: str, tmp_path: Path,
                                                                               catalogue, resaved) -> None:
    settings = settings_for(tmp_path, EA_WAREHOUSE_URL=warehouse_url)
    defs = build_definitions(settings)
    inbox, quarantine = tmp_path / "inbox", tmp_path / "quarantine"
    for example in EXAMPLES_DIR.glob("*/*.*"):  # what is published before the hostile night
        drop(inbox, example.parent.name, example.name, example.read_bytes())
    first = defs.resolve_job_def("process_deliveries").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert first.success
    before = published(warehouse_url, catalogue)

    expected: dict[tuple[str, str], list[str]] = {}  # (type, name) -> lines the reason must hold
    for i, case in enumerate(REFUSED):
        name = f"{i:02d} {case.name}{Path(case.file_name).suffix}"
        drop(inbox, case.dtype, name, case.data)
        expected[(case.dtype, name)] = [f"- {line}" for line in case.problems]
        if case.name in resaved:  # the same workbook as saved by LibreOffice, refused for the same reason
            drop(inbox, case.dtype, f"lo {name}", resaved[case.name])
            expected[(case.dtype, f"lo {name}")] = expected[(case.dtype, name)]
    for name in LONG_NAMES + ODD_NAMES:
        drop(inbox, "twents_fonds_vouchers", name, csv_bytes(BAD))
        expected[("twents_fonds_vouchers", name)] = [BAD_REASON]
    undecodable = drop(inbox, "twents_fonds_vouchers", b"cheques-\xff\xfe.csv", csv_bytes(BAD))
    outside = tmp_path / "buiten" / "cheques.csv"
    outside.parent.mkdir()
    outside.write_bytes(csv_bytes(VALID["twents_fonds_vouchers"][1].replace("2018", "2017")))
    for dtype, name, target in [("twents_fonds_vouchers", "passwd.csv", "/etc/passwd"),
                                ("twents_fonds_vouchers", "buiten.csv", str(outside)),
                                ("mkb_ranking", "weg.csv", str(tmp_path / "bestaat-niet.csv"))]:
        (inbox / dtype / name).symlink_to(target)
        settled(inbox / dtype / name)
        expected[(dtype, name)] = [f"- {SYMLINK[:1].upper()}{SYMLINK[1:]}"]
    os.mkfifo(inbox / "ikbindr_labels" / "pijp.csv")
    settled(inbox / "ikbindr_labels" / "pijp.csv")
    expected[("ikbindr_labels", "pijp.csv")] = ["- Dit is geen gewoon bestand (een pipe); dat wordt niet gevolgd en "
                                                "niet geopend. Zet het bestand zelf in de map"]
    (inbox / "uwv_spanningsindicator" / "map.xlsx").mkdir()
    settled(inbox / "uwv_spanningsindicator" / "map.xlsx")
    expected[("uwv_spanningsindicator", "map.xlsx")] = ["- Dit is een map; dat wordt niet gevolgd en niet geopend. "
                                                        "Zet het bestand zelf in de map"]
    # still being written: its last change is dated ahead, so it is "just written" however long the run takes
    busy = drop(inbox, "twents_fonds_vouchers", "nog bezig.csv", csv_bytes(BAD), age=-3600)
    for dtype, (name, text, _) in VALID.items():
        drop(inbox, dtype, name, csv_bytes(text))

    result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success

    log = log_rows(warehouse_url)
    status = {(r.delivery_type, r.file_name): r.status for r in log}
    for (dtype, name), lines in expected.items():
        assert status[(dtype, name)] == "rejected", (dtype, name)
        row = next(r for r in log if (r.delivery_type, r.file_name) == (dtype, name))
        stored = Path(row.stored_path)
        assert stored.parent == quarantine / dtype
        reason_files = [p for p in stored.parent.iterdir() if p.name.endswith(".reason.txt")
                        and p.read_text(encoding="utf-8", errors="surrogateescape").startswith(f"Bestand: {name}\n")]
        assert len(reason_files) == 1, name
        reason = reason_files[0].read_text(encoding="utf-8", errors="surrogateescape")
        assert all(line in reason for line in lines), (name, reason)
        assert row.reason == reason
    for dtype, name in expected:  # each in quarantine unchanged, nothing left in the inbox
        assert not os.path.lexists(inbox / dtype / name)
    assert (quarantine / "twents_fonds_vouchers" / "passwd.csv").is_symlink()
    assert outside.exists()
    assert any(n.startswith("x" * 200) and n.endswith(".reason.txt") and len(n.encode()) <= 255
               for n in os.listdir(quarantine / "twents_fonds_vouchers"))
    assert status[("twents_fonds_vouchers", "cheques-\ufffd\ufffd.csv")] == "rejected"
    assert not undecodable.exists()
    assert busy.exists() and ("twents_fonds_vouchers", "nog bezig.csv") not in status  # waits for the next run
    for dtype, (name, _, _rows) in VALID.items():
        assert status[(dtype, name)] == "accepted"

    after = published(warehouse_url, catalogue)
    for table, rows in after.items():  # exactly the valid rows were added; nothing of a refused file anywhere
        added = sorted(set(rows) - set(before[table]))
        assert set(before[table]) <= set(rows)
        assert len(added) == VALID[table.split(".")[1]][2]
        assert all("nieuw.csv" in row for row in added)
    engine = sa.create_engine(warehouse_url)
    with engine.connect() as conn:
        values = conn.execute(sa.text("SELECT period, value FROM staging.kennispunt_twente "
                                      "WHERE source_file = 'nieuw.csv' ORDER BY period")).all()
    engine.dispose()
    assert [tuple(r) for r in values] == [("2012JJ00", 0.875), ("2013JJ00", 1.234)]

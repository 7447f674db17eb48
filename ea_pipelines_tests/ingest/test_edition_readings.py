"""An edition read through another API with its own measure codes (catalogue edition_readings): the labour-force
entry's 86276NED through OData v4 with the concept codes 3000795_2 / 3000800_2, the older edition through v3.
Loaded live from the fake server on DuckDB and PostgreSQL; the marts read the v4 codes as the entry's measures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.cbs import CatalogueError, CbsCatalogue, CbsTable, load_cbs_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.devtools.synthetic import CONCEPT_CODES, v4_edition
from ea_pipelines.ingest.cbs_editions import load_cbs_entry
from ea_pipelines.settings import DEFAULT_CATALOGUE
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.sqlmodels.test_marts import MODELS, failed_tests

NEW = "86276NED"
YEARS = (2023, 2024)
OFFSET = 1000.0  # added to the v4 edition's values: tells the editions apart


def _entry(catalogue: CbsCatalogue) -> CbsTable:
    """The labour-force entry with two editions: 85969NED (v3) and 86276NED (v4, concept codes)."""
    spec = catalogue.table("arbeidsdeelname_regionaal")
    return dataclasses.replace(spec, editions=("85969NED", NEW), edition_title_prefix=None)


def test_the_catalogue_reads_86276ned_through_v4_with_concept_codes(catalogue: CbsCatalogue) -> None:
    reading = catalogue.table("arbeidsdeelname_regionaal").edition_readings[NEW]
    assert reading.api == "v4"
    assert reading.measures == {code: key for key, (code, _) in CONCEPT_CODES.items()}


def test_v4_edition_with_concept_codes_into_the_facts(wh: Warehouse, catalogue: CbsCatalogue,
                                                      fake_tables: list[FakeTable], tmp_path: Path) -> None:
    v3 = next(t for t in fake_tables if t.table_id == "85969NED")
    v4 = v4_edition(v3, NEW, YEARS, OFFSET)
    with FakeCbsServer([v3, v4]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "landing", FAST)
        report = load_cbs_entry(_entry(catalogue), source, wh, batch_id="b1")
    assert not report.failed and [r.table_id for r in report.reports] == ["85969NED", NEW]
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        staged = set(conn.execute(sa.text("SELECT DISTINCT measure_code FROM staging.cbs_observation "
                                          "WHERE table_id = :t"), {"t": NEW}).scalars())
        facts = pd.read_sql(sa.text("SELECT indicator_code, period_code, value, source_table FROM "
                                    "marts.fact_indicator_value WHERE region_code = 'GM0141'"), conn)
    assert staged == {code for code, _ in CONCEPT_CODES.values()}  # staging keeps CBS's own codes
    served = {(r["Perioden"], r["Geslacht"].strip(), r["RegioS"].strip()): r for r in v3.rows}
    by = facts.set_index(["indicator_code", "period_code"])
    for indicator, key in (("werkzame_beroepsbevolking", "WerkzameBeroepsbevolking_2"),
                           ("werkloze_beroepsbevolking", "WerklozeBeroepsbevolking_3")):
        for year in YEARS:  # the newest edition that has the period: 86276NED, read as the entry's measure
            row = by.loc[(indicator, f"{year}JJ00")]
            assert row.source_table == NEW
            assert row.value == pytest.approx(served[(f"{year}JJ00", "T001038", "GM0141")][key] + OFFSET)
        older = by.loc[(indicator, "2022JJ00")]
        assert older.source_table == "85969NED"
        assert older.value == pytest.approx(served[("2022JJ00", "T001038", "GM0141")][key])
    # the v4 edition has no code for the population 15-75: no participation for its periods, none made up
    participation = set(facts[facts.indicator_code == "netto_arbeidsparticipatie"].period_code)
    assert "2022JJ00" in participation and not participation & {f"{y}JJ00" for y in YEARS}


def test_a_wrong_concept_code_fails_that_edition_naming_the_nearest(catalogue: CbsCatalogue, wh: Warehouse,
                                                                    fake_tables: list[FakeTable],
                                                                    tmp_path: Path) -> None:
    spec = _entry(catalogue)
    wrong = dataclasses.replace(spec.edition_readings[NEW], measures={"3000796_2": "WerkzameBeroepsbevolking_2"})
    spec = dataclasses.replace(spec, edition_readings={NEW: wrong})
    v3 = next(t for t in fake_tables if t.table_id == "85969NED")
    with FakeCbsServer([v3, v4_edition(v3, NEW, YEARS)]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, tmp_path, tmp_path / "landing", FAST)
        report = load_cbs_entry(spec, source, wh, batch_id="b1")
    assert list(report.failed) == [NEW] and [r.table_id for r in report.reports] == ["85969NED"]
    assert "3000796_2; nearest: 3000795_2 'Werkzame beroepsbevolking'" in str(report.failed[NEW])


@pytest.mark.parametrize("readings,message", [
    ({"99999NED": {"api": "v4", "measures": {"3000795_2": "WerkzameBeroepsbevolking_2"}}}, "not one of the editions"),
    ({NEW: {"api": "v5", "measures": {"3000795_2": "WerkzameBeroepsbevolking_2"}}}, "api must be one of"),
    ({NEW: {"api": "v4", "measures": {"3000795_2": "Onbekend_9"}}}, "not the entry's measures"),
    ({NEW: {"api": "v4", "measures": {"3000795_2": "WerkzameBeroepsbevolking_2",
                                      "3000800_2": "WerkzameBeroepsbevolking_2"}}}, "two codes to one measure"),
    ({NEW: {"api": "v4"}}, "must be"),
    ({NEW: {"api": "v4", "measures": {3000795: "WerkzameBeroepsbevolking_2"}}}, "read as numbers")])
def test_edition_readings_are_checked_when_the_catalogue_is_loaded(tmp_path: Path, readings: dict,
                                                                   message: str) -> None:
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    entry = next(t for t in raw["tables"] if t["name"] == "arbeidsdeelname_regionaal")
    entry["edition_readings"] = readings
    path = tmp_path / "cbs_tables.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        load_cbs_catalogue(path)

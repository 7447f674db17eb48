"""Every shape of CBS table by one catalogue entry (issue 13, items 1 and 6).

64 generated shapes (v4 and v3; with and without a region dimension; 0-3 further dimensions, some
filtered; yearly, quarterly and monthly periods mixed; missing values with a value attribute), each served
by the fake CBS server over HTTP and loaded live from a catalogue entry alone. On clean data each is
published with every check passing; then each defect that applies is injected and blocks the load by its
check, leaving the clean version published.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.cbs import CbsCatalogue, load_cbs_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.devtools.shapes import (
    DEFECT_CHECK,
    EXTRA_DIMS,
    PERIODS,
    REGIONS,
    TEXT_MEASURE,
    Shape,
    all_shapes,
    inject,
    shape_entry,
    shape_table,
    text_value,
)
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_CATALOGUE
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST

SHAPES = all_shapes()
#: validated with Great Expectations (a validation with Data Docs takes seconds): v4 regional with yearly
#: periods, v4 national with two kept dimensions and every period type, v3 national with months and years
GX_SHAPES = {0, 27, 50}
#: every shape on DuckDB; on PostgreSQL one in five (spread over APIs, regions, dimensions and period mixes)
CASES = ([pytest.param("duckdb", s, id=f"duckdb-{s.number:02d} {s.describe()}") for s in SHAPES]
         + [pytest.param("postgresql", s, id=f"postgresql-{s.number:02d} {s.describe()}")
            for s in SHAPES if s.number % 5 == 0])


def test_the_generated_shapes_cover_every_combination() -> None:
    assert len(SHAPES) == 64
    assert {(s.api, s.regions, s.extra_dims, s.periods) for s in SHAPES} == {
        (api, regions, extra, periods) for api in ("v4", "v3") for regions in (True, False) for extra in range(4)
        for periods in (("JJ",), ("JJ", "KW"), ("JJ", "MM"), ("JJ", "KW", "MM"))}
    assert {s.filtered for s in SHAPES} == {0, 1, 2, 3} and {s.attributes for s in SHAPES} == {True, False}
    assert {(s.api, s.regions, s.text) for s in SHAPES} == {(api, regions, text) for api in ("v4", "v3")
                                                           for regions in (True, False) for text in (True, False)}
    assert sum(len(s.defects()) for s in SHAPES) == 16 * 5 + 16 * 4 + 16 * 4 + 16 * 3


def write_catalogue(path: Path, shapes: list[Shape]) -> CbsCatalogue:
    """A catalogue file as a user writes it: the programme block of the real one, one entry per shape."""
    programme = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))["programme"]
    path.write_text(yaml.safe_dump({"programme": programme, "defaults": {"regions": "programme"},
                                    "tables": [shape_entry(s) for s in shapes]}, sort_keys=False), encoding="utf-8")
    return load_cbs_catalogue(path)


@pytest.fixture(scope="module")
def shape_server() -> Iterator[FakeCbsServer]:
    with FakeCbsServer([shape_table(s) for s in SHAPES], page_size=500) as server:
        yield server


@pytest.fixture(scope="module")
def shape_catalogue(tmp_path_factory: pytest.TempPathFactory) -> CbsCatalogue:
    return write_catalogue(tmp_path_factory.mktemp("catalogue") / "cbs_tables.yaml", SHAPES)


def gate_for(shape: Shape, warehouse: Warehouse, docs: Path) -> QualityGate:
    """The SQL checks, and Great Expectations (the path of tables up to EA_GX_MAX_ROWS) for one shape of each
    API and region kind on DuckDB: the checks are the same on both paths (GX validates in memory, so the
    warehouse does not matter to it), and a GX validation with its Data Docs takes seconds."""
    gx = shape.number in GX_SHAPES and warehouse.engine.dialect.name == "duckdb"
    return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=docs,
                       gx_max_rows=1_000_000 if gx else 0, today=dt.date(2026, 11, 30))


def observations(wh: Warehouse, table_id: str) -> list[sa.Row]:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT measure_code, region_code, period_code, other_dimensions, value, "
                                    "value_attribute, value_text, load_id FROM staging.cbs_observation "
                                    "WHERE table_id = :t"),
                            {"t": table_id}).fetchall()


@pytest.mark.parametrize(("warehouse_url", "shape"), CASES, indirect=["warehouse_url"])
def test_a_shape_loads_from_its_entry_and_each_defect_blocks_it(shape: Shape, shape_server: FakeCbsServer,
                                                               shape_catalogue: CbsCatalogue, warehouse: Warehouse,
                                                               tmp_path: Path) -> None:
    spec = shape_catalogue.table(shape.name)
    source = CbsSource("live", shape_server.v4_url, shape_server.v3_url, Path("/nonexistent"), tmp_path, FAST)
    gate = gate_for(shape, warehouse, tmp_path / "docs")

    clean = load_cbs_table(spec, source, warehouse, batch_id="clean", gate=gate)

    failed = {o.check: o.failures for o in clean.checks if not o.passed}
    assert clean.status == "published" and not failed, failed
    assert len(clean.checks) == 10
    rows = observations(warehouse, shape.table_id)
    assert len(rows) == clean.rows == shape.expected_rows
    notes = {o.check: o.failures for o in clean.checks}
    if shape.regions:
        assert {r.region_code for r in rows} == {"GM0164", "GM0153", "GM0363", "PV23", "NL01"}  # CR12 not fetched
    else:
        assert {r.region_code for r in rows} == {None}
        assert notes["regions_known"] == ["not applicable: the table has no region dimension (region_code is null)"]
    assert {r.period_code for r in rows} == {p for kind in shape.periods for p in PERIODS[kind]}
    dims = {json.dumps({d: shape.kept_codes(d)[0] for d in shape.dims}, sort_keys=True)}
    assert dims <= {r.other_dimensions for r in rows}
    assert {tuple(sorted(json.loads(r.other_dimensions))) for r in rows} == {tuple(sorted(shape.dims))}
    for d in shape.dims:  # filtered dimensions hold only the codes the entry keeps, the others every code
        assert {json.loads(r.other_dimensions)[d] for r in rows} == set(shape.kept_codes(d))
    text_code = TEXT_MEASURE[0 if shape.api == "v4" else 1]
    texts = [r for r in rows if r.measure_code == text_code]
    if shape.text:  # text-valued: the text in value_text, no number; numbers never in value_text
        assert len(texts) == len(rows) // 3 and {r.value for r in texts} == {None}
        served = {text_value(3 * i) for i in range(3)}
        assert {r.value_text for r in texts} <= served and None not in {r.value_text for r in texts}
        assert shape.filtered or {r.value_text for r in texts} == served  # unfiltered: every text arrives
    assert not texts or shape.text
    assert {r.value_text for r in rows if r.measure_code != text_code} == {None}
    rows = [r for r in rows if r.measure_code != text_code]
    missing = [r for r in rows if r.value is None]
    if not shape.attributes:
        assert not missing
    else:
        assert missing
        if shape.api == "v4":
            assert {r.value_attribute for r in missing} <= {"Missing", "Confidential", "Impossible"}
            assert {r.value_attribute for r in rows if r.value is not None} == {"None"}
    assert set(EXTRA_DIMS) >= set(shape.dims) and set(REGIONS) >= {r.region_code for r in rows} - {None}

    table = shape_server.tables[(shape.api, shape.table_id)]
    try:
        for defect in shape.defects():
            shape_server.tables[(shape.api, shape.table_id)] = inject(table, defect)
            bad = load_cbs_table(spec, source, warehouse, batch_id=defect, gate=gate, full_fetch=True)
            failed = {o.check for o in bad.checks if not o.passed}
            expected = {DEFECT_CHECK[defect]} | ({"row_count_plausible"} if defect == "missing_measure" else set())
            assert (bad.status, failed) == ("blocked", expected), (defect, [o.failures for o in bad.checks])
            assert {r.load_id for r in observations(warehouse, shape.table_id)} == {clean.load_id}
    finally:
        shape_server.tables[(shape.api, shape.table_id)] = table


NATIONAL_ENTRY = """
programme:
  municipality: {code: GM0141, name: Almelo}
  peer_group: {name: Twente, corop: CR12, municipalities: [GM0141, GM0153]}
  province: PV23
  country: NL01
defaults:
  regions: programme
tables:
  - name: landelijk_maand_jaar
    table_id: 90090ned
    api: v4
    title: Landelijke tabel met maanden en jaren (SYNTHETIC)
    description: National figures, no region dimension, monthly and yearly periods in one table.
    frequency: Per maand
    measures:
      M001234: Aantal
      M005678_2: Aandeel
    filters:
      Geslacht: [T001038]
    value_ranges:
      M001234: {min: 0}
      M005678_2: {min: 0, max: 100}
"""


def test_a_national_table_with_months_and_years_from_one_entry(warehouse: Warehouse, tmp_path: Path) -> None:
    """The issue's case: written from the README's format, served live, published with all ten checks passing."""
    (tmp_path / "cbs_tables.yaml").write_text(NATIONAL_ENTRY, encoding="utf-8")
    spec = load_cbs_catalogue(tmp_path / "cbs_tables.yaml").table("landelijk_maand_jaar")
    table = shape_table(Shape("v4", regions=False, extra_dims=1, filtered=1, periods=("JJ", "MM"), attributes=False,
                              number=90))
    for row in table.rows:
        if (row["Perioden"], row["Measure"], row["Geslacht"]) == ("2024MM07", "M001234", "T001038"):
            row["Value"] = 4321
    gate = QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=tmp_path / "docs",
                       today=dt.date(2026, 11, 30))  # default EA_GX_MAX_ROWS: Great Expectations validates
    with FakeCbsServer([table]) as server:
        source = CbsSource("live", server.v4_url, server.v3_url, Path("/nonexistent"), tmp_path / "landing", FAST)
        report = load_cbs_table(spec, source, warehouse, batch_id="national", gate=gate)

    assert (report.status, report.mode, report.rows) == ("published", "live", 2 * 16)  # 2 measures x 16 periods
    assert len(report.checks) == 10 and all(o.passed for o in report.checks), \
        {o.check: o.failures for o in report.checks if not o.passed}
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT measure_code, region_code, period_code, other_dimensions, value "
                                    "FROM staging.cbs_observation WHERE table_id = '90090ned'")).fetchall()
        regions = conn.execute(sa.text("SELECT count(*) FROM staging.cbs_region WHERE table_id = '90090ned'")).scalar()
        periods = conn.execute(sa.text("SELECT count(*) FROM staging.cbs_period WHERE table_id = '90090ned'")).scalar()
    assert {r.region_code for r in rows} == {None} and regions == 0 and periods == 16
    assert {r.other_dimensions for r in rows} == {'{"Geslacht": "T001038"}'}
    assert {r.period_code for r in rows} == {"2021JJ00", "2022JJ00", "2023JJ00", "2024JJ00",
                                             *(f"2024MM{m:02d}" for m in range(1, 13))}
    assert [r.value for r in rows if (r.period_code, r.measure_code) == ("2024MM07", "M001234")] == [4321]

"""Comparison groups computed from member municipalities (issue 13, item 5), on DuckDB and PostgreSQL:
the peer group (Twente) where CBS publishes no COROP row, and the municipality's size class; counts summed,
ratios as summed numerator over summed denominator, no value when a member is missing."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_SNAPSHOT_DIR, DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.sqlmodels.known_inputs import load, obs

MODELS = load_project(DEFAULT_SQL_DIR)
PEERS = ["GM0147", "GM1774", "GM0153", "GM0158", "GM0163", "GM0164", "GM1735", "GM0168", "GM0173", "GM1742",
         "GM0183", "GM1700", "GM0189"]  # Twente without Almelo (GM0141), as in cbs_tables.yaml


def failed(results) -> dict[str, list[str]]:
    return {m: [t.name for t in ts if not t.passed] for m, ts in results.items() if any(not t.passed for t in ts)}


def facts(wh: Warehouse, indicator: str) -> dict[tuple[str, str], sa.Row]:
    with wh.engine.connect() as conn:
        return {(r.region_code, r.period_code): r for r in conn.execute(sa.text(
            "SELECT region_code, period_code, value, numerator, denominator, status, source_table "
            "FROM marts.fact_indicator_value WHERE indicator_code = :i"), {"i": indicator})}


def test_twente_population_2024_from_the_real_capture(wh: Warehouse, tmp_path) -> None:
    """Known answer: the 14 Twente municipalities together had 640,806 inhabitants on 1 January 2024."""
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    load_cbs_table(load_cbs_catalogue(DEFAULT_CATALOGUE).table("bevolking"), replay, wh, batch_id="r")
    assert failed(build_all(wh, MODELS)) == {}
    population = facts(wh, "bevolking")
    twente = population[("CR12", "2024JJ00")]
    assert (twente.value, twente.source_table) == (640_806, "03759ned (berekend uit 14 gemeenten)")
    # the size class of Almelo (74,317 inhabitants): every municipality with 50,000 to 100,000 that year,
    # counted here from the capture itself
    rows = json.loads((DEFAULT_SNAPSHOT_DIR / "03759ned" / "observations-page-1.json").read_text())["value"]
    members = [r["Value"] for r in rows if r["Measure"] == "M000352" and r["Perioden"] == "2024JJ00"
               and r["RegioS"].startswith("GM") and r["Value"] is not None and 50_000 <= r["Value"] < 100_000]
    size_class = population[("GK5", "2024JJ00")]
    assert size_class.source_table == f"03759ned (berekend uit {len(members)} gemeenten)" and len(members) > 40
    assert size_class.value == sum(members)
    # merged municipalities keep their figures, with the validity and successor the code list states
    with wh.engine.connect() as conn:
        appingedam = conn.execute(sa.text("SELECT valid_to, successor_code FROM marts.dim_region "
                                          "WHERE code = 'GM0003'")).one()
    assert (str(appingedam.valid_to)[:10], appingedam.successor_code) == ("2021-01-01", "GM1979")
    assert ("GM0003", "2020JJ00") in population and ("GM0003", "2021JJ00") not in population


def test_ratios_are_sums_over_sums_and_a_missing_member_leaves_no_value(wh: Warehouse) -> None:
    rows = [obs("03759ned", "M000352", "GM0141", "2024JJ00", 60_000),
            obs("70072ned", "90210_3", "GM0141", "2024JJ00", 300),
            obs("03759ned", "M000352", "GM0193", "2024JJ00", 80_000),  # same size class, outside Twente
            obs("70072ned", "90210_3", "GM0193", "2024JJ00", 560)]
    for code in PEERS:
        rows += [obs("03759ned", "M000352", code, "2024JJ00", 20_000), obs("70072ned", "90210_3", code, "2024JJ00", 40),
                 obs("03759ned", "M000352", code, "2023JJ00", 20_000)]
        if code != "GM0189":  # one member without a 2023 figure
            rows.append(obs("70072ned", "90210_3", code, "2023JJ00", 40))
    rows += [obs("03759ned", "M000352", "GM0141", "2023JJ00", 59_000),
             obs("70072ned", "90210_3", "GM0141", "2023JJ00", 290)]
    load(wh, rows)
    assert failed(build_all(wh, MODELS)) == {}

    bijstand = facts(wh, "bijstand_per_10000")
    twente = bijstand[("CR12", "2024JJ00")]
    # (300 + 13 x 40) / (60,000 + 13 x 20,000) x 10,000 = 820 / 320,000 x 10,000; the average of the
    # fourteen ratios would be (50 + 13 x 20) / 14 = 22.14
    assert (twente.numerator, twente.denominator, twente.value) == (820, 320_000, pytest.approx(25.625))
    assert twente.source_table == "70072ned (berekend uit 14 gemeenten) / 03759ned (berekend uit 14 gemeenten)"
    assert ("CR12", "2023JJ00") not in bijstand  # GM0189 has no 2023 figure
    assert facts(wh, "bevolking")[("CR12", "2023JJ00")].value == 59_000 + 13 * 20_000  # population is complete
    size_class = bijstand[("GK5", "2024JJ00")]  # Almelo and GM0193: 50,000 to 100,000 inhabitants
    assert (size_class.numerator, size_class.denominator) == (860, 140_000)
    assert size_class.value == round(860 / 140_000 * 10_000, 3)  # a ratio at 3 decimals (README: precision)
    with wh.engine.connect() as conn:
        kern = conn.execute(sa.text("SELECT peer_group_value, size_class, size_class_value FROM marts.kernindicatoren "
                                    "WHERE indicator_code = 'bijstand_per_10000'")).one()
        region = conn.execute(sa.text("SELECT name, level FROM marts.dim_region WHERE code = 'GK5'")).one()
    assert (kern.peer_group_value, kern.size_class) == (pytest.approx(25.625), "GK5")
    assert kern.size_class_value == 61.429
    assert (region.name, region.level) == ("gemeenten met 50.000 tot 100.000 inwoners", "grootteklasse")


def test_a_published_peer_group_row_is_not_replaced_by_a_computed_one(wh: Warehouse) -> None:
    rows = [obs("03759ned", "M000352", code, "2024JJ00", 20_000) for code in ["GM0141", *PEERS]]
    rows.append(obs("03759ned", "M000352", "CR12", "2024JJ00", 281_234))  # CBS's own figure wins
    load(wh, rows)
    assert failed(build_all(wh, MODELS)) == {}
    twente = facts(wh, "bevolking")[("CR12", "2024JJ00")]
    assert (twente.value, twente.source_table) == (281_234, "03759ned")


def _regions(wh: Warehouse, rows: list[tuple[str, str, str | None, str | None, str | None]]) -> None:
    """staging.cbs_region rows (table 03759ned): code, name, valid_from, valid_to, successor."""
    frame = pd.DataFrame(rows, columns=["region_code", "name", "valid_from", "valid_to", "successor_code"])
    frame = frame.assign(table_id="03759ned", load_id="L1").astype({"valid_from": "datetime64[s]",
                                                                  "valid_to": "datetime64[s]"})
    with wh.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM staging.cbs_region"))
        bulk_insert(conn, "staging.cbs_region", frame)


@pytest.mark.parametrize("predecessors_reported", [2, 1])
def test_older_years_of_the_peer_group_use_the_municipalities_that_existed_then(wh: Warehouse,
                                                                                predecessors_reported: int) -> None:
    """Issue 13, item 3: GM0183 (a Twente member) formed on 1 January 2024 from GM9001 and GM9002 (as in CBS's
    code list: "Opgeheven per 01-01-2024, overgegaan naar: ..."). The 2023 figure of Twente adds the two old
    municipalities; 2024 the new one. With one of the two old ones missing, 2023 has no Twente figure."""
    rows = []
    for year in ("2023JJ00", "2024JJ00"):
        rows += [obs("03759ned", "M000352", code, year, 20_000) for code in ["GM0141", *PEERS] if code != "GM0183"]
    rows.append(obs("03759ned", "M000352", "GM0183", "2024JJ00", 31_000))
    rows += [obs("03759ned", "M000352", "GM9001", "2023JJ00", 17_000),
             obs("03759ned", "M000352", "GM9002", "2023JJ00", 13_500)][:predecessors_reported]
    load(wh, rows)
    _regions(wh, [("GM0183", "Nieuwgemeente", "2024-01-01", None, None),
                  ("GM9001", "Oudgemeente A", None, "2024-01-01", "GM0183"),
                  ("GM9002", "Oudgemeente B", "1913-12-01", "2024-01-01", "GM0183")])
    assert failed(build_all(wh, MODELS)) == {}
    population = facts(wh, "bevolking")
    assert population[("CR12", "2024JJ00")].value == 13 * 20_000 + 31_000
    if predecessors_reported == 2:
        older = population[("CR12", "2023JJ00")]
        assert (older.value, older.source_table) == (13 * 20_000 + 17_000 + 13_500,
                                                   "03759ned (berekend uit 15 gemeenten)")
    else:
        assert ("CR12", "2023JJ00") not in population
    with wh.engine.connect() as conn:
        old = conn.execute(sa.text("SELECT name, valid_from, valid_to, successor_code FROM marts.dim_region "
                                   "WHERE code = 'GM9001'")).one()
    assert (old.name, str(old.valid_to)[:10], old.successor_code) == ("Oudgemeente A", "2024-01-01", "GM0183")


def test_a_table_recalculated_to_todays_classification_keeps_the_configured_members(wh: Warehouse) -> None:
    """A table like 85969NED ("regio (indeling 2023)") has today's municipality in every year, also before it
    existed: its figure is used, the predecessors (absent from that table) are not required."""
    rows = [obs("03759ned", "M000352", code, year, 20_000) for code in ["GM0141", *PEERS]
            for year in ("2023JJ00", "2024JJ00")]
    load(wh, rows)
    _regions(wh, [("GM0183", "Nieuwgemeente", "2024-01-01", None, None),
                  ("GM9001", "Oudgemeente A", None, "2024-01-01", "GM0183")])
    assert failed(build_all(wh, MODELS)) == {}
    population = facts(wh, "bevolking")
    assert population[("CR12", "2023JJ00")].value == population[("CR12", "2024JJ00")].value == 14 * 20_000

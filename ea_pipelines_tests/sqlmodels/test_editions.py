"""The marts take each period from one edition (issue 13, item 2), on DuckDB and PostgreSQL: 85969NED
(indeling 2023) and its successor 86111NED (indeling 2024) both published; for a period both have, every
figure of that period (also the ratio's numerator and denominator, also the computed Twente and size-class
comparisons) comes from 86111NED; a period only the older edition has comes from 85969NED, whole."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.settings import DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, load, obs

MODELS = load_project(DEFAULT_SQL_DIR)
WORK, POP = "WerkzameBeroepsbevolking_2", "BeroepsEnNietBeroepsbevolking_1"


def record_editions(wh: Warehouse, *ids: str) -> None:
    with wh.engine.begin() as conn:
        bulk_insert(conn, "staging.cbs_edition", pd.DataFrame(
            [{"table_id": ids[0], "edition_table_id": t, "edition_rank": i + 1, "title": None, "status": None,
              "origin": "test", "recorded_at": dt.datetime(2026, 11, 30)} for i, t in enumerate(ids)]))


def test_each_period_of_the_marts_comes_from_the_newest_edition_that_has_it(wh: Warehouse) -> None:
    write_seeds(wh, load_catalogues(Settings()))
    older = [o for o in BASE if o["table_id"] != "85969NED"] + [
        obs("85969NED", WORK, "GM0141", "2022JJ00", 34.0), obs("85969NED", POP, "GM0141", "2022JJ00", 53.0),
        obs("85969NED", WORK, "GM0141", "2023JJ00", 35.0), obs("85969NED", POP, "GM0141", "2023JJ00", 53.5),
        obs("85969NED", WORK, "NL01", "2023JJ00", 9_700.0)]
    newer = [  # the 2024 classification: 2023 recalculated, and 2024; no national figure for 2023
        obs("86111NED", WORK, "GM0141", "2023JJ00", 35.4, load_id="L2"),
        obs("86111NED", POP, "GM0141", "2023JJ00", 54.2, load_id="L2"),
        obs("86111NED", WORK, "GM0141", "2024JJ00", 36.1, load_id="L2"),
        obs("86111NED", POP, "GM0141", "2024JJ00", 54.9, load_id="L2")]
    load(wh, older + newer)
    record_editions(wh, "85969NED", "86111NED")
    results = build_all(wh, MODELS)
    assert not {m: [t.name for t in tests if not t.passed] for m, tests in results.items()
                if any(not t.passed for t in tests)}
    with wh.engine.connect() as conn:
        facts = {(r.indicator_code, r.region_code, r.period_code): r for r in conn.execute(sa.text(
            "SELECT indicator_code, region_code, period_code, value, numerator, denominator, source_table "
            "FROM marts.fact_indicator_value WHERE indicator_code IN ('werkzame_beroepsbevolking', "
            "'netto_arbeidsparticipatie')"))}
    work = {k[1:]: (r.value, r.source_table) for k, r in facts.items() if k[0] == "werkzame_beroepsbevolking"}
    # 2022: only the older edition has it; 2023 and 2024: the newer, whole (the older's NL01 2023 is not mixed in)
    assert work == {("GM0141", "2022JJ00"): (34.0, "85969NED"), ("GM0141", "2023JJ00"): (35.4, "86111NED"),
                    ("GM0141", "2024JJ00"): (36.1, "86111NED")}
    ratio = facts[("netto_arbeidsparticipatie", "GM0141", "2023JJ00")]
    assert (ratio.numerator, ratio.denominator, ratio.source_table) == (35.4, 54.2, "86111NED")


def test_without_recorded_editions_each_table_is_its_own(wh: Warehouse) -> None:
    """Tables loaded without editions (none in staging.cbs_edition) reach the marts as before."""
    write_seeds(wh, load_catalogues(Settings()))
    load(wh, BASE)
    build_all(wh, MODELS)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT period_code, value, source_table FROM marts.fact_indicator_value "
            "WHERE indicator_code = 'werkzame_beroepsbevolking' AND region_code = 'GM0141' ORDER BY 1")).fetchall()
    assert [tuple(r) for r in rows] == [("2023JJ00", 35.0, "85969NED"), ("2024JJ00", 36.0, "85969NED")]

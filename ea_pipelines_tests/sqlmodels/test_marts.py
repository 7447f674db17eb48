"""The marts on small known inputs, on DuckDB and PostgreSQL: every computed indicator, the
kernindicatoren judgement, and revisions between two loads."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, T0, deliver, load

MODELS = load_project(DEFAULT_SQL_DIR)


def fact(wh: Warehouse, indicator: str, region: str = "GM0141", period: str = "2024JJ00") -> sa.Row:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT value, numerator, denominator, status, source_table, load_id, fetched_at "
            "FROM marts.fact_indicator_value WHERE indicator_code = :i AND region_code = :r AND period_code = :p"),
            {"i": indicator, "r": region, "p": period}).one()


def failed_tests(results) -> dict[str, list[str]]:
    return {m: [t.name for t in tests if not t.passed] for m, tests in results.items() if any(not t.passed
                                                                                              for t in tests)}


def test_computed_indicators_known_answers(wh: Warehouse) -> None:
    load(wh, BASE)
    assert failed_tests(build_all(wh, MODELS)) == {}
    bijstand = fact(wh, "bijstand_per_10000")
    assert (bijstand.value, bijstand.numerator, bijstand.denominator) == (50.0, 300.0, 60_000.0)
    assert bijstand.status == "voorlopig" and bijstand.source_table == "70072ned / 03759ned"
    assert bijstand.load_id == "L1" and bijstand.fetched_at == T0
    assert fact(wh, "bijstand_per_10000", period="2023JJ00").value == pytest.approx(56.0)
    assert fact(wh, "bijstand_per_10000", region="NL01").value == pytest.approx(300.0)
    assert fact(wh, "vestigingen_per_1000").value == pytest.approx(100.0)
    assert fact(wh, "netto_arbeidsparticipatie").value == 66.667  # a ratio at 3 decimals (README: precision)
    assert fact(wh, "werkzame_beroepsbevolking").value == 36.0
    assert fact(wh, "werkloze_beroepsbevolking").value == 2.0
    assert fact(wh, "banen").value == pytest.approx(38.2)
    assert fact(wh, "bevolking").value == 60_000


def test_kernindicatoren_has_eleven_rows_and_judges_targets(wh: Warehouse) -> None:
    load(wh, BASE)
    deliver(wh)
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        rows = {r.indicator_code: r for r in conn.execute(sa.text("SELECT * FROM marts.kernindicatoren"))}
    assert len(rows) == 11
    rank = rows["mkb_ranking_positie"]
    assert (rank.latest_period, rank.latest_value, rank.previous_value, rank.change) == ("2024JJ00", 8, 12, -4)
    assert (rank.target_met, rank.target_status) == (True, "behaald")  # rank 8 <= 10
    assert (rows["tevredenheid_dienstverlening"].target_met, rows["tevredenheid_dienstverlening"].target_status) == (
        False, "niet behaald")  # 6.9 < 7
    bijstand = rows["bijstand_per_10000"]
    assert (bijstand.latest_value, bijstand.previous_value, bijstand.country_value) == (50.0, 56.0, 300.0)
    assert bijstand.target_status == "behaald" and bijstand.cbs_status == "voorlopig"  # falling is better
    work = rows["werkzame_beroepsbevolking"]
    assert work.target_status == "behaald" and work.change == 1.0
    uwv = rows["spanningsindicator"]
    assert (uwv.region_code, uwv.latest_value, uwv.target_status) == ("CR12", 1.35, "geen streefwaarde")
    assert rows["groenblauw_waardering"].target_status == "geen data"
    assert rows["groenblauw_waardering"].latest_value is None


def test_revisions_between_two_loads(wh: Warehouse) -> None:
    load(wh, BASE, "L1")
    build_all(wh, MODELS)
    revised = [dict(o) for o in BASE]
    for o in revised:
        o["load_id"] = "L2"
        if o["table_id"] == "70072ned" and o["measure_code"] == "90210_3" and o["region_code"] == "GM0141" \
                and o["period_code"] == "2024JJ00":
            o["value"], o["period_status"] = 312, "definitief"  # CBS revised the provisional figure
    load(wh, revised, "L2")
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        rev = conn.execute(sa.text("SELECT * FROM marts.indicator_revision WHERE indicator_code = 'bijstand_per_10000'"
                                   " AND region_code = 'GM0141'")).all()
        others = conn.execute(sa.text("SELECT count(*) FROM marts.indicator_revision "
                                      "WHERE indicator_code <> 'bijstand_per_10000'")).scalar()
    assert len(rev) == 1 and others == 0
    r = rev[0]
    assert (r.period_code, r.old_value, r.new_value, r.old_status, r.new_status) == (
        "2024JJ00", 50.0, 52.0, "voorlopig", "definitief")
    assert (r.old_load_id, r.new_load_id) == ("L1", "L2")
    build_all(wh, MODELS)  # nothing changed: nothing appended
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.indicator_revision")).scalar() == 1


def test_a_failed_build_keeps_the_previous_table(wh: Warehouse) -> None:
    load(wh, BASE)
    build_all(wh, MODELS)
    kern = next(m for m in MODELS if m.name == "kernindicatoren")
    broken = type(kern)(**{**kern.__dict__, "sql": kern.sql + "\nunion all select 1"})  # wrong column count
    from ea_pipelines.sqlmodels.runner import build, relations

    with pytest.raises(sa.exc.DBAPIError):
        build(wh, broken, relations(MODELS))
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar() == 11


def test_every_model_column_is_documented_and_the_dictionary_is_current(tmp_path) -> None:
    from ea_pipelines.sqlmodels.docs import render_docs
    from ea_pipelines.sqlmodels.runner import columns

    wh = Warehouse(f"duckdb:///{tmp_path}/ea.duckdb")
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(wh, load_catalogues(Settings()))
    load(wh, BASE)
    build_all(wh, MODELS)
    for model in MODELS:
        assert columns(wh, model) == list(model.columns), f"{model.path}: documented columns differ from the table"
    wh.dispose()
    committed = (DEFAULT_SQL_DIR.parent / "docs" / "warehouse.md").read_text(encoding="utf-8")
    assert committed == render_docs(MODELS, load_catalogues(Settings())), "docs/warehouse.md is stale: run `make docs`"

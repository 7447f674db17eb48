"""Provenance classes through the marts, on DuckDB and PostgreSQL: a derived value takes the weakest class of
its parts (expectations written by hand, not computed with ea_pipelines.provenance)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load, obs
from ea_pipelines_tests.sqlmodels.test_marts import MODELS, failed_tests

#: (numerator class, population class) -> class of the ratio bijstand per 10,000 inhabitants; by hand.
RATIO_CASES = {
    ("cbs_live", "cbs_live"): "cbs_live",
    ("cbs_live", "cbs_capture"): "cbs_capture",
    ("cbs_live", "synthetic"): "synthetic",
    ("cbs_capture", "cbs_live"): "cbs_capture",
    ("cbs_capture", "cbs_capture"): "cbs_capture",
    ("cbs_capture", "synthetic"): "synthetic",
    ("synthetic", "cbs_live"): "synthetic",
    ("synthetic", "cbs_capture"): "synthetic",
    ("synthetic", "synthetic"): "synthetic",
}
YEARS = [f"{2010 + i}JJ00" for i in range(len(RATIO_CASES))]


def ratio_inputs() -> tuple[list[dict], dict[str, str]]:
    """One year per case: the numerator and the population of that year each published by its own load."""
    rows, classes = [], {}
    for year, (num, den) in zip(YEARS, RATIO_CASES, strict=True):
        rows.append(obs("70072ned", "90210_3", "GM0141", year, 300, load_id=f"N{year}"))
        rows.append(obs("03759ned", "M000352", "GM0141", year, 60_000, load_id=f"P{year}"))
        classes |= {f"N{year}": num, f"P{year}": den}
    return rows, classes


def facts(wh: Warehouse, indicator: str) -> dict[tuple[str, str], str]:
    with wh.engine.connect() as conn:
        return {(r.region_code, r.period_code): r.provenance for r in conn.execute(sa.text(
            "SELECT region_code, period_code, provenance FROM marts.fact_indicator_value WHERE indicator_code = :i"),
            {"i": indicator})}


def test_a_ratio_takes_the_weakest_class_of_its_parts(wh: Warehouse) -> None:
    rows, classes = ratio_inputs()
    load(wh, rows, provenance_by_load=classes)
    assert failed_tests(build_all(wh, MODELS)) == {}
    got = facts(wh, "bijstand_per_10000")
    assert got == {("GM0141", year): want for year, want in zip(YEARS, RATIO_CASES.values(), strict=True)}
    # the parts keep their own class
    population = facts(wh, "bevolking")
    assert population[("GM0141", YEARS[2])] == "synthetic" and population[("GM0141", YEARS[0])] == "cbs_live"


def test_participation_of_a_real_and_a_synthetic_count_is_synthetic(wh: Warehouse) -> None:
    rows = [obs("85969NED", "WerkzameBeroepsbevolking_2", "GM0141", "2024JJ00", 36.0, load_id="W"),
            obs("85969NED", "BeroepsEnNietBeroepsbevolking_1", "GM0141", "2024JJ00", 54.0, load_id="T"),
            obs("85969NED", "WerkzameBeroepsbevolking_2", "GM0141", "2023JJ00", 35.0, load_id="W"),
            obs("85969NED", "BeroepsEnNietBeroepsbevolking_1", "GM0141", "2023JJ00", 50.0, load_id="W")]
    load(wh, rows, provenance_by_load={"W": "cbs_live", "T": "synthetic"})
    assert failed_tests(build_all(wh, MODELS)) == {}
    assert facts(wh, "netto_arbeidsparticipatie") == {("GM0141", "2024JJ00"): "synthetic",
                                                      ("GM0141", "2023JJ00"): "cbs_live"}
    assert facts(wh, "werkzame_beroepsbevolking") == {("GM0141", "2024JJ00"): "cbs_live",
                                                      ("GM0141", "2023JJ00"): "cbs_live"}


@pytest.mark.parametrize("delivered", ["partner", "illustrative"])
def test_delivered_values_carry_the_class_of_their_file(wh: Warehouse, delivered: str) -> None:
    load(wh, BASE, provenance="cbs_live")
    deliver(wh, provenance=delivered)
    assert failed_tests(build_all(wh, MODELS)) == {}
    assert set(facts(wh, "mkb_ranking_positie").values()) == {delivered}
    assert set(facts(wh, "spanningsindicator").values()) == {delivered}
    assert set(facts(wh, "bevolking").values()) == {"cbs_live"}


def test_kernindicatoren_say_what_each_figure_and_judgement_rests_on(wh: Warehouse) -> None:
    """bijstand: latest 2024 synthetic, 2023 live (falling target: judged on both, so synthetic); the
    country's 2024 figure is live. mkb ranking (at most 10): illustrative."""
    rows = [dict(o, load_id="S" if o["table_id"] == "70072ned" and o["period_code"] == "2024JJ00"
                 and o["region_code"] == "GM0141" else "R") for o in BASE]
    load(wh, rows, provenance_by_load={"S": "synthetic", "R": "cbs_live"})
    deliver(wh, provenance="illustrative")
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        k = {r.indicator_code: r for r in conn.execute(sa.text("SELECT * FROM marts.kernindicatoren"))}
        region = conn.execute(sa.text("SELECT population_provenance FROM marts.dim_region WHERE code = 'GM0141'"))
        assert region.scalar() == "cbs_live"
    b = k["bijstand_per_10000"]
    assert (b.provenance, b.previous_provenance, b.country_provenance, b.status_provenance) == (
        "synthetic", "cbs_live", "cbs_live", "synthetic")
    # an invented figure is never judged, in the mart as in the report; the CBS status is its own column
    assert (b.target_status, b.target_met, b.cbs_status) == ("niet beoordeeld", None, "voorlopig")
    m = k["mkb_ranking_positie"]
    assert (m.provenance, m.previous_provenance, m.status_provenance) == ("illustrative", "illustrative",
                                                                          "illustrative")
    assert (m.target_status, m.target_met) == ("niet beoordeeld", None)
    w = k["werkzame_beroepsbevolking"]  # rising target, both years live
    assert (w.provenance, w.status_provenance) == ("cbs_live", "cbs_live")
    assert (w.target_status, w.target_met) == ("behaald", True)  # real figures are judged
    u = k["spanningsindicator"]  # no target: no judgement to rest on anything
    assert (u.provenance, u.status_provenance) == ("illustrative", None)
    assert u.target_status == "geen streefwaarde"
    g = k["groenblauw_waardering"]  # no data
    assert (g.provenance, g.status_provenance) == (None, None)


def test_a_value_of_unknown_origin_fails_the_model_tests(wh: Warehouse) -> None:
    """A CBS row whose load recorded no class must not pass as real: the not_null tests catch it."""
    load(wh, BASE)
    with wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta.load_log SET provenance = NULL"))
    failed = failed_tests(build_all(wh, MODELS))
    assert "not_null_provenance" in failed["stg_cbs_value"]
    assert "not_null_provenance" in failed["fact_indicator_value"]


def revise(value: float, load_id: str) -> list[dict]:
    """BASE with bijstand's numerator for Almelo 2024 set to ``value``, all published by ``load_id``."""
    out = [dict(o, load_id=load_id) for o in BASE]
    for o in out:
        if (o["table_id"], o["measure_code"], o["region_code"], o["period_code"]) == (
                "70072ned", "90210_3", "GM0141", "2024JJ00"):
            o["value"] = value
    return out


def test_revisions_record_both_classes_also_in_a_warehouse_built_before_provenance(wh: Warehouse) -> None:
    """A warehouse whose fact table and revision log predate the provenance columns: the next builds add them
    (empty for what came before) instead of failing."""
    load(wh, revise(300, "L1"), "L1", provenance="synthetic")
    build_all(wh, MODELS)
    load(wh, revise(306, "L2"), "L2", provenance="synthetic")
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.begin() as conn:  # as an older release left them
        for table, col in (("indicator_revision", "old_provenance"), ("indicator_revision", "new_provenance"),
                           ("fact_indicator_value", "provenance")):
            conn.execute(sa.text(f"ALTER TABLE marts.{table} DROP COLUMN {col}"))
    load(wh, revise(312, "L3"), "L3", provenance="cbs_live")
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT old_value, new_value, old_provenance, new_provenance FROM marts.indicator_revision "
            "WHERE indicator_code = 'bijstand_per_10000' AND region_code = 'GM0141' ORDER BY new_value")).all()
    assert [(round(r[0], 6), round(r[1], 6), r[2], r[3]) for r in rows] == [(50.0, 51.0, None, None),
                                                                            (51.0, 52.0, None, "cbs_live")]
    load(wh, revise(318, "L4"), "L4", provenance="cbs_live")
    assert failed_tests(build_all(wh, MODELS)) == {}
    with wh.engine.connect() as conn:
        last = conn.execute(sa.text(
            "SELECT old_provenance, new_provenance FROM marts.indicator_revision WHERE new_value > 52.5")).one()
    assert tuple(last) == ("cbs_live", "cbs_live")

"""CBS-based indicators are configuration (issue 13, item 4): a new ratio declared in indicators.yaml alone
reaches marts.fact_indicator_value and the report, on DuckDB and PostgreSQL. (It is a context figure: the
plan has exactly eleven kernindicatoren, which dim_indicator's own test holds.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.cbs import load_cbs_catalogue
from ea_pipelines.catalogue.indicators import load_indicator_catalogue
from ea_pipelines.report.content import read_content
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_INDICATOR_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import indicator_cbs_frame, write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, load, obs

MODELS = load_project(DEFAULT_SQL_DIR)

#: appended to a copy of the real indicators.yaml, exactly as a user would write them
NEW_INDICATORS = """
  - {code: uitkeringen_per_1000, order: 30, kern: false, goal: match,
     name: "Uitkeringsontvangers per 1.000 inwoners", operational_goal: "", unit: per 1 000 inwoners,
     higher_is_better: false, target: "dalend", target_kind: falling,
     source: "CBS 70072ned / CBS 03759ned", frequency: jaarlijks,
     cbs: {numerator: {table: 70072ned, measure: X033647}, denominator: {table: 03759ned, measure: M000352},
           scale: 1000}}
  - {code: werkzame_mannen, order: 31, kern: false, goal: match, name: "Werkzame beroepsbevolking, mannen (x 1 000)",
     operational_goal: "", unit: x 1 000, higher_is_better: true, target: "", target_kind: none,
     source: "CBS 90001NED (illustrative)", frequency: jaarlijks,
     cbs: {table: 90001NED, measure: Werkzaam_1, filter: {Geslacht: "3000"}}}
"""


def with_dims(row: dict, **dims: str) -> dict:
    import json

    return {**row, "other_dimensions": json.dumps(dims, sort_keys=True)}


@pytest.fixture
def indicators(tmp_path: Path) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(DEFAULT_INDICATOR_CATALOGUE.read_text(encoding="utf-8") + NEW_INDICATORS, encoding="utf-8")
    return path


def test_a_ratio_declared_in_indicators_yaml_reaches_the_marts_and_the_report(wh: Warehouse,
                                                                              indicators: Path) -> None:
    write_seeds(wh, load_catalogues(Settings(indicator_catalogue_path=indicators)))
    load(wh, [*BASE, obs("70072ned", "X033647", "GM0141", "2024JJ00", 9_000),
              obs("70072ned", "X033647", "GM0141", "2023JJ00", 8_000),
              with_dims(obs("90001NED", "Werkzaam_1", "GM0141", "2022JJ00", 19.5), Geslacht="3000", Leeftijd="10000"),
              with_dims(obs("90001NED", "Werkzaam_1", "GM0141", "2022JJ00", 16.0), Geslacht="4000", Leeftijd="10000")])
    results = build_all(wh, MODELS)
    assert not {m: [t.name for t in tests if not t.passed] for m, tests in results.items()
                if any(not t.passed for t in tests)}
    with wh.engine.connect() as conn:
        facts = {(r.indicator_code, r.period_code): r for r in conn.execute(sa.text(
            "SELECT indicator_code, period_code, value, numerator, denominator, source_table "
            "FROM marts.fact_indicator_value WHERE region_code = 'GM0141' "
            "AND indicator_code IN ('uitkeringen_per_1000', 'werkzame_mannen')"))}
    new = facts[("uitkeringen_per_1000", "2024JJ00")]
    assert (new.value, new.numerator, new.denominator, new.source_table) == (150.0, 9_000, 60_000,
                                                                             "70072ned / 03759ned")
    assert facts[("uitkeringen_per_1000", "2023JJ00")].value == 160.0  # 8,000 / 50,000 x 1,000
    assert set(facts) == {("uitkeringen_per_1000", "2024JJ00"), ("uitkeringen_per_1000", "2023JJ00"),
                          ("werkzame_mannen", "2022JJ00")}
    assert facts[("werkzame_mannen", "2022JJ00")].value == 19.5  # the filter picks Geslacht 3000 only
    report = read_content(wh.engine, now=dt.datetime(2026, 11, 30))
    sections = {s.code: s for goal in report.goals for s in goal.sections}
    new_section = sections["uitkeringen_per_1000"]
    assert (new_section.latest_value, new_section.previous_value, new_section.status) == (150.0, 160.0, "context")
    assert new_section.name == "Uitkeringsontvangers per 1.000 inwoners"
    assert "werkzame_mannen" in sections


def test_the_bundled_declarations_name_catalogue_measures() -> None:
    """Every table and measure an indicator is computed from is one the CBS catalogue loads."""
    catalogue = load_cbs_catalogue(DEFAULT_CATALOGUE)
    measures = {(t.table_id, m) for t in catalogue.tables for m in t.measure_codes}
    declared = indicator_cbs_frame(load_indicator_catalogue(DEFAULT_INDICATOR_CATALOGUE))
    assert set(zip(declared.table_id, declared.measure_code, strict=True)) <= measures
    assert set(declared.indicator_code) == {"werkzame_beroepsbevolking", "bijstand_per_10000",
                                            "werkloze_beroepsbevolking", "niet_beroepsbevolking",
                                            "netto_arbeidsparticipatie", "banen", "vestigingen_per_1000", "bevolking"}


@pytest.mark.parametrize("cbs, problem", [
    ({"table": "70072ned"}, "cbs value needs a table and a measure"),
    ({"numerator": {"table": "70072ned", "measure": "X"}}, "cbs must be"),
    ({"table": "70072ned", "measure": "X", "numerator": {}}, "cbs must be"),
])
def test_a_malformed_declaration_names_the_indicator(tmp_path: Path, cbs: dict, problem: str) -> None:
    raw = yaml.safe_load(DEFAULT_INDICATOR_CATALOGUE.read_text(encoding="utf-8"))
    raw["indicators"][0]["cbs"] = cbs
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match=f"indicator {raw['indicators'][0]['code']}: {problem}"):
        indicator_cbs_frame(load_indicator_catalogue(path))

"""swing_variables.yaml: the bundled catalogue loads, and a wrong entry fails naming the file and the entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.cbs import CatalogueError
from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.settings import Settings
from ea_pipelines.sqlmodels.seeds import indicator_swing_frame

#: the bundled catalogues (the defaults of the settings)
BUNDLED = load_catalogues(Settings())
INDICATORS = BUNDLED.indicators.codes

GOOD = {"name": "grond", "variable": "kp_grond", "title": "Grond", "unit": "hectare", "indicator": "grond_lokaal_mkb"}


DEFAULTS = "defaults: {geo_level: gemeente, period_level: year}"


def write(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "swing.yaml"
    path.write_text(f"{DEFAULTS}\nvariables: {json.dumps(list(entries))}\n")
    return path


def test_the_bundled_catalogue_provides_the_three_kennispunt_indicators() -> None:
    catalogue = BUNDLED.swing
    assert {v.indicator for v in catalogue.variables} == {
        "bedrijventerrein_actieve_vereniging", "grond_lokaal_mkb", "groenblauw_waardering"}
    table = catalogue.variable("groenblauw_waardering").table()
    assert table.value_ranges == {table.table_id: (1, 10)} and table.period_from == "2019JJ00"
    seeds = indicator_swing_frame(catalogue)
    assert set(seeds.indicator_code) == {v.indicator for v in catalogue.variables}
    assert set(seeds["aggregate"]) == {"none"} and (seeds.table_id == seeds.measure_code).all()


@pytest.mark.parametrize("change,message", [
    ({"variable": "kp grond'"}, "variable \"kp grond'\" may only hold letters"),
    ({"indicator": "no_such_indicator"}, "indicator 'no_such_indicator' is not in indicators.yaml"),
    ({"geo_level": "wijk"}, "geo_level 'wijk' is not supported"),
    ({"period_level": "quarter"}, "period_level 'quarter' is not supported"),
    ({"periods": {"from": "2019JJ00"}}, "periods.from '2019JJ00' is not a year"),
    ({"unit": ""}, "missing required key 'unit'"),
])
def test_a_wrong_entry_is_named(tmp_path: Path, change: dict, message: str) -> None:
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(CatalogueError, match="variables\\[0\\] \\(grond\\)") as err:
        load_swing_catalogue(path, indicators=INDICATORS)
    assert message in str(err.value) and str(path) in str(err.value)


def test_duplicates_and_a_code_equal_to_a_cbs_table_id_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="duplicate variable: kp_grond"):
        load_swing_catalogue(write(tmp_path, GOOD, {**GOOD, "name": "other"}))
    with pytest.raises(CatalogueError, match="03759NED equal a CBS table id"):
        load_swing_catalogue(write(tmp_path, {**GOOD, "variable": "03759NED"}), cbs_table_ids={"03759ned"})

"""Precedence in marts.fact_indicator_value: an indicator Kennispunt Twente publishes in its Swing Open Data
Service and also delivers as a spreadsheet gets one value per region and period, by the documented rule
(strongest provenance class, then the latest), and precedence_note says which was taken over which."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.settings import Settings
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines_tests.sqlmodels.known_inputs import T0, obs
from ea_pipelines_tests.sqlmodels.test_marts import MODELS, failed_tests

#: provides indicator grond_lokaal_mkb
VAR = load_swing_catalogue(Settings().swing_catalogue_path).by_code("kp_grond_lokaal_mkb_ha")


def publish_swing(wh: Warehouse, values: dict[str, float], provenance: str) -> None:
    """The variable's values for GM0141 per year, as a published Swing load of class ``provenance``."""
    rows = [obs(VAR.variable, VAR.variable, "GM0141", f"{year}JJ00", v, load_id="S1") for year, v in values.items()]
    with wh.engine.begin() as conn:
        bulk_insert(conn, "staging.cbs_observation", pd.DataFrame(rows))
        conn.execute(sa.text("INSERT INTO meta.load_log (load_id, batch_id, source, table_id, started_at, finished_at, "
                             "status, provenance) VALUES ('S1', 'b', 'swing', :v, :t, :t, 'published', :p)"),
                     {"v": VAR.variable, "t": T0, "p": provenance})


def deliver_kennispunt(wh: Warehouse, values: dict[str, float], provenance: str) -> None:
    with wh.engine.begin() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("kennispunt_twente", schema="staging")]
        known = {"indicator_code": "grond_lokaal_mkb", "region_code": "GM0141", "unit": "hectare",
                 "load_id": "K1", "source_file": "kennispunt.xlsx"}
        rows = [{**{c: None for c in columns}, **known, "period": f"{year}JJ00", "value": v, "source_row": i + 2}
                for i, (year, v) in enumerate(values.items())]
        bulk_insert(conn, "staging.kennispunt_twente", pd.DataFrame(rows, columns=columns))
        conn.execute(sa.text("INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, "
                             "received_at, status, provenance) VALUES ('K1', 'kennispunt_twente', 'kennispunt.xlsx', "
                             "'h', 1, :t, 'accepted', :p)"), {"t": T0, "p": provenance})


def facts(wh: Warehouse) -> dict[str, tuple]:
    with wh.engine.connect() as conn:
        return {r.period_code: (r.value, r.source, r.provenance, r.precedence_note) for r in conn.execute(sa.text(
            "SELECT period_code, value, source, provenance, precedence_note FROM marts.fact_indicator_value "
            "WHERE indicator_code = 'grond_lokaal_mkb' AND region_code = 'GM0141'"))}


@pytest.mark.parametrize("api,delivery,winner", [
    ("swing_live", "partner", "api"),          # live publication over a spreadsheet
    ("swing_capture", "partner", "delivery"),  # a real delivery over a replayed capture
    ("synthetic", "partner", "delivery"),      # never an invented figure over a real one
    ("synthetic", "illustrative", "api"),      # both invented: synthetic ranks above illustrative
])
def test_one_value_per_region_and_period_by_provenance(wh: Warehouse, api: str, delivery: str, winner: str) -> None:
    publish_swing(wh, {2022: 11.0, 2023: 12.0}, api)
    deliver_kennispunt(wh, {2023: 99.0, 2024: 98.0}, delivery)
    assert failed_tests(build_all(wh, MODELS)) == {}
    got = facts(wh)
    assert got["2022JJ00"][:3] == (11.0, "Kennispunt Twente (open data)", api) and got["2022JJ00"][3] is None
    assert got["2024JJ00"][:3] == (98.0, "Kennispunt Twente", delivery) and got["2024JJ00"][3] is None
    value, source, provenance, note = got["2023JJ00"]
    if winner == "api":
        assert (value, source, provenance) == (12.0, "Kennispunt Twente (open data)", api)
        assert note.startswith("gekozen: Kennispunt Twente (open data)") and "niet gekozen: Kennispunt Twente [" in note
    else:
        assert (value, source, provenance) == (99.0, "Kennispunt Twente", delivery)
        assert note.startswith("gekozen: Kennispunt Twente [") and "niet gekozen: Kennispunt Twente (open data)" in note
    with wh.engine.connect() as conn:
        kern = conn.execute(sa.text("SELECT latest_period, value_source, precedence_note FROM marts.kernindicatoren "
                                    "WHERE indicator_code = 'grond_lokaal_mkb'")).one()
    assert (kern.latest_period, kern.value_source, kern.precedence_note) == ("2024JJ00", "Kennispunt Twente", None)


def test_the_report_says_which_source_was_taken(wh: Warehouse) -> None:
    from ea_pipelines.report.content import read_content

    publish_swing(wh, {2023: 12.0, 2024: 13.0}, "swing_live")
    deliver_kennispunt(wh, {2024: 98.0}, "partner")
    assert failed_tests(build_all(wh, MODELS)) == {}
    content = read_content(wh.engine)
    section = next(s for s in content.sections if s.code == "grond_lokaal_mkb")
    assert section.latest_value == 13.0
    note = next(n for n in section.notes if n.startswith("Bronkeuze"))
    assert "gekozen: Kennispunt Twente (open data)" in note and "niet gekozen: Kennispunt Twente [partnerlevering]" \
        in note

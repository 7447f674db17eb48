"""EA_SWING_CATALOGUE honoured end to end (issue 21, Done when): another catalogue of three variables, with codes
the bundled one does not have, served live by the fake Swing ODS that wants an API key. The nightly carries
them into marts.fact_indicator_value with source "Kennispunt Twente (open data)" and provenance swing_live,
exactly the values served, and the three Kennispunt kernindicatoren get their figures from them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.definitions import build_definitions
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.settings import Settings
from ea_pipelines_tests.defs.test_definitions import settings_for

PERIODS = ("2021", "2022", "2023")
KEY = "k-swing-setting"
#: (asset name, variable code, indicator, unit, lowest value): codes unlike the bundled catalogue's
OTHER = [("twente_bt_vereniging", "tw_bt_vereniging_pct", "bedrijventerrein_actieve_vereniging", "procent", 40.0),
         ("twente_grond_mkb", "tw_grond_mkb_ha", "grond_lokaal_mkb", "hectare", 3.0),
         ("twente_panel_groen", "tw_panel_groen_cijfer", "groenblauw_waardering", "cijfer", 6.0)]


def served(low: float, var: int) -> dict[tuple[str, str], str]:
    """A distinct value per region and period (one decimal), as the ODS writes it."""
    return {(code, p): f"{low + r * 0.3 + j * 0.1 + var * 0.01:.2f}"
            for r, (code, _) in enumerate(TWENTE) for j, p in enumerate(PERIODS)}


def write_catalogue(path: Path) -> Path:
    raw = {"site": "Another Swing site (test)", "defaults": {"geo_level": "gemeente", "period_level": "year"},
           "variables": [{"name": n, "variable": c, "title": f"Titel van {c}", "indicator": i, "unit": u,
                          "periods": {"from": 2019}} for n, c, i, u, _ in OTHER]}
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.timeout(600)  # one whole nightly, live
def test_another_swing_catalogue_reaches_the_facts_live(cbs_server: FakeCbsServer, tmp_path: Path) -> None:
    values = {code: served(low, k) for k, (_, code, _, _, low) in enumerate(OTHER)}
    variables = [FakeVariable(code, f"Titel van {code}", values[code]) for _, code, *_ in OTHER]
    catalogue = write_catalogue(tmp_path / "other_swing.yaml")
    with FakeSwingServer(variables, periods=PERIODS, api_key=KEY) as ods, dg.DagsterInstance.ephemeral() as instance:
        settings = settings_for(tmp_path / "work", EA_SOURCE_MODE="live", EA_CBS_V4_URL=cbs_server.v4_url,
                                EA_CBS_V3_URL=cbs_server.v3_url, EA_SWING_ODS_URL=ods.ods_url,
                                EA_SWING_API_KEY=KEY, EA_SWING_CATALOGUE=str(catalogue))
        defs = build_definitions(settings)
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=instance, raise_on_error=False)
        requested = {code for _, code, *_ in OTHER if any(f"Variables('{code}')" in r for r in ods.requests)}
    assert result.success, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert requested == set(values) and set(ods.keys_seen) == {KEY}  # every request carried the key

    bundled = {v.name for v in load_swing_catalogue(Settings().swing_catalogue_path).variables}
    kennispunt = {k.path[1] for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "kennispunt"}
    assert kennispunt == {n for n, *_ in OTHER} and not kennispunt & bundled

    engine = sa.create_engine(settings.warehouse_url)
    with engine.connect() as conn:
        seeds = conn.execute(sa.text("SELECT indicator_code, table_id FROM staging.seed_indicator_cbs "
                                     "WHERE aggregate = 'none' AND table_id = measure_code")).fetchall()
        facts = conn.execute(sa.text(
            "SELECT indicator_code, region_code, period_code, value, source, provenance, source_table "
            "FROM marts.fact_indicator_value WHERE indicator_code IN :codes").bindparams(
            sa.bindparam("codes", expanding=True)), {"codes": [i for _, _, i, *_ in OTHER]}).fetchall()
        kern = {r.indicator_code: r for r in conn.execute(sa.text(
            "SELECT indicator_code, latest_value, latest_period FROM marts.kernindicatoren"))}
    engine.dispose()
    by_indicator = {i: c for _, c, i, *_ in OTHER}
    assert {(i, t) for i, t in seeds} == set(by_indicator.items())  # the seeds follow the setting, not the bundle
    assert {(f.source, f.provenance) for f in facts} == {("Kennispunt Twente (open data)", "swing_live")}
    for indicator, code in by_indicator.items():
        got = {(f.region_code, f.period_code): f.value for f in facts if f.indicator_code == indicator}
        assert got == {(r, f"{p}JJ00"): float(v) for (r, p), v in values[code].items()}  # nothing lost or added
        assert {f.source_table for f in facts if f.indicator_code == indicator} == {code}
        assert kern[indicator].latest_period == "2023JJ00"
        assert kern[indicator].latest_value == float(values[code][("GM0141", "2023")])

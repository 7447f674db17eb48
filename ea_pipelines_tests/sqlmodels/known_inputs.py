"""Small known inputs for the marts, shared by the SQL model tests and the report tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.warehouse.db import Warehouse, bulk_insert

T0 = dt.datetime(2026, 3, 1, 2, 0)


def obs(table_id: str, measure: str, region: str, period: str, value: float, status: str = "definitief",
        load_id: str = "L1") -> dict:
    return {"table_id": table_id, "measure_code": measure, "region_code": region, "period_code": period,
            "other_dimensions": "{}", "value": value, "value_attribute": "None", "period_status": status,
            "load_id": load_id}


BASE = [
    obs("03759ned", "M000352", "GM0141", "2023JJ00", 50_000), obs("03759ned", "M000352", "GM0141", "2024JJ00", 60_000),
    obs("03759ned", "M000352", "NL01", "2024JJ00", 18_000_000),
    obs("70072ned", "90210_3", "GM0141", "2023JJ00", 280), obs("70072ned", "90210_3", "GM0141", "2024JJ00", 300,
                                                                 "voorlopig"),
    obs("70072ned", "90210_3", "NL01", "2024JJ00", 540_000, "voorlopig"),
    obs("70072ned", "M000200_2", "GM0141", "2024JJ00", 6_000), obs("70072ned", "M000308_3", "GM0141", "2024JJ00", 38.2),
    obs("85969NED", "WerkzameBeroepsbevolking_2", "GM0141", "2024JJ00", 36.0),
    obs("85969NED", "BeroepsEnNietBeroepsbevolking_1", "GM0141", "2024JJ00", 54.0),
    obs("85969NED", "WerklozeBeroepsbevolking_3", "GM0141", "2024JJ00", 2.0),
    obs("85969NED", "WerkzameBeroepsbevolking_2", "GM0141", "2023JJ00", 35.0),
]


def load(wh: Warehouse, observations: list[dict], load_id: str = "L1", provenance: str = "cbs_capture",
         provenance_by_load: dict[str, str] | None = None) -> None:
    """Publish ``observations`` as CBS data; every load id gets ``provenance`` unless ``provenance_by_load`` names
    it (the observations' own ``load_id`` is kept, so one call can publish several loads)."""
    by_load = {o["load_id"]: provenance for o in observations} | {load_id: provenance} | (provenance_by_load or {})
    with wh.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM staging.cbs_observation"))
        bulk_insert(conn, "staging.cbs_observation", pd.DataFrame(observations))
        for lid, prov in by_load.items():
            conn.execute(sa.text("INSERT INTO meta.load_log (load_id, batch_id, source, table_id, started_at, "
                                 "finished_at, status, provenance) VALUES (:l, 'b', 'cbs', 'x', :t, :t, 'published', "
                                 ":p)"), {"l": lid, "t": T0, "p": prov})


def deliver(wh: Warehouse, provenance: str = "partner") -> None:
    """Two accepted partner deliveries (MKB ranking D1, UWV D2), both of class ``provenance``."""
    with wh.engine.begin() as conn:
        bulk_insert(conn, "staging.mkb_ranking", pd.DataFrame([
            {"edition_year": "2022JJ00", "municipality_code": "GM0141", "overall_rank": 12,
             "municipalities_ranked": 300,
             "score_satisfaction_pillar": 6.0, "score_image": 6.0, "score_communication_policy": 6.0,
             "score_price_quality": 6.0, "satisfaction_score": 7.1, "load_id": "D1", "source_file": "m.csv",
             "source_row": 2},
            {"edition_year": "2024JJ00", "municipality_code": "GM0141", "overall_rank": 8,
             "municipalities_ranked": 300,
             "score_satisfaction_pillar": 6.0, "score_image": 6.0, "score_communication_policy": 6.0,
             "score_price_quality": 6.0, "satisfaction_score": 6.9, "load_id": "D1", "source_file": "m.csv",
             "source_row": 3}]))
        bulk_insert(conn, "staging.uwv_spanningsindicator", pd.DataFrame([
            {"quarter": "2024KW03", "area": "Twente", "indicator_value": 1.35, "vacancies": None,
             "short_ww_benefits": None, "load_id": "D2", "source_file": "u.csv", "source_row": 2}]).astype(
            {"vacancies": "Int64", "short_ww_benefits": "Int64"}))
        for lid, dtype, name in (("D1", "mkb_ranking", "m.csv"), ("D2", "uwv_spanningsindicator", "u.csv")):
            conn.execute(sa.text("INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, "
                                 "received_at, status, provenance) VALUES (:l, :d, :f, 'h', 1, :t, 'accepted', :p)"),
                         {"l": lid, "d": dtype, "f": name, "t": T0, "p": provenance})

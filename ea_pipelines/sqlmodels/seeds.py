"""Seed tables from the catalogues, for the SQL models to join: indicator definitions and the
programme's regions. This keeps municipality codes and targets out of the SQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import yaml

from ea_pipelines.catalogue.cbs import Programme
from ea_pipelines.warehouse.db import Warehouse, bulk_insert

INDICATORS_FILE = Path(__file__).resolve().parents[1] / "catalogue" / "indicators.yaml"
TARGET_KINDS = ("at_most", "at_least", "rising", "falling", "none")

SEED_TABLES = {
    "staging.seed_indicator": """
        code TEXT NOT NULL, sort_order BIGINT NOT NULL, is_kernindicator BOOLEAN NOT NULL, name TEXT NOT NULL,
        strategic_goal TEXT NOT NULL, strategic_goal_nr BIGINT NOT NULL, operational_goal TEXT, unit TEXT NOT NULL,
        higher_is_better BOOLEAN NOT NULL,
        target_rule TEXT, target_kind TEXT NOT NULL, target_value FLOAT8, source TEXT NOT NULL, frequency TEXT,
        region_role TEXT NOT NULL
    """,
    "staging.seed_programme_region": """
        region_code TEXT NOT NULL, role TEXT NOT NULL, label TEXT NOT NULL
    """,
}


def indicator_frame(path: Path = INDICATORS_FILE) -> pd.DataFrame:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    goals = raw["goals"]
    rows = []
    for ind in raw["indicators"]:
        if ind["goal"] not in goals or ind["target_kind"] not in TARGET_KINDS:
            raise ValueError(f"{path}: indicator {ind['code']}: unknown goal or target_kind")
        rows.append({
            "code": ind["code"], "sort_order": ind["order"], "is_kernindicator": bool(ind["kern"]),
            "name": ind["name"], "strategic_goal": goals[ind["goal"]],
            "strategic_goal_nr": list(goals).index(ind["goal"]) + 1, "operational_goal": ind.get("operational_goal"),
            "unit": ind["unit"], "higher_is_better": bool(ind["higher_is_better"]), "target_rule": ind.get("target"),
            "target_kind": ind["target_kind"], "target_value": ind.get("target_value"), "source": ind["source"],
            "frequency": ind.get("frequency"), "region_role": ind.get("region_role", "municipality"),
        })
    frame = pd.DataFrame(rows)
    if frame.code.duplicated().any():
        raise ValueError(f"{path}: duplicate indicator codes")
    return frame.astype({"target_value": "float64"})


def region_frame(programme: Programme) -> pd.DataFrame:
    rows = [(programme.municipality_code, "municipality", programme.municipality_name)]
    rows += [(c, "peer", c) for c in programme.peer_municipalities if c != programme.municipality_code]
    rows += [(programme.peer_corop, "peer_corop", programme.peer_group_name),
             (programme.province, "province", programme.province),
             (programme.country, "country", "Nederland")]
    return pd.DataFrame(rows, columns=["region_code", "role", "label"])


def write_seeds(wh: Warehouse, programme: Programme, indicators: Path = INDICATORS_FILE) -> dict[str, int]:
    frames = {"staging.seed_indicator": indicator_frame(indicators), "staging.seed_programme_region":
              region_frame(programme)}
    with wh.engine.begin() as conn:
        for table, cols in SEED_TABLES.items():
            # Recreated on every write, so a column added to the catalogue reaches existing warehouses.
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(sa.text(f"CREATE TABLE {table} ({cols.strip()})"))
            bulk_insert(conn, table, frames[table])
    return {t: len(f) for t, f in frames.items()}

"""Seed tables from the catalogues, for the SQL models to join: indicator definitions and the
programme's regions. This keeps municipality codes and targets out of the SQL.

Every frame comes from the catalogues the settings name (``ea_pipelines.catalogue.catalogues``): the indicators
(EA_INDICATOR_CATALOGUE), the programme (EA_CBS_CATALOGUE) and the indicators Swing variables provide
(EA_SWING_CATALOGUE)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.catalogue.catalogues import Catalogues
from ea_pipelines.catalogue.cbs import Programme
from ea_pipelines.catalogue.deliveries import DeliveryCatalogue
from ea_pipelines.catalogue.indicators import IndicatorCatalogue
from ea_pipelines.catalogue.swing import SwingCatalogue
from ea_pipelines.provenance import CLASSES, INVENTED, LABEL, RANK
from ea_pipelines.warehouse import locks
from ea_pipelines.warehouse.db import Warehouse, bulk_insert

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
    "staging.seed_indicator_cbs": """
        indicator_code TEXT NOT NULL, part TEXT NOT NULL, table_id TEXT NOT NULL, measure_code TEXT NOT NULL,
        dimensions_like TEXT, scale FLOAT8 NOT NULL, aggregate TEXT NOT NULL
    """,
    "staging.seed_provenance_class": """
        provenance TEXT NOT NULL, strength BIGINT NOT NULL, label TEXT NOT NULL, invented BOOLEAN NOT NULL
    """,
    "staging.seed_size_class": """
        code TEXT NOT NULL, label TEXT NOT NULL, lower_bound BIGINT NOT NULL, upper_bound BIGINT
    """,
    "staging.seed_delivery_column": """
        delivery_type TEXT NOT NULL, column_name TEXT NOT NULL, decimals BIGINT NOT NULL
    """,
}
#: CBS gemeentegrootteklassen (inhabitants on 1 January): code, label, lower bound, upper bound (exclusive)
SIZE_CLASSES = [
    ("GK1", "gemeenten met minder dan 5.000 inwoners", 0, 5_000),
    ("GK2", "gemeenten met 5.000 tot 10.000 inwoners", 5_000, 10_000),
    ("GK3", "gemeenten met 10.000 tot 20.000 inwoners", 10_000, 20_000),
    ("GK4", "gemeenten met 20.000 tot 50.000 inwoners", 20_000, 50_000),
    ("GK5", "gemeenten met 50.000 tot 100.000 inwoners", 50_000, 100_000),
    ("GK6", "gemeenten met 100.000 tot 150.000 inwoners", 100_000, 150_000),
    ("GK7", "gemeenten met 150.000 tot 250.000 inwoners", 150_000, 250_000),
    ("GK8", "gemeenten met 250.000 of meer inwoners", 250_000, None),
]
AGGREGATES = ("sum", "none")


def _like(filter_: dict[str, str]) -> str | None:
    """A LIKE pattern matching ``other_dimensions`` (JSON with sorted keys) holding every code of ``filter_``."""
    if not filter_:
        return None

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    return "%" + "%".join(esc(json.dumps({k: str(v)})[1:-1]) for k, v in sorted(filter_.items())) + "%"


def _cbs_parts(code: str, cbs: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The rows of ``staging.seed_indicator_cbs`` for one indicator's ``cbs:`` declaration."""
    scale = float(cbs.get("scale", 1))
    aggregate = str(cbs.get("aggregate", "sum"))
    if aggregate not in AGGREGATES:
        raise ValueError(f"{where}: cbs aggregate must be one of {AGGREGATES}, not {aggregate!r}")
    if "table" in cbs and not ({"numerator", "denominator"} & set(cbs)):
        parts = {"value": cbs}
    elif {"numerator", "denominator"} <= set(cbs) and "table" not in cbs:
        parts = {"numerator": cbs["numerator"], "denominator": cbs["denominator"]}
    else:
        raise ValueError(f"{where}: cbs must be {{table, measure}} or {{numerator, denominator, scale}}")
    rows = []
    for part, decl in parts.items():
        if not isinstance(decl, dict) or not decl.get("table") or not decl.get("measure"):
            raise ValueError(f"{where}: cbs {part} needs a table and a measure")
        rows.append({"indicator_code": code, "part": part, "table_id": str(decl["table"]),
                     "measure_code": str(decl["measure"]), "dimensions_like": _like(decl.get("filter") or {}),
                     "scale": scale, "aggregate": "sum" if part != "value" else aggregate})
    return rows


def indicator_cbs_frame(indicators: IndicatorCatalogue) -> pd.DataFrame:
    """How each CBS-based indicator is computed (its ``cbs:`` declaration), one row per part."""
    rows = [row for ind in indicators.indicators if ind.get("cbs")
            for row in _cbs_parts(ind["code"], ind["cbs"], f"{indicators.path}: indicator {ind['code']}")]
    return pd.DataFrame(rows, columns=["indicator_code", "part", "table_id", "measure_code", "dimensions_like",
                                       "scale", "aggregate"]).astype({"scale": "float64", "dimensions_like": "object"})


def indicator_swing_frame(swing: SwingCatalogue) -> pd.DataFrame:
    """The indicators a Swing ODS variable provides (its catalogue entry's ``indicator``), in the shape of
    ``staging.seed_indicator_cbs``: the variable is the table and its one measure; never summed into groups."""
    rows = [{"indicator_code": v.indicator, "part": "value", "table_id": v.variable, "measure_code": v.variable,
             "dimensions_like": None, "scale": 1.0, "aggregate": "none"} for v in swing.variables if v.indicator]
    return pd.DataFrame(rows, columns=["indicator_code", "part", "table_id", "measure_code", "dimensions_like",
                                       "scale", "aggregate"]).astype({"scale": "float64", "dimensions_like": "object"})


def provenance_class_frame() -> pd.DataFrame:
    """The provenance classes with their rank (ea_pipelines.provenance.RANK): the marts' precedence rule; and
    whether each is invented (ea_pipelines.provenance.INVENTED): the marts judge no target on those."""
    return pd.DataFrame([(c, RANK[c], LABEL[c], c in INVENTED) for c in CLASSES],
                        columns=["provenance", "strength", "label", "invented"])


def size_class_frame() -> pd.DataFrame:
    return pd.DataFrame(SIZE_CLASSES, columns=["code", "label", "lower_bound", "upper_bound"]).astype(
        {"upper_bound": "Int64"})


def delivery_column_frame(deliveries: DeliveryCatalogue) -> pd.DataFrame:
    """The precision of every numeric delivery column (deliveries.yaml ``decimals``; integers 0)."""
    rows = [(t.name, c.name, c.precision) for t in deliveries.types for c in t.columns if c.precision is not None]
    return pd.DataFrame(rows, columns=["delivery_type", "column_name", "decimals"])


def indicator_frame(indicators: IndicatorCatalogue) -> pd.DataFrame:
    goals = indicators.goals
    rows = []
    for ind in indicators.indicators:
        if ind["goal"] not in goals or ind["target_kind"] not in TARGET_KINDS:
            raise ValueError(f"{indicators.path}: indicator {ind['code']}: unknown goal or target_kind")
        rows.append({
            "code": ind["code"], "sort_order": ind["order"], "is_kernindicator": bool(ind["kern"]),
            "name": ind["name"], "strategic_goal": goals[ind["goal"]],
            "strategic_goal_nr": list(goals).index(ind["goal"]) + 1, "operational_goal": ind.get("operational_goal"),
            "unit": ind["unit"], "higher_is_better": bool(ind["higher_is_better"]), "target_rule": ind.get("target"),
            "target_kind": ind["target_kind"], "target_value": ind.get("target_value"), "source": ind["source"],
            "frequency": ind.get("frequency"), "region_role": ind.get("region_role", "municipality"),
        })
    return pd.DataFrame(rows).astype({"target_value": "float64"})


def region_frame(programme: Programme) -> pd.DataFrame:
    rows = [(programme.municipality_code, "municipality", programme.municipality_name)]
    rows += [(c, "peer", c) for c in programme.peer_municipalities if c != programme.municipality_code]
    rows += [(programme.peer_corop, "peer_corop", programme.peer_group_name),
             (programme.province, "province", programme.province),
             (programme.country, "country", "Nederland")]
    return pd.DataFrame(rows, columns=["region_code", "role", "label"])


def seed_frames(catalogues: Catalogues) -> dict[str, pd.DataFrame]:
    """The rows of every seed table, from the catalogues the settings name."""
    fetched = pd.concat([indicator_cbs_frame(catalogues.indicators), indicator_swing_frame(catalogues.swing)],
                        ignore_index=True)
    return {"staging.seed_indicator": indicator_frame(catalogues.indicators),
            "staging.seed_programme_region": region_frame(catalogues.programme), "staging.seed_indicator_cbs": fetched,
            "staging.seed_provenance_class": provenance_class_frame(), "staging.seed_size_class": size_class_frame(),
            "staging.seed_delivery_column": delivery_column_frame(catalogues.deliveries)}


def seed_content(frames: dict[str, pd.DataFrame]) -> list[str]:
    """What the seed tables hold, as text for a content version: each table's definition and rows."""
    return [f"{t}\n{SEED_TABLES[t].strip()}\n{frames[t].to_csv(index=False)}" for t in SEED_TABLES]


def write_seeds(wh: Warehouse, catalogues: Catalogues) -> dict[str, int]:
    frames = seed_frames(catalogues)
    with wh.engine.begin() as conn:
        locks.hold(conn, "sqlmodels")  # the models read these tables: never drop them under a build (deadlock)
        for table, cols in SEED_TABLES.items():
            # Recreated on every write, so a column added to the catalogue reaches existing warehouses.
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(sa.text(f"CREATE TABLE {table} ({cols.strip()})"))
            bulk_insert(conn, table, frames[table])
    return {t: len(f) for t, f in frames.items()}

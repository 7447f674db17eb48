"""Markup in every text that reaches the council report, through the warehouse as it would arrive.

Each place gets its own payloads, so a failure names the place: a ``<script>`` and an ``<img onerror>`` that
would set ``data-pwned-<place>`` on the document element if a browser ran them, and an attribute breakout.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ea_pipelines.warehouse.db import Warehouse, bulk_insert


def payloads(place: str) -> list[str]:
    mark = f"document.documentElement.setAttribute('data-pwned-{place}','1')"
    return [f"<script>{mark}</script>", f'<img src=x onerror="{mark}">', f'"><svg onload="{mark}">']


def hostile(place: str) -> str:
    """A text with all of the place's payloads after a readable start."""
    return f"{place} " + " ".join(payloads(place))


#: staging.seed_indicator columns that the report shows as text
INDICATOR_TEXT = ("name", "strategic_goal", "operational_goal", "target_rule", "source")


def inject(wh: Warehouse) -> list[str]:
    """Put markup in CBS region titles, a delivery's file name, CBS period statuses and the indicator texts.

    Call after the inputs are loaded and before the models are built. Returns the places used.
    """
    places = []
    with wh.engine.begin() as conn:
        regions = [r[0] for r in conn.execute(sa.text("SELECT region_code FROM staging.seed_programme_region"))]
        regions += [r[0] for r in conn.execute(sa.text("SELECT DISTINCT region_code FROM staging.cbs_observation"))]
        rows = [{"table_id": "03759ned", "region_code": code, "name": hostile(f"region{i}"), "load_id": "L1"}
                for i, code in enumerate(sorted(set(regions)))]
        conn.execute(sa.text("DELETE FROM staging.cbs_region"))
        bulk_insert(conn, "staging.cbs_region", pd.DataFrame(rows))
        places += [r["name"].split(" ")[0] for r in rows]
        conn.execute(sa.text("UPDATE staging.mkb_ranking SET source_file = :f"), {"f": hostile("file") + ".csv"})
        conn.execute(sa.text("UPDATE staging.cbs_observation SET period_status = :s "
                             "WHERE period_status = 'definitief'"), {"s": hostile("cbsstatus")})
        places += ["file", "cbsstatus"]
        for col in INDICATOR_TEXT:
            place = f"ind{col.replace('_', '')}"
            conn.execute(sa.text(f"UPDATE staging.seed_indicator SET {col} = :v || {col}"), {"v": hostile(place)})
            places.append(place)
    return places

"""Markup in every text that reaches the council report, through the warehouse as it would arrive.

Each place gets its own payloads, so a failure names the place: a ``<script>`` and an ``<img onerror>`` that
would set ``data-pwned-<place>`` on the document element if a browser ran them, and an attribute breakout.
"""

from __future__ import annotations

import datetime as dt

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
    """Put markup in CBS region titles, a delivery's file name, CBS period statuses, the indicator texts and
    the programme's efforts and qualitative contributions (and their file names).

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
        # a CBS period status is no longer shown as sent: the figures' status is a closed vocabulary (stg_cbs_value
        # reads any other text as onbekend), so a hostile one is injected but never reaches the report as text
        conn.execute(sa.text("UPDATE staging.cbs_observation SET period_status = :s "
                             "WHERE period_status = 'definitief'"), {"s": hostile("cbsstatus")})
        places += ["file"]
        for col in INDICATOR_TEXT:
            place = f"ind{col.replace('_', '')}"
            conn.execute(sa.text(f"UPDATE staging.seed_indicator SET {col} = :v || {col}"), {"v": hostile(place)})
            places.append(place)
        # the programme's own texts: an effort and a qualitative contribution (in the autumn 2026 window)
        bulk_insert(conn, "staging.programme_efforts", pd.DataFrame([{
            "goal_nr": 2, "effort": hostile("effort"), "status": "lopend", "period": "2026KW02",
            "explanation": hostile("effortnote"), "result_count": 3, "result_unit": hostile("effortunit"),
            "load_id": "P1", "source_file": hostile("effortfile") + ".xlsx", "source_row": 2}]))
        bulk_insert(conn, "staging.qualitative_contributions", pd.DataFrame([{
            "goal_nr": 3, "title": hostile("qtitle"), "body": hostile("qbody"), "author": hostile("qauthor"),
            "contribution_date": dt.date(2026, 6, 15), "image": hostile("qimage"), "load_id": "Q1",
            "source_file": hostile("qfile") + ".csv", "source_row": 2}]))
        places += ["effort", "effortnote", "effortunit", "effortfile", "qtitle", "qbody", "qauthor", "qimage",
                   "qfile"]
    return places

"""Dutch number and date formatting for the report (74.317; 431,4; 27-11-2026)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from ea_pipelines.report.marks import NOT_JUDGED, NOT_JUDGED_LABEL

#: Decimals shown per unit of dim_indicator; units not listed get one decimal.
DECIMALS = {"aantal": 0, "positie": 0, "ratio": 2, "procent": 1, "cijfer": 1, "hectare": 1, "x 1 000": 1,
            "per 10 000 inwoners": 1, "per 1 000 inwoners": 1}
SUFFIX = {"procent": "%", "hectare": " ha"}

STATUS_LABEL = {"behaald": "behaald", "niet behaald": "niet behaald", "geen data": "geen data",
                "geen streefwaarde": "geen streefwaarde", "geen vergelijking": "nog geen vergelijking",
                "context": "context", NOT_JUDGED: NOT_JUDGED_LABEL}


def fmt_number(value: float | None, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_value(value: float | None, unit: str) -> str:
    text = fmt_number(value, DECIMALS.get(unit, 1))
    return text if text == "–" else text + SUFFIX.get(unit, "")


def fmt_change(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if value > 0 else ""
    return sign + fmt_value(value, unit)


def fmt_date(value: dt.date | dt.datetime | pd.Timestamp | None) -> str:
    if value is None or value is pd.NaT:
        return "–"
    return f"{value:%d-%m-%Y}"

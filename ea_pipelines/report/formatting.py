"""Dutch number and date formatting for the report (74.317; 431,4; 27-11-2026)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from ea_pipelines.report.marks import NOT_JUDGED, NOT_JUDGED_LABEL

#: Decimals shown per unit of dim_indicator; units not listed get one decimal.
DECIMALS = {"aantal": 0, "positie": 0, "ratio": 2, "procent": 1, "cijfer": 1, "hectare": 1, "x 1.000": 1,
            "per 10.000 inwoners": 1, "per 1.000 inwoners": 1}
#: Units that count whole things: never shown with decimals, chart ticks only at whole numbers.
INTEGER_UNITS = {"aantal", "positie"}
SUFFIX = {"procent": "%", "hectare": " ha"}

STATUS_LABEL = {"behaald": "behaald", "niet behaald": "niet behaald", "geen data": "geen data",
                "geen streefwaarde": "geen streefwaarde", "geen vergelijking": "nog geen vergelijking",
                "context": "context", NOT_JUDGED: NOT_JUDGED_LABEL}


def fmt_number(value: float | None, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if round(value, decimals) == 0:
        value = 0.0  # no "-0"
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


def counted(n: int, one: str, many: str) -> str:
    """"1 bijdrage", "2 bijdragen": the number with the singular or plural form."""
    return f"{n} {one if n == 1 else many}"


def fmt_date(value: dt.date | dt.datetime | pd.Timestamp | None) -> str:
    if value is None or value is pd.NaT:
        return "–"
    return f"{value:%d-%m-%Y}"


def image_text(image: str | None) -> str:
    """A contribution's image reference. Image files cannot be delivered (the inbox takes spreadsheets only),
    so the report names the image and says it was not delivered, rather than a bare file name."""
    return f"afbeelding niet meegeleverd ({image})" if image else ""


def data_date_text(fetched_at: dt.datetime | None, captured_at: dt.datetime | None) -> str:
    """When a figure was taken from its source: a replayed capture says its own date, and when it was read in."""
    if fetched_at is None and captured_at is None:
        return "–"
    if captured_at is not None and (fetched_at is None or captured_at.date() != fetched_at.date()):
        read = f" (ingelezen op {fmt_date(fetched_at)})" if fetched_at is not None else ""
        return f"opgehaald op {fmt_date(captured_at)}{read}"
    return f"opgehaald of ontvangen op {fmt_date(fetched_at or captured_at)}"


def decimals_for(values: list[float], most: int = 4) -> int:
    """The fewest decimals that show every value exactly (tick labels equal tick values: 100,5 not 100)."""
    for d in range(most + 1):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return most


def source_text(source: str, source_table: str | None) -> str:
    """The source, with the tables or file behind it only where the source does not name them already."""
    if not source_table:
        return source
    extra = [t for t in (p.strip() for p in source_table.split(" / ")) if t and t.lower() not in source.lower()]
    return f"{source} ({' / '.join(extra)})" if extra else source


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


def fmt_long_date(value: dt.date | dt.datetime) -> str:
    """27 november 2026."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def period_label(code: str) -> str:
    """CBS's own label for a period code, as marts.dim_period writes it: 2024, 2024 K2, juni 2025."""
    year, kind, n = code[:4], code[4:6], code[6:8]
    if kind == "KW":
        return f"{year} K{int(n)}"
    if kind == "MM":
        return f"{MONTHS[int(n) - 1]} {year}"
    return year


def period_bounds(code: str) -> tuple[dt.date, dt.date]:
    """First and last day of a CBS period code (2024JJ00, 2024KW02, 2024MM06)."""
    year, kind, n = int(code[:4]), code[4:6], int(code[6:8] or 0)
    if kind == "KW":
        first, months = dt.date(year, 3 * n - 2, 1), 3
    elif kind == "MM":
        first, months = dt.date(year, n, 1), 1
    else:
        first, months = dt.date(year, 1, 1), 12
    after = first.month - 1 + months
    return first, dt.date(year + after // 12, after % 12 + 1, 1) - dt.timedelta(days=1)

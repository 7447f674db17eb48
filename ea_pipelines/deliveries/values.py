"""Cell values as partners write them: Dutch numbers, periods in several spellings, dates.

Each converter returns the typed value or raises ``ValueError`` with a Dutch message for the partner.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# Dutch: dots group thousands, a comma marks decimals ("1.234,5"); a lone dot with other than
# groups of three digits is a decimal point ("7.5").
_DUTCH_GROUPED = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_PLAIN = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


def is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cell_text(cell: Any) -> str:
    """A cell as the partner sees it, for messages (whole floats without '.0')."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date().isoformat()
    return str(cell).strip()


def to_number(cell: Any) -> float:
    if isinstance(cell, bool):
        raise ValueError(f"'{cell}' is geen getal")
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip().replace("\u00a0", "").replace(" ", "")
    if _DUTCH_GROUPED.match(text):
        return float(text.replace(".", "").replace(",", "."))
    if _DECIMAL_COMMA.match(text):
        return float(text.replace(",", "."))
    if _PLAIN.match(text):
        return float(text)
    raise ValueError(f"'{cell_text(cell)}' is geen getal")


def to_integer(cell: Any) -> int:
    value = to_number(cell)
    if not value.is_integer():
        raise ValueError(f"'{cell_text(cell)}' is geen geheel getal")
    return int(value)


_QUARTER_FORMS = [
    re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*(?:K|Q|KW)0?(?P<n>[1-4])$"),
    re.compile(r"^(?:K|Q|KW)0?(?P<n>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})$"),
]
_MONTH_FORMS = [
    re.compile(r"^(?P<y>\d{4})\s*(?:-|/|MM)\s*(?P<n>0?[1-9]|1[0-2])$"),
    re.compile(r"^(?P<n>0?[1-9]|1[0-2])\s*[-/]\s*(?P<y>\d{4})$"),
]


def to_period(cell: Any, kinds: tuple[str, ...]) -> str:
    """A CBS period code: ``2024JJ00`` (year), ``2024KW03`` (quarter), ``2024MM07`` (month)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer():
        text = str(int(cell))
    else:
        text = str(cell).strip().upper()
    allowed = {"year": "jaar (2024)", "quarter": "kwartaal (2024-K3)", "month": "maand (2024-07)"}
    found: tuple[str, str] | None = None
    if re.match(r"^\d{4}(JJ00)?$", text):
        found = ("year", f"{text[:4]}JJ00")
    for form in _QUARTER_FORMS:
        m = form.match(text)
        if m:
            found = ("quarter", f"{m['y']}KW0{m['n']}")
    for form in _MONTH_FORMS:
        m = form.match(text)
        if m and not found:
            found = ("month", f"{m['y']}MM{int(m['n']):02d}")
    expected = " of ".join(allowed[k] for k in kinds)
    if found is None:
        raise ValueError(f"'{cell_text(cell)}' is geen geldige periode; verwacht {expected}")
    if found[0] not in kinds:
        raise ValueError(f"'{cell_text(cell)}' is een {allowed[found[0]].split(' ')[0]}; verwacht {expected}")
    return found[1]


def period_start(code: str) -> dt.date:
    year = int(code[:4])
    if code[4:6] == "KW":
        return dt.date(year, 3 * (int(code[6:]) - 1) + 1, 1)
    if code[4:6] == "MM":
        return dt.date(year, int(code[6:]), 1)
    return dt.date(year, 1, 1)


def to_date(cell: Any) -> dt.date:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = str(cell).strip()
    for fmt in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{cell_text(cell)}' is geen geldige datum; verwacht bijvoorbeeld 31-12-2024")


def fmt_number(value: float) -> str:
    """A number the Dutch way, for messages: 7,5 and 1.234."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")

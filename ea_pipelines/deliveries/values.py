"""Cell values as partners write them: Dutch and English numbers, periods in several spellings, dates.

Each converter returns the typed value or raises ``ValueError`` with a Dutch message for the partner.

Numbers are written in one of two conventions: ``COMMA`` (decimal comma, dots group thousands:
``1.234,5``) or ``DOT`` (decimal point, commas group thousands: ``1,234.5``). Some texts read differently
in the two (``1.234`` is 1234 or 1.234); which convention a column uses is decided from all its values by
:func:`decide_convention`, never guessed per value. Both conventions extend the number rule of every source
(``ea_pipelines.numbers``: sign and ASCII digits 0-9 only, finite as a double) with grouped thousands and a
decimal comma; nothing else (no exponent, no ``inf``, ``nan`` or ``1_0``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ea_pipelines.numbers import DIGIT, SIGN, NumberRefused, finite, foreign_digit

COMMA = "comma"  # 1.234,5
DOT = "dot"  # 1,234.5
CONVENTION_WORDS = {COMMA: "een decimale komma (6,4 en 1.234,5)", DOT: "een decimale punt (6.4 en 1,234.5)"}


def _grouped(thousands: str) -> str:
    """Digits grouped by three with ``thousands`` between the groups: 1.234.567."""
    return rf"[1-9]{DIGIT}{{0,2}}(?:{re.escape(thousands)}{DIGIT}{{3}})+"


_NUMBER = {
    COMMA: re.compile(rf"{SIGN}(?:(?:{_grouped('.')}|{DIGIT}+)(?:,{DIGIT}+)?|,{DIGIT}+)"),
    DOT: re.compile(rf"{SIGN}(?:(?:{_grouped(',')}|{DIGIT}+)(?:\.{DIGIT}+)?|\.{DIGIT}+)"),
}
_SEPARATORS = {COMMA: (".", ","), DOT: (",", ".")}  # (thousands, decimal)
BIGINT_MAX = 2**63 - 1  # what a warehouse BIGINT column holds
SHOWN_CHARS = 24


def is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """Text for a message: long texts (a 309-digit number) are cut in the middle, saying how long they are."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]}…{text[-6:]} ({len(text)} tekens)"


def plain_text(cell: Any) -> str:
    """A cell as the partner sees it, whole (whole floats without '.0')."""
    if isinstance(cell, float) and math.isfinite(cell) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date().isoformat()
    return str(cell).strip()


def cell_text(cell: Any) -> str:
    """A cell as the partner sees it, for messages: long text (a 309-digit number) shortened."""
    return shorten(plain_text(cell))


def check_ascii_digits(cell: Any) -> None:
    if isinstance(cell, str):
        ch = foreign_digit(cell)
        if ch is not None:
            raise ValueError(f"'{cell_text(cell)}' bevat het teken '{ch}' (U+{ord(ch):04X}), dat geen gewoon cijfer "
                             "0-9 is; typ de waarde opnieuw met de cijfers 0-9")


#: spaces that may group thousands (1 234,5): a space, a no-break space, a narrow no-break space
_SPACES = re.compile("[ \u00a0\u202f]")


def readings(cell: str) -> dict[str, Decimal]:
    """The number a text is in each convention it is valid in (empty: not a number at all). A space groups
    thousands like the convention's thousands separator, so only between groups of three digits (``1 234``, never
    ``1 2``)."""
    text = cell.strip()
    out = {}
    for conv, pattern in _NUMBER.items():
        thousands, decimal = _SEPARATORS[conv]
        grouped = _SPACES.sub(thousands, text)
        if pattern.fullmatch(grouped):
            out[conv] = Decimal(grouped.replace(thousands, "").replace(decimal, "."))
    return out


@dataclass(frozen=True)
class Convention:
    """The decision for one column: the convention, or why none could be decided."""

    convention: str | None
    conflict: tuple[tuple[int, str], tuple[int, str]] | None = None  # (row, text) written each way


def evidence(samples: list[tuple[int, str]], integer: bool) -> dict[str, tuple[int, str]]:
    """Per convention the first value (row, text) that can only be read that way."""
    found: dict[str, tuple[int, str]] = {}
    for row, text in samples:
        r = readings(text)
        if integer:
            r = {c: x for c, x in r.items() if x == x.to_integral_value()}
        if len(r) == 1:
            found.setdefault(next(iter(r)), (row, text))
    return found


def decide_convention(samples: list[tuple[int, str]], integer: bool,
                      fallback: str | None) -> Convention:
    """One convention for a column: from its own unambiguous values, else ``fallback`` (the file's)."""
    found = evidence(samples, integer)
    if len(found) == 2:
        first, second = sorted(found.values())
        return Convention(None, (first, second))
    if found:
        return Convention(next(iter(found)))
    return Convention(fallback)


def ambiguity(text: str, integer: bool) -> str | None:
    """Why ``text`` cannot be read without knowing the convention, or None when it can."""
    r = readings(text)
    if integer:
        r = {c: x for c, x in r.items() if x == x.to_integral_value()}
    if len(r) == 2 and r[COMMA] != r[DOT]:
        advice = ("schrijf het getal zonder punt of komma (1234)" if integer else
                  "schrijf het getal zonder duizendtalteken, met een decimale komma (1234 of 1,234)")
        return (f"'{cell_text(text)}' is dubbelzinnig: {_dutch(r[COMMA])} of {_dutch(r[DOT])}. Er staat geen "
                "ander getal in de kolom dat laat zien of de punt of de komma het decimaalteken is; " + advice)
    return None


def misread(cell: Any, convention: str | None, proof: tuple[int, str] | None, low: float | None,
            high: float | None) -> str:
    """For a value out of range: the rest of the message when the text, read in the other convention, would have
    been in range (``1.250`` read as 1250 in a column of decimal commas, where 1,25 was meant); else ''."""
    if not isinstance(cell, str) or convention not in _SEPARATORS:
        return ""
    r = readings(cell)
    other = DOT if convention == COMMA else COMMA
    if other not in r or r[other] == r[convention]:
        return ""
    meant = float(r[other])
    if (low is not None and meant < low) or (high is not None and meant > high):
        return ""
    thousands = "de punt" if convention == COMMA else "de komma"
    why = f"zoals rij {proof[0]} ('{cell_text(proof[1])}')" if proof else "zoals de rest van het bestand"
    written = format(r[other].normalize(), "f")
    written = written.replace(".", ",") if convention == COMMA else written
    return (f". '{cell_text(cell)}' is gelezen met {thousands} als duizendtalteken, want de kolom is geschreven met "
            f"{CONVENTION_WORDS[convention]}, {why}. Bedoelt u {written}? Schrijf het dan zo; gebruik in één kolom "
            "één schrijfwijze")


def _dutch(x: Decimal) -> str:
    text = format(x.normalize(), "f")
    return text.replace(".", ",")


def _decimal(cell: Any, convention: str | None) -> Decimal:
    if isinstance(cell, bool):
        raise ValueError(f"'{cell}' is geen getal")
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        try:
            return Decimal(repr(finite(cell)))
        except NumberRefused as exc:
            raise ValueError(f"'{cell}' is geen getal") from exc
    check_ascii_digits(str(cell))
    r = readings(str(cell))
    if not r:
        raise ValueError(f"'{cell_text(cell)}' is geen getal")
    if convention is None:  # no context: Dutch first
        convention = COMMA if COMMA in r else DOT
    if convention not in r:
        raise ValueError(f"'{cell_text(cell)}' is niet geschreven met {CONVENTION_WORDS[convention]}, zoals de "
                         "rest van de kolom; gebruik één schrijfwijze")
    return r[convention]


def to_number(cell: Any, convention: str | None = None, decimals: int | None = None) -> float:
    """A finite double (what a FLOAT8 column holds), with at most ``decimals`` decimals if given."""
    exact = _decimal(cell, convention)
    if decimals is not None and exact.is_finite() and -min(0, int(exact.normalize().as_tuple().exponent)) > decimals:
        allowed = "geen decimalen" if decimals == 0 else f"hoogstens {decimals} decimaal" if decimals == 1 \
            else f"hoogstens {decimals} decimalen"
        raise ValueError(f"'{cell_text(cell)}' heeft te veel decimalen; {allowed} toegestaan")
    try:
        return finite(exact)
    except NumberRefused as exc:
        raise ValueError(f"'{cell_text(cell)}' is te " + ("groot" if exc.reason == "overflow" else "klein") +
                         " om als getal op te slaan") from exc


def to_integer(cell: Any, convention: str | None = None) -> int:
    """A whole number within BIGINT, read exactly (no detour through floating point for text)."""
    value = _decimal(cell, convention)
    if value != value.to_integral_value():
        raise ValueError(f"'{cell_text(cell)}' is geen geheel getal")
    if abs(value) > BIGINT_MAX:
        raise ValueError(f"'{cell_text(cell)}' is te groot; een geheel getal mag hoogstens "
                         f"{fmt_number(BIGINT_MAX)} zijn")
    try:
        return int(value)
    except (InvalidOperation, OverflowError, ValueError) as exc:  # pragma: no cover - guarded above
        raise ValueError(f"'{cell_text(cell)}' is geen geheel getal") from exc


_QUARTER_FORMS = [
    re.compile(r"^(?P<y>[0-9]{4})\s*[-/ ]?\s*(?:K|Q|KW)0?(?P<n>[1-4])$"),
    re.compile(r"^(?:K|Q|KW)0?(?P<n>[1-4])\s*[-/ ]?\s*(?P<y>[0-9]{4})$"),
]
_MONTH_FORMS = [
    re.compile(r"^(?P<y>[0-9]{4})\s*(?:-|/|MM)\s*(?P<n>0?[1-9]|1[0-2])$"),
    re.compile(r"^(?P<n>0?[1-9]|1[0-2])\s*[-/]\s*(?P<y>[0-9]{4})$"),
]
FIRST_YEAR = 1900


def to_period(cell: Any, kinds: tuple[str, ...]) -> str:
    """A CBS period code: ``2024JJ00`` (year), ``2024KW03`` (quarter), ``2024MM07`` (month)."""
    if isinstance(cell, float) and not math.isfinite(cell):
        raise ValueError(f"'{cell}' is geen geldige periode")
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer():
        text = str(int(cell))
    else:
        text = str(cell).strip().upper()
        check_ascii_digits(text)
    allowed = {"year": "jaar (2024)", "quarter": "kwartaal (2024-K3)", "month": "maand (2024-07)"}
    found: tuple[str, str] | None = None
    if re.match(r"^[0-9]{4}(JJ00)?$", text):
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
    if int(found[1][:4]) < FIRST_YEAR:
        raise ValueError(f"'{cell_text(cell)}' is geen geldige periode: het jaartal {found[1][:4]} ligt vóór "
                         f"{FIRST_YEAR}; verwacht {expected}")
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
    check_ascii_digits(text)
    for fmt in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{cell_text(cell)}' is geen geldige datum; verwacht bijvoorbeeld 31-12-2024")


def fmt_number(value: float) -> str:
    """A number the Dutch way, for messages: 7,5 and 1.234 (huge ones as 1,2e+308, never 309 digits)."""
    if not math.isfinite(float(value)) or abs(float(value)) >= 1e21:
        return f"{float(value):.3g}".replace(".", ",")
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")

"""The number rule of every source: a value is a finite number, read exactly as written, or it is refused.

A number sent as a number (a JSON number, an Excel number cell) must be finite: NaN and the infinities are
refused, and so is a JSON number too large for a double (``1e999``, which a parser reads as infinity) and a
boolean (``true`` is not 1). A number sent as text must be written in the plain notation ``PLAIN``:

- an optional sign (``-`` or ``+``), the ASCII digits 0-9, optionally a decimal point followed by digits, and
  optionally an exponent (``e`` or ``E``, an optional sign, digits): ``12``, ``-0.5``, ``+3``, ``007``,
  ``1.25e3``;
- finite as a double (``1e999`` overflows) and not a nonzero number that underflows to 0 (``1e-999``).

Everything else is refused, notably what Python's ``float()`` would accept: ``NaN``, ``inf``, ``Infinity`` (any
case), ``1_0`` (underscores), ``0x10``, digits other than 0-9 (full-width ``１``, Arabic-Indic ``١``),
spaces or other characters inside, ``.5`` and ``5.``. Partner deliveries extend the notation with the Dutch and
English conventions (``ea_pipelines.deliveries.values``), built from the same pieces: a decimal comma, thousands
grouped by dots, commas or spaces, and a leading decimal separator (``,5``); they have no exponent.

:func:`number_column` applies the rule column-wise with Arrow, so a page of numbers costs no Python per value;
only a page that mixes numbers with other JSON types is looked at value by value (the types present are found in
one pass in C).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

SIGN = r"[-+]?"
DIGIT = "[0-9]"  # only ASCII digits are digits
EXPONENT = r"[eE][-+]?[0-9]+"
#: the plain notation of a number sent as text (used whole: fullmatch, or anchored with ^...$)
PLAIN = rf"{SIGN}{DIGIT}+(?:\.{DIGIT}+)?(?:{EXPONENT})?"
_PLAIN = re.compile(PLAIN)
#: a number cell of a workbook as its XML stores it: XML Schema's double without INF and NaN (``5.`` and ``.5``
#: occur in files other programs write)
CELL = rf"{SIGN}(?:{DIGIT}+\.?{DIGIT}*|\.{DIGIT}+)(?:{EXPONENT})?"
_CELL = re.compile(CELL)
ASCII_SPACE = " \t\n\v\f\r"  # what may surround a number sent as text (as Arrow's ascii_trim_whitespace trims)
#: a plain text that means zero (every digit of its mantissa is 0): the only texts that may read as 0.0
_ZERO = rf"^{SIGN}0+(?:\.0+)?(?:{EXPONENT})?$"

# why a value is refused (sources word it in their own language)
NOT_A_NUMBER = "not_a_number"  # not in the plain notation (inf, 1_0, 0x10, text), or not a number at all (true)
NOT_FINITE = "not_finite"  # NaN or an infinity, sent as a number
OVERFLOW = "overflow"  # too large for a double (1e999)
UNDERFLOW = "underflow"  # a nonzero number that would be read as 0 (1e-999)


class NumberRefused(ValueError):
    """A value that is not a number by the rule; ``reason`` is one of the constants above."""

    def __init__(self, value: Any, reason: str) -> None:
        super().__init__(f"{shown(value)} is not a finite number ({reason.replace('_', ' ')})")
        self.value = value
        self.reason = reason


def shown(value: Any, limit: int = 40) -> str:
    """A refused value for a message: NaN and the infinities as JSON spells them, text quoted and cut short."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    text = repr(value) if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else f"{text[:limit - 10]}…{text[-6:]} ({len(text)} characters)"


def foreign_digit(text: str) -> str | None:
    """The first character that is a digit or number sign other than ASCII 0-9 (full-width ２, Arabic ٢, ²)."""
    for ch in text:
        if ch.isnumeric() and not ("0" <= ch <= "9"):
            return ch
    return None


def finite(value: Decimal | int | float, written: Any = None) -> float:
    """``value`` as a finite double; :class:`NumberRefused` for NaN, infinities, overflow and underflow."""
    written = value if written is None else written
    if isinstance(value, bool):
        raise NumberRefused(written, NOT_A_NUMBER)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberRefused(written, NOT_FINITE)
        return value
    if isinstance(value, Decimal) and not value.is_finite():
        raise NumberRefused(written, NOT_FINITE)
    try:
        out = float(value)
    except OverflowError as exc:  # an int beyond a double
        raise NumberRefused(written, OVERFLOW) from exc
    if not math.isfinite(out):
        raise NumberRefused(written, OVERFLOW)
    if out == 0 and value != 0:
        raise NumberRefused(written, UNDERFLOW)
    return out


def parse_plain(text: str) -> float:
    """A number sent as text, by the plain notation (surrounding spaces allowed); :class:`NumberRefused` else."""
    stripped = text.strip(ASCII_SPACE)
    if not _PLAIN.fullmatch(stripped):
        raise NumberRefused(text, NOT_A_NUMBER)
    return finite(Decimal(stripped), text)


def parse_cell(text: str) -> float:
    """The stored value of a workbook's number cell (``<v>``), by ``CELL``; :class:`NumberRefused` for ``NaN``,
    ``INF``, ``1E999``, ``1E-999``, ``1_0`` and anything else openpyxl's ``float()`` would take."""
    stripped = text.strip(ASCII_SPACE)
    if not _CELL.fullmatch(stripped):
        raise NumberRefused(text, NOT_A_NUMBER)
    return finite(Decimal(stripped), text)


def json_number(value: Any) -> float | None:
    """A value as a JSON parser hands it over (None, bool, int, float or str) as a finite double, None for null."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_plain(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return finite(value)
    raise NumberRefused(value, NOT_A_NUMBER)


def number_column(values: Sequence[Any]) -> tuple[pa.Array, pa.Array | None]:
    """The values as a float64 column, and a mask of the values refused by the rule (None when none is).

    Refused values are null in the column. JSON numbers (``int``/``float``/None) are converted and checked in
    Arrow; text numbers are matched and converted in Arrow; only other types are looked at one by one.
    """
    # the Python types present, in one pass in C: Arrow would read a boolean among doubles as 1.0
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {float, int}:
        try:
            column = pa.array(values).cast(pa.float64())
        except (pa.ArrowInvalid, OverflowError):  # an integer beyond int64 or beyond 2**53: checked one by one
            return _one_by_one(values)
        refused = pc.invert(pc.is_finite(column))
    elif kinds == {str}:
        column, refused = _text_column(pa.array(values, pa.string()))
    else:  # mixed, booleans, lists, objects: one by one
        return _one_by_one(values)
    if not pc.any(refused).as_py():
        return column, None
    refused = refused.fill_null(False)
    return pc.if_else(refused, pa.scalar(None, pa.float64()), column), refused


def _text_column(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    texts = pc.ascii_trim_whitespace(arr)
    plain = pc.match_substring_regex(texts, f"^{PLAIN}$")
    kept = pc.if_else(plain, texts, pa.scalar(None, texts.type))
    column = kept.cast(pa.float64())
    zero_text = pc.match_substring_regex(kept, _ZERO)
    bad = pc.or_kleene(pc.invert(pc.is_finite(column)),
                       pc.and_kleene(pc.equal(column, 0.0), pc.invert(zero_text)))
    # a text outside the notation is refused; null stays null (not refused)
    refused = pc.if_else(pc.is_null(arr), pa.scalar(None, pa.bool_()), pc.or_kleene(pc.invert(plain), bad))
    return column, refused


def _one_by_one(values: Sequence[Any]) -> tuple[pa.Array, pa.Array | None]:
    out: list[float | None] = []
    refused: list[bool] = []
    for v in values:
        try:
            out.append(json_number(v))
            refused.append(False)
        except NumberRefused:
            out.append(None)
            refused.append(True)
    mask = pa.array(refused, pa.bool_())
    return pa.array(out, pa.float64()), (mask if any(refused) else None)


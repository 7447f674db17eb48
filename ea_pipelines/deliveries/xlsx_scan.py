"""What openpyxl does not tell about a worksheet, read from its XML: hidden rows and columns, formulas
without a stored result, error values, and numbers Excel would not show (NaN, INF, 1E999, 1E-999, 1_0: the number
rule of ``ea_pipelines.numbers`` for a number cell).

The scan streams the sheet's XML (the archive's size was checked before) and keeps only what it finds.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import iterparse

from ea_pipelines.numbers import NumberRefused, parse_cell

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def column_index(letters: str) -> int:
    """0-based index of a column: A -> 0, AA -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class SheetScan:
    hidden_rows: set[int] = field(default_factory=set)  # 1-based row numbers
    hidden_columns: set[int] = field(default_factory=set)  # 0-based column indexes
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column index)
    error_values: dict[tuple[int, int], str] = field(default_factory=dict)  # e.g. #DIV/0!
    bad_numbers: dict[tuple[int, int], str] = field(default_factory=dict)  # NaN, INF, 1E999


def _true(value: str | None) -> bool:
    return value in ("1", "true")


def scan_sheet(zf: zipfile.ZipFile, member: str, max_columns: int = 16_384) -> SheetScan:
    scan = SheetScan()
    row_no = 0
    with zf.open(member) as src:
        for _, el in iterparse(src, events=("end",)):
            tag = el.tag
            if tag == f"{NS}col" and _true(el.get("hidden")):
                low, high = int(el.get("min", "1")), int(el.get("max", "1"))
                scan.hidden_columns.update(range(low - 1, min(high, max_columns)))
            elif tag == f"{NS}row":
                row_no = int(el.get("r") or row_no + 1)
                if _true(el.get("hidden")):
                    scan.hidden_rows.add(row_no)
                el.clear()
            elif tag == f"{NS}c":
                _cell(el, row_no, scan)
    return scan


def _cell(el, row_no: int, scan: SheetScan) -> None:
    ref = _REF.fullmatch(el.get("r") or "")
    if ref is None:  # cells without a reference are rare (not written by Excel or LibreOffice)
        return
    where = (int(ref[2]), column_index(ref[1]))
    kind = el.get("t", "n")
    value = el.findtext(f"{NS}v")
    if el.find(f"{NS}f") is not None and value is None:
        scan.uncached_formulas.add(where)
    elif kind == "e" and value is not None:
        scan.error_values[where] = value
    elif kind == "n" and value:  # an empty <v/> is an empty cell, as openpyxl reads it
        text = value.strip()
        try:  # the number rule of every source (ea_pipelines.numbers), for a workbook's number cell
            parse_cell(text)
        except NumberRefused:
            scan.bad_numbers[where] = text

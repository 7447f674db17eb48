"""The worksheet XML scan: what openpyxl's read-only mode does not say about a sheet."""

from __future__ import annotations

import io
import zipfile

import pytest

from ea_pipelines.deliveries.xlsx_scan import column_index, column_letters, scan_sheet

SHEET = """<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<cols><col min="2" max="3" hidden="true"/><col min="5" max="5" hidden="false"/></cols>
<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c></row>
<row r="2" hidden="1"><c r="A2"><v>1.5</v></c><c r="B2"><f>A2*2</f></c><c r="C2" t="e"><v>#N/A</v></c></row>
<row r="4"><c r="A4"><v>NaN</v></c><c r="B4"><v></v></c><c r="C4"><v>-1.5E+3</v></c><c r="D4"><f>1/0</f><v>7</v></c>
<c r="AA4"><v>1E400</v></c></row>
</sheetData></worksheet>"""


def test_scan_finds_hidden_rows_columns_formulas_errors_and_bad_numbers() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", SHEET)
    with zipfile.ZipFile(buf) as zf:
        scan = scan_sheet(zf, "xl/worksheets/sheet1.xml")
    assert scan.hidden_rows == {2}
    assert scan.hidden_columns == {1, 2}
    assert scan.uncached_formulas == {(2, 1)}
    assert scan.error_values == {(2, 2): "#N/A"}
    assert scan.bad_numbers == {(4, 0): "NaN", (4, 26): "1E400"}


@pytest.mark.parametrize("letters,index", [("A", 0), ("Z", 25), ("AA", 26), ("AZ", 51), ("XFD", 16383)])
def test_column_letters(letters: str, index: int) -> None:
    assert column_index(letters) == index and column_letters(index) == letters

"""Building delivery files in tests: csv text in any encoding, xlsx workbooks, crafted archives."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl


def csv_bytes(text: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_cached_formula(data: bytes, cell: str, formula: str, cached: str | None) -> bytes:
    """Put a formula in ``cell`` of the first sheet, with ``cached`` as Excel's stored result (or none)."""
    value = f"<v>{cached}</v>" if cached is not None else ""
    return replace_cell(data, cell, f'<c r="{cell}"><f>{formula}</f>{value}</c>')


def replace_cell(data: bytes, cell: str, cell_xml: str) -> bytes:
    """The workbook with ``cell`` of the first sheet replaced by ``cell_xml`` as written (XML no library writes)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body, n = re.subn(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)'.encode(), cell_xml.encode(), body)
                assert n == 1, f"cell {cell} not found"
            dst.writestr(item, body)
    return out.getvalue()


def zip_bomb(expanded_bytes: int) -> bytes:
    """A zip archive that looks like an xlsx and expands to ``expanded_bytes`` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * expanded_bytes)
    return out.getvalue()

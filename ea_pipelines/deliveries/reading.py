"""Turn the bytes of a delivered file into grids of cells, refusing unsafe or unreadable files.

xlsx is read with openpyxl in read-only mode with ``data_only=True``: formula cells give their cached
value and nothing is ever evaluated. Before openpyxl sees the file it must be a valid zip archive whose
members do not expand beyond a limit (zip bombs). csv is decoded as UTF-8 (with or without BOM), else
Windows-1252, and split with both ``;`` and ``,``: the caller keeps the grid whose header fits best.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from ea_pipelines.deliveries.problems import Problem, Rejected

CSV_EXTENSIONS = {".csv", ".txt"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024


@dataclass
class Grid:
    rows: list[list[Any]]
    form: str  # e.g. "csv ; utf-8-sig" or "xlsx"


def is_bare_name(name: str) -> bool:
    """A bare file name: no folders, no '..', nothing absolute, on any platform."""
    return bool(name) and name not in (".", "..") and "\x00" not in name and (
        PurePosixPath(name).name == name and PureWindowsPath(name).name == name)


def check_file_name(name: str) -> None:
    if not is_bare_name(name):
        raise Rejected([Problem(f"De bestandsnaam '{name}' bevat een map of pad; lever het bestand "
                                f"aan met alleen een bestandsnaam.")])


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB".replace(".0 MB", " MB").replace(".", ",") if n >= 2**20 else f"{n / 1024:.0f} kB"


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file over the size limit before reading it."""
    if size > limits.max_bytes:
        raise Rejected([Problem(f"Het bestand is {_size(size)}; de grens is {_size(limits.max_bytes)}. "
                                f"Lever kleinere bestanden aan.")])


def read_grids(name: str, data: bytes, limits: Limits) -> list[Grid]:
    check_file_name(name)
    check_size(len(data), limits)
    if len(data) == 0 or not data.strip():
        raise Rejected([Problem("Het bestand is leeg.")])
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in XLSX_EXTENSIONS:
        return [_read_xlsx(data, limits)]
    if suffix in CSV_EXTENSIONS:
        return _read_csv(data)
    raise Rejected([Problem(f"Bestandstype '{suffix or '(geen)'}' wordt niet ondersteund; lever een "
                            f".xlsx- of .csv-bestand aan (gebruik het sjabloon).")])


def _read_xlsx(data: bytes, limits: Limits) -> Grid:
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        raise Rejected([Problem("Het bestand heet .xlsx maar is geen geldig Excel-bestand (geen zip-archief). "
                                "Sla het opnieuw op als Excel-werkmap (.xlsx).")])
    try:
        with zipfile.ZipFile(buf) as zf:
            expanded = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise Rejected([Problem(f"Het Excel-bestand is beschadigd ({exc}).")]) from exc
    if expanded > limits.max_unzipped_bytes:
        raise Rejected([Problem(f"Het Excel-bestand pakt uit tot {_size(expanded)}; de grens is "
                                f"{_size(limits.max_unzipped_bytes)}. Dit bestand wordt niet geopend.")])
    import openpyxl  # heavy import, only where xlsx is read

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise Rejected([Problem(f"Het Excel-bestand kan niet gelezen worden ({type(exc).__name__}). "
                                "Sla het opnieuw op als Excel-werkmap (.xlsx).")]) from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            if i >= MAX_ROWS:
                raise Rejected([Problem(f"Het bestand heeft meer dan {MAX_ROWS} rijen.")])
            rows.append(list(row))
    finally:
        wb.close()
    return Grid(rows, "xlsx")


def _decode(data: bytes) -> tuple[str, str]:
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return (data[3:].decode("utf-8"), "utf-8-sig") if bom else (data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        if bom:
            raise Rejected([Problem("Het bestand begint als UTF-8 maar bevat ongeldige tekens; "
                                    "sla het opnieuw op als CSV UTF-8.")]) from None
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise Rejected([Problem("De tekencodering van het bestand is onbekend; sla het op als CSV UTF-8.")]) from exc


def _read_csv(data: bytes) -> list[Grid]:
    text, encoding = _decode(data)
    grids = []
    for sep in (";", ","):
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        if len(rows) > MAX_ROWS:
            raise Rejected([Problem(f"Het bestand heeft meer dan {MAX_ROWS} rijen.")])
        grids.append(Grid([list(r) for r in rows], f"csv '{sep}' {encoding}"))
    return grids

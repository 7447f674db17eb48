"""Turn the bytes of a delivered file into grids of cells, refusing unsafe or unreadable files.

xlsx is read with openpyxl in read-only mode with ``data_only=True``: formula cells give their cached
value and nothing is ever evaluated. Before openpyxl sees the file it must be a valid zip archive whose
members do not expand beyond a limit (zip bombs). Only the sheet a person sees on opening the workbook
is read: the active sheet (or, if that is hidden, the first visible one). Its XML is scanned for what
openpyxl does not report: hidden rows and columns, formulas without a stored result, NaN/INF numbers.

csv is decoded as UTF-16 when it starts with a UTF-16 BOM, else as UTF-8 (with or without BOM), else
Windows-1252; UTF-16 without a BOM and workbook bytes under a .csv name are refused for what they are.
It is split with ``;``, ``,`` and tab: the caller keeps the grid whose header fits best.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from ea_pipelines.deliveries.problems import Problem, Rejected
from ea_pipelines.deliveries.values import shorten
from ea_pipelines.deliveries.xlsx_scan import SheetScan, column_letters, scan_sheet

CSV_EXTENSIONS = {".csv", ".txt"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
MAX_ROWS = 200_000
SEPARATORS = (";", ",", "\t")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024


@dataclass
class Grid:
    rows: list[list[Any]]
    form: str  # e.g. "csv ; utf-8-sig" or "xlsx 'gegevens'"
    sheet: str | None = None  # xlsx: the sheet read
    sheets: list[tuple[str, str]] = field(default_factory=list)  # xlsx: every sheet, (title, state)
    scan: SheetScan = field(default_factory=SheetScan)  # xlsx: hidden rows/columns, formulas without result


def is_bare_name(name: str) -> bool:
    """A bare file name: no folders, no '..', nothing absolute, on any platform."""
    return bool(name) and name not in (".", "..") and "\x00" not in name and (
        PurePosixPath(name).name == name and PureWindowsPath(name).name == name)


def check_file_name(name: str) -> None:
    if not is_bare_name(name):
        raise Rejected([Problem(f"De bestandsnaam '{shorten(name, 80)}' bevat een map of pad; lever het bestand "
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
        _refuse_spreadsheet_bytes(suffix, data)
        return _read_csv(data)
    raise Rejected([Problem(f"Bestandstype '{shorten(suffix) or '(geen)'}' wordt niet ondersteund; lever een "
                            f".xlsx- of .csv-bestand aan (gebruik het sjabloon).")])


def _refuse_spreadsheet_bytes(suffix: str, data: bytes) -> None:
    """A workbook saved under a text name: say what it is instead of failing on its 'encoding'."""
    if data.startswith(ZIP_MAGIC):
        raise Rejected([Problem(f"Dit is een Excel-bestand (.xlsx) met de naam {suffix}. Geef het de naam .xlsx, "
                                "of sla het in Excel op als CSV UTF-8.")])
    if data.startswith(OLE_MAGIC):
        raise Rejected([Problem(f"Dit is een oud Excel-bestand (.xls) met de naam {suffix}. Sla het op als "
                                "Excel-werkmap (.xlsx) of als CSV UTF-8.")])


def _read_xlsx(data: bytes, limits: Limits) -> Grid:
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        raise Rejected([Problem("Het bestand heet .xlsx maar is geen geldig Excel-bestand (geen zip-archief). "
                                "Sla het opnieuw op als Excel-werkmap (.xlsx).")])
    try:
        with zipfile.ZipFile(buf) as zf:
            expanded = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Rejected([Problem("Het Excel-bestand is beschadigd (het zip-archief is ongeldig). "
                                "Sla het opnieuw op als Excel-werkmap (.xlsx).")]) from exc
    if expanded > limits.max_unzipped_bytes:
        raise Rejected([Problem(f"Het Excel-bestand pakt uit tot {_size(expanded)}; de grens is "
                                f"{_size(limits.max_unzipped_bytes)}. Dit bestand wordt niet geopend.")])
    import openpyxl  # heavy import, only where xlsx is read

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise Rejected([Problem(f"Het Excel-bestand kan niet gelezen worden ({type(exc).__name__}). "
                                "Sla het opnieuw op als Excel-werkmap (.xlsx).")]) from exc
    try:
        return _read_sheet(wb)
    finally:
        wb.close()


def _read_sheet(wb: Any) -> Grid:
    """The sheet a person sees on opening the workbook: the active one, or the first visible one if the
    active sheet is hidden (Excel itself never shows a hidden sheet)."""
    sheets = [(ws.title, ws.sheet_state) for ws in wb.worksheets]
    if not sheets:
        raise Rejected([Problem("Het Excel-bestand bevat geen werkblad met gegevens.")])
    active = wb.active
    ws = active if active in wb.worksheets and active.sheet_state == "visible" else next(
        (w for w in wb.worksheets if w.sheet_state == "visible"), None)  # a chart sheet holds no cells
    if ws is None:
        raise Rejected([Problem("Alle werkbladen in het Excel-bestand zijn verborgen ("
                                + sheet_list(sheets) + "). Maak het werkblad met de gegevens zichtbaar.")])
    try:  # openpyxl's read-only sheet knows its archive member (private names, openpyxl pinned 3.1.5)
        scan = scan_sheet(wb._archive, ws._worksheet_path)
    except Exception as exc:  # a sheet whose XML is broken
        raise Rejected([Problem(f"Werkblad '{shorten(ws.title)}' in het Excel-bestand kan niet gelezen worden "
                                f"({type(exc).__name__}). Sla het opnieuw op als Excel-werkmap (.xlsx).")]) from exc
    bad = [Problem(f"cel {column_letters(c)}{r} bevat '{shorten(text)}', geen getal dat Excel kan tonen "
                   "(bijvoorbeeld NaN of oneindig); vul een getal in of laat de cel leeg", r)
           for (r, c), text in sorted(scan.bad_numbers.items())]
    if bad:
        raise Rejected(bad[:20])
    ws.reset_dimensions()  # never trust the stated size: rows are as long as their cells
    rows: list[list[Any]] = []
    try:
        for i, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True)):
            if i >= MAX_ROWS:
                raise Rejected([Problem(f"Het bestand heeft meer dan {MAX_ROWS} rijen.")])
            rows.append(list(row))
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected([Problem(f"de cellen van deze rij op werkblad '{shorten(ws.title)}' kunnen niet gelezen "
                                f"worden ({type(exc).__name__}); controleer de waarden en opmaak in die rij",
                                len(rows) + 1)]) from exc
    return Grid(rows, f"xlsx '{ws.title}'", sheet=ws.title, sheets=sheets, scan=scan)


def sheet_list(sheets: list[tuple[str, str]]) -> str:
    words = {"hidden": "verborgen", "veryHidden": "verborgen"}
    return ", ".join(f"'{shorten(n)}'" + (f" ({words[s]})" if s in words else "") for n, s in sheets)


def _utf16_without_bom(data: bytes) -> bool:
    sample = data[:4096]
    return len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM (Excel's "Unicode-tekst")
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise Rejected([Problem("Het bestand begint als UTF-16 maar bevat ongeldige tekens; "
                                    "sla het opnieuw op als CSV UTF-8.")]) from None
    if _utf16_without_bom(data):
        raise Rejected([Problem("Het bestand is als UTF-16 opgeslagen zonder kenmerk (BOM); die tekencodering "
                                "is niet zeker te lezen. Sla het op als CSV UTF-8.")])
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
    if "\x00" in text:
        raise Rejected([Problem("Het bestand bevat nul-tekens en is daardoor geen leesbaar tekstbestand; "
                                "sla het op als CSV UTF-8.")])
    grids = []
    for sep in SEPARATORS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        rows = []
        try:
            for row in reader:
                rows.append(list(row))
                if len(rows) > MAX_ROWS:
                    raise Rejected([Problem(f"Het bestand heeft meer dan {MAX_ROWS} rijen.")])
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                raise Rejected([Problem(f"een cel is langer dan {csv.field_size_limit():,} tekens "
                                        "(vaak een aanhalingsteken dat niet wordt afgesloten); controleer de "
                                        "aanhalingstekens".replace(",", "."), line)]) from exc
            raise Rejected([Problem("het bestand kan niet als CSV gelezen worden (controleer de "
                                    "aanhalingstekens)", line)]) from exc
        grids.append(Grid(rows, f"csv '{sep}' {encoding}".replace("'\t'", "tab")))
    return grids

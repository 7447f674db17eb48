"""The hostile-delivery corpus: files generated per class (numbers, digits, sizes, encodings, sheets, hidden
cells, misleading bytes), each with the exact Dutch reason it must be refused for, or the exact values a
person reading it would write down. Workbooks are built by hand (openpyxl, edited XML) and, where LibreOffice
is installed, also saved by LibreOffice (``resave_with_libreoffice``).

Every expected text here is written by hand; none is computed by the code under test.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from ea_pipelines.catalogue.deliveries import NUMBER_TYPES, DeliveryType, load_delivery_catalogue
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines_tests.corpus import numbers
from ea_pipelines_tests.deliveries.helpers import csv_bytes, replace_cell, with_cached_formula, xlsx_bytes

VOUCHERS = "twents_fonds_vouchers"
KENNISPUNT = "kennispunt_twente"
V_HEAD = "periode;gemeente;aantal_scholingscheques\n"
K_HEAD = "indicator;regio;periode;waarde;eenheid\n"


@dataclass(frozen=True)
class Refused:
    name: str  # case id
    dtype: str
    file_name: str
    data: bytes
    problems: list[str]  # exactly these lines, in this order
    xlsx_source: bool = False  # a workbook that can also be saved by LibreOffice


@dataclass(frozen=True)
class Accepted:
    name: str
    dtype: str
    file_name: str
    data: bytes
    columns: tuple[str, ...]
    rows: list[tuple]  # exactly these values, in file order
    xlsx_source: bool = field(default=False)


# -- numbers: conventions, sizes, digits -----------------------------------------------------------------

def _kennispunt(values: list[str]) -> bytes:
    lines = [f"grond_lokaal_mkb;GM0141;{2015 + i};{v};hectare" for i, v in enumerate(values)]
    return csv_bytes(K_HEAD + "\n".join(lines) + "\n")


# (case, texts in the 'waarde' column) -> the values a person writes down
NUMBER_READINGS: list[tuple[str, list[str], list[float]]] = [
    ("dot decimals, 0.875 and 1.234 stay decimals", ["0.875", "1.234", "3.5"], [0.875, 1.234, 3.5]),
    ("comma decimals, 1.234 is a thousand", ["0,875", "1.234", "3,5"], [0.875, 1234.0, 3.5]),
    ("comma decimals with thousands", ["1.234,5", "2", "9.876"], [1234.5, 2.0, 9876.0]),
    ("dot decimals with thousands", ["1,234.5", "2", "9,876"], [1234.5, 2.0, 9876.0]),
    ("only plain numbers", ["7", "-0", "120"], [7.0, 0.0, 120.0]),
    ("a lone 0.875 is a decimal", ["0.875"], [0.875]),
    ("a lone 0,875 is a decimal", ["0,875"], [0.875]),
    ("spaces group thousands", ["1 234,5", "6,25"], [1234.5, 6.25]),
    ("no-break spaces group thousands", ["1\u00a0234.5", "6\u202f025.25"], [1234.5, 6025.25]),
]

# (case, texts) -> the exact problems
NUMBER_REFUSALS: list[tuple[str, list[str], list[str]]] = [
    ("comma and dot decimals mixed", ["7,5", "3.25"],
     ["Rij 3, kolom 'waarde': '3.25' is geschreven met een decimale punt (6.4 en 1,234.5), maar rij 2 ('7,5') met "
      "een decimale komma (6,4 en 1.234,5); gebruik in één kolom één schrijfwijze"]),
    ("thousands dot and thousands comma mixed", ["1.234,5", "1,234,567"],
     ["Rij 3, kolom 'waarde': '1,234,567' is geschreven met een decimale punt (6.4 en 1,234.5), maar rij 2 "
      "('1.234,5') met een decimale komma (6,4 en 1.234,5); gebruik in één kolom één schrijfwijze"]),
    ("a lone 1.234 is ambiguous", ["1.234"],
     ["Rij 2, kolom 'waarde': '1.234' is dubbelzinnig: 1234 of 1,234. Er staat geen ander getal in de kolom dat "
      "laat zien of de punt of de komma het decimaalteken is; schrijf het getal zonder duizendtalteken, met een "
      "decimale komma (1234 of 1,234)"]),
    ("a lone 1,234 is ambiguous", ["1,234", "12"],
     ["Rij 2, kolom 'waarde': '1,234' is dubbelzinnig: 1,234 of 1234. Er staat geen ander getal in de kolom dat "
      "laat zien of de punt of de komma het decimaalteken is; schrijf het getal zonder duizendtalteken, met een "
      "decimale komma (1234 of 1,234)"]),
    ("400 digits do not fit a double", ["1" * 400],
     ["Rij 2, kolom 'waarde': '111111111111…111111 (400 tekens)' is te groot om als getal op te slaan"]),
    ("a space is no decimal separator", ["1 2"], ["Rij 2, kolom 'waarde': '1 2' is geen getal"]),
    ("a space groups three digits", ["1 2345,5"], ["Rij 2, kolom 'waarde': '1 2345,5' is geen getal"]),
    ("a hectare figure above the range", ["12.345.678", "0,5"],
     ["Rij 2, kolom 'waarde': 12.345.678 is hoger dan toegestaan (maximaal 100.000)"]),
]

UNICODE_DIGITS = {  # script -> its digits 0-9
    "fullwidth": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
    "mathematical bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
}


def _digits(text: str, script: str) -> str:
    return text.translate(str.maketrans("0123456789", UNICODE_DIGITS[script]))


def _digit_cases() -> list[Refused]:
    out = []
    for script, digits in UNICODE_DIGITS.items():
        two = digits[2]
        code = f"U+{ord(two):04X}"
        zero, one, four = digits[0], digits[1], digits[4]
        period, count, gm = _digits("2024", script), _digits("118", script), "GM" + _digits("0141", script)
        tail = "dat geen gewoon cijfer 0-9 is; typ de waarde opnieuw met de cijfers 0-9"
        out += [
            Refused(f"{script} digits in a period", VOUCHERS, "a.csv", csv_bytes(f"{V_HEAD}{period};GM0141;3\n"),
                    [f"Rij 2, kolom 'periode': '{period}' bevat het teken '{two}' ({code}), {tail}"]),
            Refused(f"{script} digits in a count", VOUCHERS, "a.csv", csv_bytes(f"{V_HEAD}2024;GM0141;{count}\n"),
                    [f"Rij 2, kolom 'aantal_scholingscheques': '{count}' bevat het teken '{one}' "
                     f"(U+{ord(one):04X}), {tail}"]),
            Refused(f"{script} digits in a municipality code", VOUCHERS, "a.csv",
                    csv_bytes(f"{V_HEAD}2024;{gm};3\n"),
                    [f"Rij 2, kolom 'gemeente': '{gm}' bevat het teken '{zero}' (U+{ord(zero):04X}), {tail}"]),
        ]
        assert four  # every script has all ten digits
    return out


def _size_cases() -> list[Refused]:
    big = "9" * 309
    return [
        Refused("2**63 does not fit BIGINT", VOUCHERS, "a.csv", csv_bytes(f"{V_HEAD}2024;GM0141;9223372036854775808\n"),
                ["Rij 2, kolom 'aantal_scholingscheques': '9223372036854775808' is te groot; een geheel getal mag "
                 "hoogstens 9.223.372.036.854.775.807 zijn"]),
        Refused("a 309-digit count is not printed whole", VOUCHERS, "a.csv", csv_bytes(f"{V_HEAD}2024;GM0141;{big}\n"),
                ["Rij 2, kolom 'aantal_scholingscheques': '999999999999…999999 (309 tekens)' is te groot; een geheel "
                 "getal mag hoogstens 9.223.372.036.854.775.807 zijn"]),
        Refused("a 1e20 number cell does not fit BIGINT", VOUCHERS, "a.xlsx",
                xlsx_bytes([["periode", "gemeente", "aantal_scholingscheques"], [2024, "GM0141", 1e20]]),
                ["Rij 2, kolom 'aantal_scholingscheques': '1e+20' is te groot; een geheel getal mag hoogstens "
                 "9.223.372.036.854.775.807 zijn"]),
        Refused("period 0000", VOUCHERS, "a.csv", csv_bytes(f"{V_HEAD}0000;GM0141;3\n"),
                ["Rij 2, kolom 'periode': '0000' is geen geldige periode: het jaartal 0000 ligt vóór 1900; verwacht "
                 "jaar (2024) of kwartaal (2024-K3)"]),
        Refused("quarter 0000-K1", VOUCHERS, "a.csv", csv_bytes(f"{V_HEAD}0000-K1;GM0141;3\n"),
                ["Rij 2, kolom 'periode': '0000-K1' is geen geldige periode: het jaartal 0000 ligt vóór 1900; "
                 "verwacht jaar (2024) of kwartaal (2024-K3)"]),
    ]


# -- bytes that are not what their name says; encodings ---------------------------------------------------

ENCODED_OK = {  # encodings a valid voucher csv may come in
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8 with BOM": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "windows-1252": lambda t: t.encode("cp1252"),
    "utf-16-le with BOM": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
    "utf-16-be with BOM": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
}
VOUCHER_TEXT = "Overzicht – één regel per gemeente\r\nperiode;gemeente;aantal_scholingscheques\r\n2024;Almelo;1.118\r\n"
VOUCHER_TAB_TEXT = "periode\tgemeente\taantal_scholingscheques\r\n2024\tAlmelo\t1118\r\n"


def _misleading_bytes() -> list[Refused]:
    book = xlsx_bytes([["periode", "gemeente", "aantal_scholingscheques"], [2024, "GM0141", 3]])
    return [
        Refused("utf-16-le without BOM", VOUCHERS, "a.csv", VOUCHER_TEXT.encode("utf-16-le"),
                ["Het bestand is als UTF-16 opgeslagen zonder kenmerk (BOM); die tekencodering is niet zeker te "
                 "lezen. Sla het op als CSV UTF-8."]),
        Refused("utf-16-be without BOM", VOUCHERS, "a.csv", VOUCHER_TEXT.encode("utf-16-be"),
                ["Het bestand is als UTF-16 opgeslagen zonder kenmerk (BOM); die tekencodering is niet zeker te "
                 "lezen. Sla het op als CSV UTF-8."]),
        Refused("xlsx bytes named .csv", VOUCHERS, "a.csv", book,
                ["Dit is een Excel-bestand (.xlsx) met de naam .csv. Geef het de naam .xlsx, of sla het in Excel op "
                 "als CSV UTF-8."]),
        Refused("xlsx bytes named .txt", VOUCHERS, "a.txt", book,
                ["Dit is een Excel-bestand (.xlsx) met de naam .txt. Geef het de naam .xlsx, of sla het in Excel op "
                 "als CSV UTF-8."]),
        Refused("xls bytes named .csv", VOUCHERS, "a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
                ["Dit is een oud Excel-bestand (.xls) met de naam .csv. Sla het op als Excel-werkmap (.xlsx) of als "
                 "CSV UTF-8."]),
        Refused("NUL bytes in a csv", VOUCHERS, "a.csv", csv_bytes(V_HEAD + "2024;GM0141;3\n") + b"\0\0\0\0",
                ["Het bestand bevat nul-tekens en is daardoor geen leesbaar tekstbestand; sla het op als CSV UTF-8."]),
        Refused("a cell over the csv field limit", VOUCHERS, "a.csv",
                csv_bytes(V_HEAD + "2024;GM0141;3\n2023;GM0141;\"" + "x" * 140_000 + "\n"),
                ["Rij 3: een cel is langer dan 131.072 tekens (vaak een aanhalingsteken dat niet wordt afgesloten); "
                 "controleer de aanhalingstekens"]),
    ]


# -- workbooks: sheets, hidden rows and columns, cells openpyxl cannot show -----------------------------

HEADER = ["periode", "gemeente", "aantal_scholingscheques"]


def book(sheets: list[tuple[str, list[list[object]], str]], active: int = 0, hidden_rows: tuple[int, ...] = (),
         hidden_columns: tuple[str, ...] = ()) -> bytes:
    """A workbook with ``(title, rows, state)`` sheets; hidden rows/columns on the active sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        ws.sheet_state = state
    wb.active = active
    ws = wb.worksheets[active]
    for r in hidden_rows:
        ws.row_dimensions[r].hidden = True
    for c in hidden_columns:
        ws.column_dimensions[c].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_raw_value(data: bytes, cell: str, value: str, kind: str | None = None) -> bytes:
    """Set ``cell`` of the first sheet to a raw ``<v>`` (e.g. NaN, which openpyxl would never write)."""
    t = f' t="{kind}"' if kind else ""
    return replace_cell(data, cell, f'<c r="{cell}"{t}><v>{value}</v></c>')


OLD = [["Oude cijfers (verborgen)"], HEADER, [2023, "GM0141", 1], [2024, "GM0141", 2]]
NEW = [HEADER, [2024, "GM0141", 118], [2024, "GM0153", 40]]


def _workbook_refusals() -> list[Refused]:
    plain = xlsx_bytes([HEADER, [2024, "GM0141", 0]])
    nan_tail = "geen getal dat Excel kan tonen (bijvoorbeeld NaN of oneindig); vul een getal in of laat de cel leeg"
    out = [
        Refused("header not on the active sheet", VOUCHERS, "a.xlsx",
                book([("gegevens", NEW, "hidden"), ("toelichting", [["Lees mij"]], "visible")], active=1),
                ["Geen kopregel gevonden op werkblad 'toelichting', het werkblad dat Excel bij openen toont. Verwacht "
                 "een regel met de kolommen: periode, gemeente, aantal_scholingscheques. Het bestand heeft de "
                 "werkbladen: 'gegevens' (verborgen), 'toelichting'; zet de gegevens op het zichtbare werkblad dat "
                 "bij openen actief is (gebruik het sjabloon)"], xlsx_source=True),
        Refused("a hidden row with data", VOUCHERS, "a.xlsx",
                book([("gegevens", [HEADER, [2024, "GM0141", 118], [2024, "GM0153", 40], [2023, "GM0141", 7]],
                       "visible")], hidden_rows=(3,)),
                ["Rij 3: deze rij is verborgen in Excel maar bevat gegevens; maak verborgen rijen zichtbaar en lever "
                 "alleen wat u ziet (verwijder de rij als die niet mee moet)"], xlsx_source=True),
        Refused("a hidden column with data", VOUCHERS, "a.xlsx",
                book([("gegevens", [HEADER + ["opmerking"], [2024, "GM0141", 118, "x"]], "visible")],
                     hidden_columns=("D",)),
                ["Onbekende kolom 'opmerking'. Toegestane kolommen: periode, gemeente, aantal_scholingscheques",
                 "Kolom 'opmerking': kolom D is verborgen in Excel maar bevat gegevens; maak verborgen kolommen "
                 "zichtbaar en lever alleen wat u ziet"], xlsx_source=True),
        Refused("a hidden count column", VOUCHERS, "a.xlsx",
                book([("gegevens", [HEADER, [2024, "GM0141", 118]], "visible")], hidden_columns=("C",)),
                ["Kolom 'aantal_scholingscheques': kolom C is verborgen in Excel maar bevat gegevens; maak verborgen "
                 "kolommen zichtbaar en lever alleen wat u ziet"], xlsx_source=True),
        Refused("text typed as a number in a workbook", VOUCHERS, "a.xlsx",
                book([("gegevens", [HEADER, ["２０２４", "GM0141", "1.118"]], "visible")]),
                ["Rij 2, kolom 'periode': '２０２４' bevat het teken '２' (U+FF12), dat geen gewoon cijfer 0-9 is; "
                 "typ de waarde opnieuw met de cijfers 0-9"], xlsx_source=True),
        Refused("formula without a stored result", VOUCHERS, "a.xlsx",
                with_cached_formula(plain, "C2", "SUM(1,2)", None),
                ["Rij 2, kolom 'aantal_scholingscheques': formule zonder opgeslagen uitkomst: Excel toont hier een "
                 "waarde, maar het bestand bevat die niet. Open het bestand in Excel of LibreOffice, laat het "
                 "herberekenen en sla het opnieuw op"]),
        Refused("an error value", VOUCHERS, "a.xlsx", with_raw_value(plain, "C2", "#DIV/0!", "e"),
                ["Rij 2, kolom 'aantal_scholingscheques': de cel toont de foutwaarde #DIV/0!; vul een waarde in of "
                 "laat de cel leeg"]),
    ]
    out.append(Refused("a text cell pointing past the shared strings", VOUCHERS, "a.xlsx",
                       with_raw_value(plain, "B2", "999", "s"),
                       ["Rij 2: de cellen van deze rij op werkblad 'Sheet' kunnen niet gelezen worden (IndexError); "
                        "controleer de waarden en opmaak in die rij"]))
    for raw in ("NaN", "INF", "-INF", "nan", "1E999", "Infinity"):
        out.append(Refused(f"number cell {raw}", VOUCHERS, "a.xlsx", with_raw_value(plain, "C2", raw),
                           [f"Rij 2: cel C2 bevat '{raw}', {nan_tail}"]))
    return out


def _workbook_accepted() -> list[Accepted]:
    cols = ("period", "municipality_code", "vouchers_issued")
    expected = [("2024JJ00", "GM0141", 118), ("2024JJ00", "GM0153", 40)]
    return [
        Accepted("the visible active sheet, not the hidden first one", VOUCHERS, "a.xlsx",
                 book([("oud", OLD, "hidden"), ("nieuw", NEW, "visible")], active=1), cols, expected,
                 xlsx_source=True),
        Accepted("the active sheet, not the first visible one", VOUCHERS, "a.xlsx",
                 book([("oud", OLD, "visible"), ("nieuw", NEW, "visible")], active=1), cols, expected,
                 xlsx_source=True),
        Accepted("data below an empty first row and right of an empty column", VOUCHERS, "a.xlsx",
                 book([("gegevens", [[], [None, *HEADER], [None, 2024, "GM0141", 118],
                                     [None, 2024, "GM0153", 40]], "visible")]), cols, expected, xlsx_source=True),
        Accepted("a hidden empty row is harmless", VOUCHERS, "a.xlsx",
                 book([("gegevens", [HEADER, [2024, "GM0141", 118], [], [2024, "GM0153", 40]], "visible")],
                      hidden_rows=(3,)), cols, expected, xlsx_source=True),
        Accepted("text numbers in a workbook follow the column", KENNISPUNT, "a.xlsx",
                 book([("gegevens", [["indicator", "regio", "periode", "waarde", "eenheid"],
                                     ["grond_lokaal_mkb", "GM0141", 2023, "0.875", "hectare"],
                                     ["grond_lokaal_mkb", "GM0141", 2024, "1.234", "hectare"]], "visible")]),
                 ("period", "value"), [("2023JJ00", 0.875), ("2024JJ00", 1.234)], xlsx_source=True),
    ]


def _encoding_accepted() -> list[Accepted]:
    cols = ("period", "municipality_code", "vouchers_issued")
    out = [Accepted(f"encoded {enc}", VOUCHERS, "a.csv", encode(VOUCHER_TEXT), cols, [("2024JJ00", "GM0141", 1118)])
           for enc, encode in ENCODED_OK.items()]
    out.append(Accepted("utf-16 tab separated (Excel 'Unicode-tekst')", VOUCHERS, "a.txt",
                        b"\xff\xfe" + VOUCHER_TAB_TEXT.encode("utf-16-le"), cols, [("2024JJ00", "GM0141", 1118)]))
    out.append(Accepted("the most vouchers the range allows", VOUCHERS, "a.csv",
                        csv_bytes(f"{V_HEAD}2024;GM0141;100000\n"), cols, [("2024JJ00", "GM0141", 100000)]))
    return out


def _vouchers(counts: list[str]) -> bytes:
    return csv_bytes(V_HEAD + "".join(f"{2015 + i};GM0141;{c}\n" for i, c in enumerate(counts)))


# whole-number column: only the reading that is a whole number counts; the column decides alone
COUNT_READINGS: list[tuple[str, list[str], list[int]]] = [
    ("count 1.234 is a thousand", ["1.234"], [1234]),
    ("count 1,234 is a thousand", ["1,234"], [1234]),
    ("count 1.000 follows 1.234 in its column", ["1.000", "1.234"], [1000, 1234]),
    ("count 99.000 follows 1.234 in its column", ["99.000", "1.234"], [99000, 1234]),
]
COUNT_REFUSALS: list[tuple[str, list[str], list[str]]] = [
    ("a lone count 1.000 is ambiguous", ["1.000"],
     ["Rij 2, kolom 'aantal_scholingscheques': '1.000' is dubbelzinnig: 1000 of 1. Er staat geen ander getal in de "
      "kolom dat laat zien of de punt of de komma het decimaalteken is; schrijf het getal zonder punt of komma "
      "(1234)"]),
    ("counts with thousands dot and thousands comma", ["1.234", "1,234"],
     ["Rij 3, kolom 'aantal_scholingscheques': '1,234' is geschreven met een decimale punt (6.4 en 1,234.5), maar "
      "rij 2 ('1.234') met een decimale komma (6,4 en 1.234,5); gebruik in één kolom één schrijfwijze"]),
    ("a count of 6,5", ["6,5"], ["Rij 2, kolom 'aantal_scholingscheques': '6,5' is geen geheel getal"]),
    ("the largest BIGINT is far above the range", ["9223372036854775807"],
     ["Rij 2, kolom 'aantal_scholingscheques': 9.223.372.036.854.775.807 is hoger dan toegestaan (maximaal "
      "100.000)"]),
    ("a million vouchers is above the range", ["1.000.000"],
     ["Rij 2, kolom 'aantal_scholingscheques': 1.000.000 is hoger dan toegestaan (maximaal 100.000)"]),
]


# -- the number corpus (``numbers``) in every number column of every delivery type, csv and xlsx -------------------

#: texts of the corpus a delivery reads as a number by its own conventions: a leading decimal separator (,5 / .5)
DELIVERY_NUMBERS = {".5"}
FOREIGN = "dat geen gewoon cijfer 0-9 is; typ de waarde opnieuw met de cijfers 0-9"


def _varied(dtype: DeliveryType, col_name: str, i: int) -> str | None:
    """Row ``i``'s value of a key period or date column (each row its own key), else None (the example)."""
    col = dtype.column(col_name)
    year = 1950 + i
    if col.type == "date":
        return f"31-12-{year}"
    if col.type == "period":
        return str(year) if "year" in col.kinds else f"{year}-K1" if "quarter" in col.kinds else f"{year}-01"
    return None


def _refusal(text: str) -> str:
    """The Dutch reason for a corpus text in a number cell (written here, not taken from the code under test)."""
    foreign = next((ch for ch in text if ch.isnumeric() and not "0" <= ch <= "9"), None)
    if foreign:
        return f"'{text.strip()}' bevat het teken '{foreign}' (U+{ord(foreign):04X}), {FOREIGN}"
    return f"'{text.strip()}' is geen getal"


def number_corpus_cases() -> list[Refused]:
    """Per delivery type a csv and an xlsx with one corpus text per row, the number columns taking turns; and a
    workbook with a raw non-finite number cell. Every other cell is the column's template example."""
    out = []
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    texts = [t for t in numbers.texts() if t not in DELIVERY_NUMBERS]
    # number cells no spreadsheet writes, each of which openpyxl's float() would read (NaN, inf, 10, 0.0, 12)
    raw = ["NaN", "-INF", "1E999", "Infinity", "nan", "INF", "-1e400", "1_0", "1E-999", "１２", "+inf"]
    types = list(catalogue.types)
    for dtype in catalogue.types:
        number_cols = [c for c in dtype.columns if c.type in NUMBER_TYPES]
        assert number_cols, dtype.name
        vary = next(c for c in dtype.key if dtype.column(c).type in ("period", "date"))
        header = [c.header for c in dtype.columns]
        rows, problems = [], []
        for i, text in enumerate(texts):
            target = number_cols[i % len(number_cols)]
            rows.append([text if c is target else _varied(dtype, c.name, i) if c.name == vary else c.example
                         for c in dtype.columns])
            problems.append(f"Rij {i + 2}, kolom '{target.header}': {_refusal(text)}")
        text_rows = "".join(";".join(r) + "\n" for r in [header, *rows])
        out.append(Refused(f"number corpus in {dtype.name} (csv)", dtype.name, "a.csv", csv_bytes(text_rows),
                           problems))
        out.append(Refused(f"number corpus in {dtype.name} (xlsx text cells)", dtype.name, "a.xlsx",
                           xlsx_bytes([header, *rows]), problems))
    for k, token in enumerate(raw):  # in the first number column, the types taking turns
        dtype = types[k % len(types)]
        first = next(c for c in dtype.columns if c.type in NUMBER_TYPES)
        letter = "ABCDEFGHIJ"[dtype.columns.index(first)]
        plain = xlsx_bytes([[c.header for c in dtype.columns], [c.example for c in dtype.columns]])
        out.append(Refused(f"number cell {token} in {dtype.name}", dtype.name, "a.xlsx",
                           with_raw_value(plain, f"{letter}2", token),
                           [f"Rij 2: cel {letter}2 bevat '{token}', geen getal dat Excel kan tonen (bijvoorbeeld NaN "
                            "of oneindig); vul een getal in of laat de cel leeg"]))
    return out


def _mixed_conventions() -> list[Refused]:
    """1.250 and 0,9 in one spanningsindicator column: 1.250 reads as 1250 (the column's decimal comma), which the
    range refuses, saying how it was read and what was probably meant."""
    head = "kwartaal;gebied;spanningsindicator\n"
    return [
        Refused("spanningsindicator 1.250 beside 0,9", "uwv_spanningsindicator", "a.csv",
                csv_bytes(head + "2024-K1;Twente;1.250\n2024-K2;Twente;0,9\n"),
                ["Rij 2, kolom 'spanningsindicator': 1.250 is hoger dan toegestaan (maximaal 20). '1.250' is gelezen "
                 "met de punt als duizendtalteken, want de kolom is geschreven met een decimale komma (6,4 en "
                 "1.234,5), zoals rij 3 ('0,9'). Bedoelt u 1,25? Schrijf het dan zo; gebruik in één kolom één "
                 "schrijfwijze"]),
        Refused("spanningsindicator 1,250 beside 0.9", "uwv_spanningsindicator", "a.csv",
                csv_bytes(head + "2024-K1;Twente;0.9\n2024-K2;Twente;1,250\n"),
                ["Rij 3, kolom 'spanningsindicator': 1.250 is hoger dan toegestaan (maximaal 20). '1,250' is gelezen "
                 "met de komma als duizendtalteken, want de kolom is geschreven met een decimale punt (6.4 en "
                 "1,234.5), zoals rij 2 ('0.9'). Bedoelt u 1.25? Schrijf het dan zo; gebruik in één kolom één "
                 "schrijfwijze"]),
        Refused("spanningsindicator 1.250 beside 0,9 in a workbook", "uwv_spanningsindicator", "a.xlsx",
                xlsx_bytes([["kwartaal", "gebied", "spanningsindicator"], ["2024-K1", "Twente", "0,9"],
                            ["2024-K2", "Twente", "1.250"]]),
                ["Rij 3, kolom 'spanningsindicator': 1.250 is hoger dan toegestaan (maximaal 20). '1.250' is gelezen "
                 "met de punt als duizendtalteken, want de kolom is geschreven met een decimale komma (6,4 en "
                 "1.234,5), zoals rij 2 ('0,9'). Bedoelt u 1,25? Schrijf het dan zo; gebruik in één kolom één "
                 "schrijfwijze"], xlsx_source=True),
    ]


def refused_cases() -> list[Refused]:
    numbers = [Refused(case, KENNISPUNT, "a.csv", _kennispunt(texts), problems)
               for case, texts, problems in NUMBER_REFUSALS]
    numbers += [Refused(case, VOUCHERS, "a.csv", _vouchers(texts), problems)
                for case, texts, problems in COUNT_REFUSALS]
    return (numbers + _digit_cases() + _size_cases() + _misleading_bytes() + _workbook_refusals()
            + number_corpus_cases() + _mixed_conventions())


def accepted_cases() -> list[Accepted]:
    numbers = [Accepted(case, KENNISPUNT, "a.csv", _kennispunt(texts), ("value",), [(x,) for x in values])
               for case, texts, values in NUMBER_READINGS]
    numbers += [Accepted(case, VOUCHERS, "a.csv", _vouchers(texts), ("vouchers_issued",), [(x,) for x in values])
                for case, texts, values in COUNT_READINGS]
    return numbers + _encoding_accepted() + _workbook_accepted()


# -- LibreOffice ------------------------------------------------------------------------------------------

def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def resave_with_libreoffice(files: dict[str, bytes]) -> dict[str, bytes]:
    """Open each workbook in LibreOffice Calc (headless) and save it again as .xlsx: the bytes LibreOffice
    writes (its own XML, sheet states, hidden rows and columns), for the same content."""
    exe = soffice()
    assert exe, "LibreOffice is not installed"
    with tempfile.TemporaryDirectory(prefix="ea-lo-") as tmp:
        src, out, profile = Path(tmp, "in"), Path(tmp, "out"), Path(tmp, "profile")
        src.mkdir()
        for i, data in enumerate(files.values()):
            (src / f"f{i}.xlsx").write_bytes(data)
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out),
                        *sorted(str(p) for p in src.iterdir())],
                       check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": tmp})
        return {name: (out / f"f{i}.xlsx").read_bytes() for i, name in enumerate(files)}

"""Validate a delivered file against its delivery type and return typed rows, or refuse it whole.

Every problem names the row (as numbered in the spreadsheet) and the column (as headed in the file),
in Dutch, so that the partner can fix the file. Nothing is partially accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ea_pipelines import clock
from ea_pipelines.catalogue.deliveries import NUMBER_TYPES, Column, DeliveryType, normalise_header
from ea_pipelines.deliveries import values as v
from ea_pipelines.deliveries.problems import Problem, Rejected
from ea_pipelines.deliveries.reading import Grid, Limits, read_grids, sheet_list
from ea_pipelines.deliveries.xlsx_scan import column_letters
from ea_pipelines.reference.regions import RegionIndex, RegionLookupError

MAX_PROBLEMS = 50
HEADER_SEARCH_ROWS = 10


@dataclass
class Parsed:
    frame: pd.DataFrame  # catalogue columns in order, plus source_row
    form: str


@dataclass
class _Layout:
    grid: Grid
    header_row: int  # index into grid.rows
    columns: dict[int, Column]  # grid column index -> catalogue column
    headers: dict[str, str]  # catalogue column name -> header text as written
    problems: list[Problem]
    score: int


def _trim(row: list[Any]) -> list[Any]:
    while row and v.is_empty(row[-1]):
        row = row[:-1]
    return row


def _layout(dtype: DeliveryType, grid: Grid) -> _Layout | None:
    """Find the header row (skipping title rows) and map its cells to catalogue columns."""
    lookup = {h: c for c in dtype.columns for h in c.accepted_headers}
    best: tuple[int, int] | None = None
    seen = 0
    for idx, row in enumerate(grid.rows):
        if not any(not v.is_empty(c) for c in row):
            continue
        seen += 1
        if seen > HEADER_SEARCH_ROWS:
            break
        score = len({lookup[normalise_header(c)].name for c in row
                     if isinstance(c, str) and normalise_header(c) in lookup})
        if best is None or score > best[1]:
            best = (idx, score)
    if best is None or best[1] == 0:
        return None
    idx, score = best
    header = _trim(list(grid.rows[idx]))
    problems: list[Problem] = []
    columns: dict[int, Column] = {}
    headers: dict[str, str] = {}
    for j, cell in enumerate(header):
        if v.is_empty(cell):
            if any(j < len(r) and not v.is_empty(r[j]) for r in grid.rows[idx + 1:]):
                problems.append(Problem(f"kolom {j + 1} heeft geen kopnaam maar bevat wel gegevens"))
            continue
        text = str(cell).strip() if isinstance(cell, str) else v.cell_text(cell)
        col = lookup.get(normalise_header(text))
        if col is None:
            problems.append(Problem(f"onbekende kolom '{v.shorten(text, 60)}'. Toegestane kolommen: "
                                    f"{', '.join(c.header for c in dtype.columns)}"))
        elif col.name in headers:
            problems.append(Problem(f"kolom '{v.shorten(text, 60)}' staat er twee keer in (ook als "
                                    f"'{headers[col.name]}')"))
        else:
            columns[j] = col
            headers[col.name] = text
    for col in dtype.columns:
        if col.name not in headers and col.required:
            problems.append(Problem(f"kolom '{col.header}' ontbreekt"))
    return _Layout(grid, idx, columns, headers, problems, score)


CONFLICT = "conflict"  # a column whose values fix both number conventions


def _convert(col: Column, cell: Any, regions: RegionIndex, today: dt.date, convention: str | None = None,
             proof: tuple[int, str] | None = None) -> Any:
    """Typed value of one non-empty cell; ValueError with a Dutch message if it is not acceptable. ``proof`` is the
    cell (row, text) that fixed the column's number convention, named when a value read that way is out of range."""
    if col.type != "text" or col.allowed:  # numbers, periods, dates and codes: only ASCII digits are digits
        v.check_ascii_digits(cell)
    if col.type in NUMBER_TYPES:
        value: Any = (v.to_integer(cell, convention) if col.type == "integer"
                      else v.to_number(cell, convention, col.precision))
        low, high = col.bounds
        if low is not None and value < low:
            raise ValueError(f"{v.fmt_number(value)} is lager dan toegestaan (minimaal {v.fmt_number(low)})"
                             if low != 0 else f"{v.fmt_number(value)} is negatief; alleen 0 of meer is toegestaan")
        if high is not None and value > high:
            raise ValueError(f"{v.fmt_number(value)} is hoger dan toegestaan (maximaal {v.fmt_number(high)})"
                             + v.misread(cell, convention, proof, low, high))
        return value
    if col.type == "period":
        code = v.to_period(cell, col.kinds)
        if v.period_start(code) > today:
            raise ValueError(f"periode '{v.cell_text(cell)}' ligt in de toekomst")
        return code
    if col.type == "date":
        date = v.to_date(cell)
        if date > today:
            raise ValueError(f"datum {date:%d-%m-%Y} ligt in de toekomst")
        return date
    text = v.plain_text(cell)
    try:
        if col.type == "municipality":
            return regions.municipality(text)
        if col.type == "region":
            return regions.region(text)
    except RegionLookupError as exc:
        raise ValueError(str(exc).replace(f"'{text}'", f"'{v.shorten(text)}'")) from exc
    if col.max_length is not None and len(text) > col.max_length:
        raise ValueError(f"de tekst is {len(text)} tekens lang; hoogstens {col.max_length} tekens toegestaan")
    if col.allowed:
        match = {a.lower(): a for a in col.allowed}.get(text.lower())
        if match is None:
            raise ValueError(f"'{v.shorten(text)}' is geen toegestane waarde; kies uit: {', '.join(col.allowed)}")
        return match
    return text  # stored as text, even when it starts with =, +, - or @; never evaluated


def _row_checks(dtype: DeliveryType, rec: dict[str, Any], row_no: int, headers: dict[str, str]) -> list[Problem]:
    problems = []
    for check in dtype.checks:
        a, b = rec.get(check.column), rec.get(check.other)
        if a is not None and b is not None and a > b:
            problems.append(Problem(f"{v.fmt_number(a)} is groter dan '{headers.get(check.other, check.other)}' "
                                    f"({v.fmt_number(b)})", row_no, headers.get(check.column, check.column)))
    rules = dtype.value_rules
    if rules and rec.get(rules.by) in rules.rules:
        rule = rules.rules[rec[rules.by]]
        value, col = rec.get(rules.value), headers.get(rules.value, rules.value)
        if value is not None and rule.min is not None and value < rule.min:
            problems.append(Problem(f"{v.fmt_number(value)} is lager dan toegestaan voor {rec[rules.by]} "
                                    f"(minimaal {v.fmt_number(rule.min)})", row_no, col))
        if value is not None and rule.max is not None and value > rule.max:
            problems.append(Problem(f"{v.fmt_number(value)} is hoger dan toegestaan voor {rec[rules.by]} "
                                    f"(maximaal {v.fmt_number(rule.max)})", row_no, col))
        unit = rec.get(rules.unit) if rules.unit else None
        if rule.unit and unit is not None and unit != rule.unit:
            problems.append(Problem(f"eenheid '{unit}' past niet bij {rec[rules.by]}; verwacht '{rule.unit}'",
                                    row_no, headers.get(rules.unit, rules.unit)))
    return problems


def _no_header(dtype: DeliveryType, grids: list[Grid]) -> Problem:
    expected = ", ".join(c.header for c in dtype.columns)
    grid = grids[0]
    if grid.sheet is None:
        return Problem(f"geen kopregel gevonden. Verwacht een regel met de kolommen: {expected} (gebruik het sjabloon)")
    return Problem(f"geen kopregel gevonden op werkblad '{v.shorten(grid.sheet)}', het werkblad dat Excel bij "
                   f"openen toont. Verwacht een regel met de kolommen: {expected}. Het bestand heeft de werkbladen: "
                   f"{sheet_list(grid.sheets)}; zet de gegevens op het zichtbare werkblad dat bij openen actief is "
                   "(gebruik het sjabloon)")


def _hidden(lay: _Layout) -> list[Problem]:
    """Hidden rows and columns that hold data are refused: the partner does not see what would be loaded."""
    scan, rows = lay.grid.scan, lay.grid.rows
    problems = []
    for r in sorted(scan.hidden_rows):
        if r <= len(rows) and any(not v.is_empty(c) for c in rows[r - 1]):
            problems.append(Problem("deze rij is verborgen in Excel maar bevat gegevens; maak verborgen rijen "
                                    "zichtbaar en lever alleen wat u ziet (verwijder de rij als die niet mee moet)", r))
    header = lay.grid.rows[lay.header_row]
    for j in sorted(scan.hidden_columns):
        if any(j < len(row) and not v.is_empty(row[j]) for row in rows):
            name = v.cell_text(header[j]) if j < len(header) and not v.is_empty(header[j]) else None
            problems.append(Problem(f"kolom {column_letters(j)} is verborgen in Excel maar bevat gegevens; maak "
                                    "verborgen kolommen zichtbaar en lever alleen wat u ziet", None, name))
    return problems


def _conventions(dtype: DeliveryType, lay: _Layout
                 ) -> tuple[dict[str, str | None], dict[str, tuple[int, str]], list[Problem]]:
    """The number convention per number column, decided from all its text values (and else the file's), and per
    column the cell (row, text) that decided it, when the column itself did."""
    samples: dict[int, list[tuple[int, str]]] = {}
    for j, col in lay.columns.items():
        if col.type in NUMBER_TYPES:
            samples[j] = [(i + 1, row[j]) for i, row in enumerate(lay.grid.rows[lay.header_row + 1:],
                                                                  start=lay.header_row + 1)
                          if j < len(row) and isinstance(row[j], str) and row[j].strip()]
    file_evidence: set[str] = set()
    for j, found in samples.items():
        file_evidence |= set(v.evidence(found, lay.columns[j].type == "integer"))
    fallback = next(iter(file_evidence)) if len(file_evidence) == 1 else None
    out: dict[str, str | None] = {}
    proofs: dict[str, tuple[int, str]] = {}
    problems = []
    for j, found in samples.items():
        col = lay.columns[j]
        header = lay.headers[col.name]
        integer = col.type == "integer"  # a whole-number column decides from its own values only
        decided = v.decide_convention(found, integer, None if integer else fallback)
        if decided.conflict:
            (r1, t1), (r2, t2) = decided.conflict
            c1 = v.CONVENTION_WORDS[next(iter(v.evidence([(r1, t1)], col.type == "integer")))]
            c2 = v.CONVENTION_WORDS[next(iter(v.evidence([(r2, t2)], col.type == "integer")))]
            problems.append(Problem(f"'{v.cell_text(t2)}' is geschreven met {c2}, maar rij {r1} ('{v.cell_text(t1)}') "
                                    f"met {c1}; gebruik in één kolom één schrijfwijze", r2, header))
            out[col.name] = CONFLICT
            continue
        out[col.name] = decided.convention
        own = v.evidence(found, integer).get(decided.convention or "")
        if own:
            proofs[col.name] = own
        if decided.convention is None:
            for row_no, text in found:
                why = v.ambiguity(text, col.type == "integer")
                if why:
                    problems.append(Problem(why, row_no, header))
    return out, proofs, problems


def _cell_problem(lay: _Layout, row_no: int, j: int) -> str | None:
    """What the sheet shows in a cell that openpyxl reads as empty or as text, when it is not a value."""
    scan = lay.grid.scan
    if (row_no, j) in scan.uncached_formulas:
        return ("formule zonder opgeslagen uitkomst: Excel toont hier een waarde, maar het bestand bevat die "
                "niet. Open het bestand in Excel of LibreOffice, laat het herberekenen en sla het opnieuw op")
    if (row_no, j) in scan.error_values:
        return (f"de cel toont de foutwaarde {v.shorten(scan.error_values[(row_no, j)])}; vul een waarde in "
                "of laat de cel leeg")
    return None


def parse_delivery(dtype: DeliveryType, name: str, data: bytes, regions: RegionIndex,
                   today: dt.date | None = None, limits: Limits | None = None) -> Parsed:
    """Typed rows of a delivered file; raises :class:`Rejected` listing every problem found."""
    today = today or clock.today()
    grids = read_grids(name, data, limits or Limits())
    layouts = [lay for lay in (_layout(dtype, g) for g in grids) if lay is not None]
    if not layouts:
        raise Rejected([_no_header(dtype, grids)])
    lay = max(layouts, key=lambda x: (x.score, -len(x.problems)))
    problems = list(lay.problems) + _hidden(lay)
    if problems:
        raise Rejected(problems)
    conventions, proofs, problems = _conventions(dtype, lay)
    problems = problems[:MAX_PROBLEMS]
    records: list[dict[str, Any]] = []
    keys: dict[tuple, int] = {}
    for idx in range(lay.header_row + 1, len(lay.grid.rows)):
        row = lay.grid.rows[idx]
        row_no = idx + 1
        odd = {j: why for j in lay.columns if (why := _cell_problem(lay, row_no, j))}
        if all(v.is_empty(c) for c in row) and not odd:
            continue
        rec: dict[str, Any] = {c.name: None for c in dtype.columns}
        for j, col in lay.columns.items():
            cell = row[j] if j < len(row) else None
            if j in odd:
                problems.append(Problem(odd[j], row_no, lay.headers[col.name]))
                continue
            if conventions.get(col.name) == CONFLICT:  # said once for the column; its values are not read
                continue
            if v.is_empty(cell):
                if col.required:
                    problems.append(Problem("lege cel; hier is een waarde verplicht", row_no, lay.headers[col.name]))
                continue
            try:
                rec[col.name] = _convert(col, cell, regions, today, conventions.get(col.name), proofs.get(col.name))
            except ValueError as exc:
                problems.append(Problem(str(exc), row_no, lay.headers[col.name]))
        extra = [j for j in range(len(row)) if j not in lay.columns and not v.is_empty(row[j])]
        if extra:
            problems.append(Problem(f"gegevens in kolom {extra[0] + 1}, die geen kopnaam heeft", row_no))
        problems += _row_checks(dtype, rec, row_no, lay.headers)
        key = tuple(rec[k] for k in dtype.key)
        if None not in key:
            if key in keys:
                shown = ", ".join(f"{lay.headers.get(k, k)} {rec[k]}" for k in dtype.key)
                problems.append(Problem(f"dubbele regel: rij {keys[key]} heeft dezelfde {shown}", row_no))
            else:
                keys[key] = row_no
        rec["source_row"] = row_no
        records.append(rec)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(f"meer dan {MAX_PROBLEMS} problemen; de rest is niet gecontroleerd"))
            break
    if not records and not problems:
        problems.append(Problem("het bestand bevat een kopregel maar geen gegevens"))
    if problems:
        raise Rejected(problems)
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in dtype.columns] + ["source_row"])
    for col in dtype.columns:
        if col.type == "integer":
            frame[col.name] = frame[col.name].astype("Int64")
        elif col.type in ("decimal", "score"):
            frame[col.name] = frame[col.name].astype("float64")
    return Parsed(frame, lay.grid.form)

"""The CBS checks evaluated in SQL, for tables too large to validate as one DataFrame.

A table above ``EA_GX_MAX_ROWS`` rows is streamed into ``staging.cbs_observation`` inside the publish
transaction and never held in memory; these queries then check the rows of that table, in the same
transaction, before it commits. They report the same named checks as the Great Expectations suite
(``suites.cbs_suite``): aggregates come from the database, and what needs Python (period codes, region
codes) is checked over the distinct values, which are few. ``schema`` is checked on every chunk as it
streams (:func:`chunk_schema_problems`). No Data Docs are written for these.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ea_pipelines.catalogue.cbs import CbsTable, TableShape
from ea_pipelines.deliveries.values import period_start
from ea_pipelines.quality.gx_runner import CheckOutcome
from ea_pipelines.quality.suites import CBS_CHECKS, PERIOD_REGEX, PERIOD_TYPES, CheckConfig, not_applicable

OBS = "staging.cbs_observation"
KEY = "measure_code, region_code, period_code, other_dimensions"
PARTITION_ROWS = 1_000_000  # key_unique: rows per aggregate
TEXT_COLUMNS = ("table_id", "measure_code", "region_code", "period_code", "other_dimensions")


def chunk_schema_problems(schema: pa.Schema) -> list[str]:
    """The ``schema`` check on one streamed chunk: required columns present, text as text, value as float."""
    problems = [f"column {c} missing" for c in (*TEXT_COLUMNS, "value") if c not in schema.names]
    for col in TEXT_COLUMNS:
        if col in schema.names and schema.field(col).type not in (pa.string(), pa.large_string(), pa.null()):
            problems.append(f"column {col} has type {schema.field(col).type}, expected text")
    if "value" in schema.names and schema.field("value").type != pa.float64():
        problems.append(f"column value has type {schema.field('value').type}, expected float64")
    return problems


def _duplicate_rows(conn: Connection, table_id: str, rows: int, key: str = KEY) -> int:
    """Rows sharing a key with another row, counted over partitions of the key's hash of at most
    ``PARTITION_ROWS`` rows each, so that the aggregate's memory does not grow with the table."""
    parts = max(1, math.ceil(rows / PARTITION_ROWS))
    bucket = (f"hash({key}) % {parts}" if conn.dialect.name == "duckdb"  # UBIGINT: never negative
              else f"((hashtext(concat_ws('|', {key}))::bigint % {parts}) + {parts}) % {parts}")
    total = 0
    for part in range(parts):
        where = f"table_id = :t AND {bucket} = {part}" if parts > 1 else "table_id = :t"
        total += int(conn.execute(sa.text(
            f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {OBS} WHERE {where} "
            f"GROUP BY {key} HAVING count(*) > 1) d"), {"t": table_id}).scalar())
    return total


def check_cbs_sql(conn: Connection, spec: CbsTable, *, checks: dict[str, CheckConfig], known_regions: set[str],
                  expected_rows: int | None, previous_rows: int | None, today: dt.date,
                  schema_problems: list[str], shape: TableShape | None = None) -> list[CheckOutcome]:
    """One outcome per CBS check over the rows of ``spec.table_id`` visible to ``conn``; region and period
    checks, ``not_null`` and the key follow ``shape`` (by default: regions and periods)."""
    shape = shape or TableShape()
    t = {"t": spec.table_id}

    def scalar(sql: str, **params: object) -> int:
        return int(conn.execute(sa.text(sql), {**t, **params}).scalar() or 0)

    out = {name: CheckOutcome(name, checks[name].severity, True, checks[name].description, 0, 0, 0)
           for name in CBS_CHECKS}

    def expect(check: str, ok: bool, failure: str, unexpected: int = 0) -> None:
        o = out[check]
        o.evaluated += 1
        if not ok:
            o.passed = False
            o.failed += 1
            o.unexpected += unexpected
            o.failures.append(failure)

    expect("schema", not schema_problems, "; ".join(sorted(set(schema_problems))[:5]))
    rows = scalar(f"SELECT count(*) FROM {OBS} WHERE table_id = :t")
    for col in shape.required:
        nulls = scalar(f"SELECT count(*) FROM {OBS} WHERE table_id = :t AND {col} IS NULL")
        expect("not_null", nulls == 0, f"{col} is null in {nulls} rows", nulls)
    key = ", ".join(shape.key)
    dupes = _duplicate_rows(conn, spec.table_id, rows, key)
    expect("key_unique", dupes == 0, f"{dupes} rows share a key ({key})", dupes)
    if shape.regions:
        regions = conn.execute(sa.text(f"SELECT region_code, count(*) FROM {OBS} WHERE table_id = :t "
                                       "AND region_code IS NOT NULL GROUP BY region_code"), t).fetchall()
        unknown = {code: n for code, n in regions if code not in known_regions | shape.region_codes}
        expect("regions_known", not unknown,
               f"unknown region codes {sorted(unknown)[:10]}: {sum(unknown.values())} rows", sum(unknown.values()))
    periods = dict(conn.execute(sa.text(f"SELECT period_code, count(*) FROM {OBS} WHERE table_id = :t "
                                        "AND period_code IS NOT NULL GROUP BY period_code"), t).fetchall())
    if shape.periods:
        malformed = {p: n for p, n in periods.items() if not re.match(PERIOD_REGEX, p)}
        expect("periods_valid", not malformed, f"malformed period codes {sorted(malformed)[:10]}",
               sum(malformed.values()))
        future = {p: n for p, n in periods.items() if p not in malformed and period_start(p) > today}
        expect("periods_valid", not future, f"periods in the future {sorted(future)[:10]}", sum(future.values()))
    for measure, (low, high) in spec.value_ranges.items():
        bounds = [f"value < {float(low)!r}"] if low is not None else []
        bounds += [f"value > {float(high)!r}"] if high is not None else []
        if bounds:
            bad = scalar(f"SELECT count(*) FROM {OBS} WHERE table_id = :t AND measure_code = :m "
                         f"AND ({' OR '.join(bounds)})", m=measure)
            expect("value_ranges", bad == 0, f"{measure}: {bad} values outside [{low}, {high}]", bad)
    if previous_rows:
        drop = float(checks["row_count_plausible"].params.get("max_drop", 0.2))
        floor = math.ceil(previous_rows * (1 - drop))
        expect("row_count_plausible", rows >= floor, f"{rows} rows, expected at least {floor}")
    if expected_rows is not None:
        expect("complete", rows == expected_rows, f"{rows} rows, CBS announced {expected_rows}")
    present = {r[0] for r in conn.execute(sa.text(f"SELECT DISTINCT measure_code FROM {OBS} WHERE table_id = :t"), t)}
    missing = sorted(set(spec.measure_codes) - present)
    expect("measures_present", not missing, f"measures without rows: {missing}")
    if shape.periods:
        for ok, failure in _fresh_by_type(list(periods), checks["fresh"], today):
            expect("fresh", ok, failure)
    for name, note in not_applicable(shape).items():
        if not out[name].evaluated:
            out[name].failures.append(note)
    return list(out.values())


def _fresh_by_type(codes: list[str], config: CheckConfig, today: dt.date) -> list[tuple[bool, str]]:
    """(passed, failure) per period type present (yearly, quarterly, monthly): its latest year is recent."""
    least = today.year - int(config.params.get("max_age_years", 3))
    latest: dict[str, int] = {}
    for code in codes:
        if code[:4].isdigit() and code[4:6] in PERIOD_TYPES:
            latest[code[4:6]] = max(latest.get(code[4:6], 0), int(code[:4]))
    if not latest:
        return [(False, f"latest period year None, expected at least {least}")]
    return [(year >= least, f"latest {PERIOD_TYPES[kind]} period year {year}, expected at least {least}")
            for kind, year in latest.items()]


def check_fresh(conn: Connection, table_id: str, config: CheckConfig, today: dt.date,
                not_refreshed: str | None = None) -> CheckOutcome:
    """``fresh`` alone, over the published rows: it depends on today's date, so it is never carried over.
    Judged per period type present; a table without periods has nothing to judge.

    ``not_refreshed``: why this load could not refresh the table (CBS unreachable, a snapshot refused);
    the published version is then stale whatever its periods, and the check fails saying so.
    """
    codes = [r[0] for r in conn.execute(sa.text(f"SELECT DISTINCT period_code FROM {OBS} WHERE table_id = :t "
                                                "AND period_code IS NOT NULL"), {"t": table_id})]
    results = _fresh_by_type(codes, config, today) if codes else []
    failures = [failure for ok, failure in results if not ok]
    if not_refreshed:
        failures.insert(0, f"stale: not refreshed: {not_refreshed}")
    return CheckOutcome("fresh", config.severity, not failures, config.description, max(len(results), 1),
                        len(failures), 0, failures)

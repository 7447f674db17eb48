"""Fetch one catalogue table through a reader: check it, filter server-side, page, normalise, verify.

The result is a :class:`TableData` in the warehouse's staging shape. What makes a fetch impossible or
partial fails here: discontinued table, missing measure, unknown filter code, fewer rows than the API
announced. Checks of the data itself (keys, ranges, regions) are the expectation suites' job.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ea_pipelines.catalogue.cbs import CbsTable, TableShape
from ea_pipelines.cbs import region_dimension, status
from ea_pipelines.cbs.errors import (
    CbsError,
    CbsIncompleteLoad,
    CbsMeasureMissing,
    CbsNotANumber,
    CbsTableDiscontinued,
)
from ea_pipelines.cbs.readers import (
    GEO,
    TIME,
    Code,
    Dimension,
    Measure,
    ObservationPage,
    Reader,
    TableProperties,
    dimension_roles,
)
from ea_pipelines.cbs.transport import Fetched
from ea_pipelines.numbers import number_column, shown
from ea_pipelines.reference.region_history import parse_validity

log = logging.getLogger(__name__)

OBSERVATION_COLUMNS = ["table_id", "measure_code", "region_code", "period_code", "other_dimensions",
                       "value", "value_attribute", "period_status", "value_text", "status"]
#: how many real measures a wrong measure key's error names
NEAREST = 3


@dataclass
class TableData:
    """A table as fetched, in staging shape, with what is needed to log and verify the load."""

    table_id: str
    properties: TableProperties
    observations: pd.DataFrame
    measures: pd.DataFrame
    regions: pd.DataFrame
    periods: pd.DataFrame
    announced_rows: int  # as the API counts them (v3 rows are wide: one per dimension combination)
    expected_rows: int  # observations the announced count implies (v3: announced x measures)
    content_hash: str
    responses: list[Fetched] = field(default_factory=list)


def _quote(code: str) -> str:
    return "'" + code.replace("'", "''") + "'"


def _any_of(dim: str, keys: list[str]) -> str:
    clauses = [f"{dim} eq {_quote(k)}" for k in keys]
    return clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"


def _keys_for(spec: CbsTable, dim: str, codes: list[Code], wanted: tuple[str, ...]) -> list[str]:
    """Map trimmed catalogue codes to the API's own (possibly padded) keys; fail on unknown codes."""
    by_code = {c.code: c.key for c in codes}
    missing = [w for w in wanted if w not in by_code]
    if missing:
        raise CbsError(f"{spec.table_id}: dimension {dim} has no code(s) {', '.join(missing)} "
                       f"(catalogue entry {spec.name!r})")
    return [by_code[w] for w in wanted]


def build_filter(spec: CbsTable, dims: list[Dimension], codes: dict[str, list[Code]],
                 measure_filter: list[str] | None) -> str:
    """The server-side ``$filter``: catalogue dimension filters, measures, regions, first period."""
    dim_ids = {d.id for d in dims}
    parts: list[str] = []
    for dim, wanted in spec.filters.items():
        if dim not in dim_ids:
            raise CbsError(f"{spec.table_id}: the catalogue filters on dimension {dim!r}, which the table "
                           f"does not have (it has {', '.join(sorted(dim_ids))})")
        parts.append(_any_of(dim, _keys_for(spec, dim, codes[dim], wanted)))
    if measure_filter:
        parts.append(_any_of("Measure", measure_filter))
    geo, time, _ = dimension_roles(dims)
    if geo:
        sel = spec.regions
        region_parts = [f"startswith({geo},{_quote(p)})" for p in sel.prefixes]
        if sel.codes:
            present = {c.code for c in codes[geo]}
            known = [c for c in sel.codes if c in present]
            if len(known) < len(sel.codes):
                log.warning("%s: regions not in this table, skipped: %s", spec.table_id,
                            ", ".join(c for c in sel.codes if c not in present))
            region_parts += [f"{geo} eq {_quote(k)}" for k in _keys_for(spec, geo, codes[geo], tuple(known))]
        if region_parts:
            parts.append(region_parts[0] if len(region_parts) == 1 else "(" + " or ".join(region_parts) + ")")
    if time and spec.period_from:
        parts.append(f"{time} ge {_quote(spec.period_from)}")
    return " and ".join(parts)


@dataclass
class TablePlan:
    """What is known before the first observation: the table checked, the filter and the announced count."""

    spec: CbsTable
    properties: TableProperties
    measures: list[Measure]
    dims: list[Dimension]
    codes: dict[str, list[Code]]
    wanted: set[str]
    odata_filter: str
    announced_rows: int  # as the API counts them (v3 rows are wide: one per dimension combination)
    expected_rows: int  # observations the announced count implies (v3: announced x measures)
    #: per period: the status of all its figures, or per measure code (ea_pipelines.cbs.status)
    statuses: dict[str, str | dict[str, str]] = field(default_factory=dict)
    received_rows: int = 0  # filled in while the observations stream
    present_regions: set[str] = field(default_factory=set)
    present_periods: set[str] = field(default_factory=set)

    @property
    def shape(self) -> TableShape:
        """The dimensions the table has (from its metadata), which decide the checks that apply."""
        geo, time, others = dimension_roles(self.dims)
        return TableShape(regions=geo is not None, periods=time is not None, others=tuple(others),
                          region_codes=frozenset(c.code for c in self.codes.get(geo, [])) if geo else frozenset())

    @property
    def period_status(self) -> dict[str, str | None]:
        _, time, _ = dimension_roles(self.dims)
        return {c.code: (c.status or "").strip().lower() or None for c in self.codes.get(time, [])}

    def measure_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(self.spec.table_id, m.code, m.title, m.unit, m.decimals) for m in self.measures
             if m.code in self.wanted],
            columns=["table_id", "measure_code", "title", "unit", "decimals"])

    def region_frame(self) -> pd.DataFrame:
        geo, _, _ = dimension_roles(self.dims)
        rows = []
        for c in self.codes.get(geo, []):
            if c.code in self.present_regions:
                validity = parse_validity(c.description)
                rows.append((self.spec.table_id, c.code, c.title.strip(), validity.valid_from, validity.valid_to,
                             validity.successor))
        return pd.DataFrame(rows, columns=["table_id", "region_code", "name", "valid_from", "valid_to",
                                           "successor_code"]).astype({"valid_from": "datetime64[s]",
                                                                      "valid_to": "datetime64[s]"})

    def period_frame(self) -> pd.DataFrame:
        """The periods, with CBS's own Status (null where CBS gives none) and Description (which may name the
        topics that are provisional; the figures' status is derived from both, see ea_pipelines.cbs.status)."""
        _, time, _ = dimension_roles(self.dims)
        status = self.period_status
        return pd.DataFrame(
            [(self.spec.table_id, c.code, c.title.strip(), status[c.code], (c.description or "").strip() or None)
             for c in self.codes.get(time, []) if c.code in self.present_periods],
            columns=["table_id", "period_code", "title", "status", "description"])


def plan_table(reader: Reader, spec: CbsTable, props: TableProperties | None = None) -> TablePlan:
    """Check ``spec`` against the table's metadata and count the rows its filter selects."""
    props = props or reader.properties()
    if props.discontinued and spec.successor:
        log.warning("%s: CBS reports this edition as %r; its successor is %s (catalogue entry %r); loaded "
                    "for the periods the newer editions lack", spec.table_id, props.status, spec.successor, spec.name)
    elif props.discontinued:
        raise CbsTableDiscontinued(
            f"{spec.table_id}: CBS reports this table as {props.status!r}; find its successor on "
            f"the CBS open data portal and update the catalogue entry {spec.name!r}")
    measures = reader.measures()
    check_measures(spec, measures)
    available = {m.code for m in measures}
    codes: dict[str, list[Code]] = {}

    def codes_of(d: Dimension) -> list[Code]:
        if d.id not in codes:
            codes[d.id] = reader.codes(d)
        return codes[d.id]

    dims = region_dimension.resolve(spec, reader.dimensions(), codes_of)
    for d in dims:
        if d.id in spec.filters or d.kind in (GEO, TIME):
            codes_of(d)
    wanted = set(spec.measure_codes)
    odata_filter = build_filter(spec, dims, codes,
                                sorted(wanted) if reader.api == "v4" and wanted != available else None)
    announced = reader.count(odata_filter)
    plan = TablePlan(spec, props, measures, dims, codes, wanted, odata_filter, announced,
                     announced if reader.api == "v4" else announced * len(wanted))
    plan.statuses = value_statuses(reader, plan)
    return plan


def check_measures(spec: CbsTable, measures: list[Measure]) -> None:
    """Every measure key of the entry is in the table's own metadata; a wrong key fails naming the nearest real
    ones (same stem, then the most similar codes and titles)."""
    available = {m.code: m.title for m in measures}
    missing = [m for m in spec.measure_codes if m not in available]
    if not missing:
        return
    hints = []
    for code in missing:
        stem = code.rsplit("_", 1)[0]
        similar = sorted(a for a in available if a.rsplit("_", 1)[0] == stem)
        near = nearest_measures(code, spec.measures.get(code, ""), measures)
        hints.append(f"{code}" + (f" (the table now has {', '.join(similar)})" if similar else "")
                     + (f"; nearest: {', '.join(f'{c} {available[c]!r}' for c in near)}" if near else ""))
    raise CbsMeasureMissing(
        f"{spec.table_id}: expected measure(s) missing: {'; '.join(hints)}. CBS renames measures "
        f"between editions; update the catalogue entry {spec.name!r} after checking the definitions")


def nearest_measures(code: str, title: str, measures: list[Measure], n: int = NEAREST) -> list[str]:
    """The table's measures most like a wrong key: the catalogue's title against theirs (CBS concept codes say
    nothing by their letters) plus the code against theirs (which tells equal titles apart)."""
    def scores(m: Measure) -> tuple[float, float]:
        by_title = difflib.SequenceMatcher(None, _plain(title), _plain(m.title)).ratio() if title else 0.0
        return by_title, difflib.SequenceMatcher(None, code.lower(), m.code.lower()).ratio()

    scored = [(sum(s), max(s), m.code) for m in measures for s in [scores(m)]]
    return [c for total, best, c in sorted(scored, key=lambda t: (-t[0], t[2]))[:n] if best >= 0.5]


def _plain(title: str) -> str:
    return " ".join(title.lower().replace("(x 1 000)", "").split())


def value_statuses(reader: Reader, plan: TablePlan) -> dict[str, str | dict[str, str]]:
    """The status of the figures of each period, from CBS's period Status or, where that is null, from the
    period's Description matched to the measure groups (read only then: v4 MeasureGroups, v3 TopicGroups)."""
    _, time, _ = dimension_roles(plan.dims)
    periods = [status.PeriodInfo(c.code, c.status, c.description) for c in plan.codes.get(time, [])]
    groups = None
    if status.needs_groups((p.status if (p.status or "").strip() else None, p.description) for p in periods):
        groups = reader.measure_groups()
    measures = [status.MeasureInfo(m.code, m.title, m.group_id) for m in plan.measures]
    return status.period_statuses(periods, measures, groups, plan.properties.description)


def observation_chunks(reader: Reader, plan: TablePlan) -> Iterator[pa.Table]:
    """The observations page by page, each an Arrow table in staging shape (``OBSERVATION_COLUMNS``).

    Memory stays at a page or two whatever the table's size. After the last page the rows received are
    compared with the rows announced: a partial load raises :class:`CbsIncompleteLoad`.
    """
    spec = plan.spec
    period_status, statuses = plan.period_status, plan.statuses
    plan.received_rows = 0
    for number, page in enumerate(reader.pages(plan.odata_filter, plan.dims, plan.wanted), start=1):
        plan.received_rows += page.source_rows
        if plan.received_rows > plan.announced_rows:  # also ends a nextLink that loops, which would page forever
            raise CbsIncompleteLoad(f"{spec.table_id}: the API announced {plan.announced_rows} rows for the filter "
                                    f"but page {number} brings the total to {plan.received_rows}; refusing the load")
        chunk = page_table(page, spec.table_id, period_status, statuses, getattr(reader.t, "page_key", None))
        plan.present_regions.update(v for v in pc.unique(chunk["region_code"]).to_pylist() if v is not None)
        plan.present_periods.update(v for v in pc.unique(chunk["period_code"]).to_pylist() if v is not None)
        yield chunk
    if plan.received_rows != plan.announced_rows:
        raise CbsIncompleteLoad(f"{spec.table_id}: the API announced {plan.announced_rows} rows for the filter "
                                f"but {plan.received_rows} arrived; refusing a partial load")


def _strings(values: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a code sent as a number
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _codes(values: Sequence[Any], rows: pa.Array | None) -> pa.Array:
    """Codes trimmed (v3 pads them), spread over the observations of each source row."""
    arr = pc.utf8_trim_whitespace(_strings(values))
    return arr if rows is None else arr.take(rows)


def _other_dimensions(others: dict[str, Sequence[Any]], n: int, rows: pa.Array | None) -> pa.Array:
    """JSON of the further dimension codes per row, built once per distinct combination (there are few)."""
    if not others:
        return pa.array(["{}"] * n, pa.string())
    encoded = [pc.dictionary_encode(_strings(codes)) for codes in others.values()]
    combined = np.zeros(len(encoded[0]), dtype=np.int64)
    for enc in encoded:
        combined = combined * len(enc.dictionary) + enc.indices.to_numpy(zero_copy_only=False)
    distinct, inverse = np.unique(combined, return_inverse=True)
    texts = []
    for key in distinct.tolist():
        parts = {}
        for dim, enc in zip(reversed(others), reversed(encoded), strict=True):
            key, index = divmod(key, len(enc.dictionary))
            parts[dim] = enc.dictionary[index].as_py().strip()
        texts.append(json.dumps(parts, sort_keys=True))
    out = pa.array(texts, pa.string()).take(pa.array(inverse))
    return out if rows is None else out.take(rows)


def _value_status(periods: pa.Array, measures: pa.Array, statuses: dict[str, str | dict[str, str]]) -> pa.Array:
    """Each observation's status: its period's, or its period's for its measure; onbekend where none is known."""
    distinct = pc.unique(periods)
    if all(isinstance(statuses.get(p), str) for p in distinct.to_pylist()):
        per_period = pa.array([statuses.get(p) for p in distinct.to_pylist()], pa.string())
        return per_period.take(pc.index_in(periods, distinct))
    keys = pc.binary_join_element_wise(pc.fill_null(periods, ""), measures, "\x00")
    combos = pc.unique(keys)
    looked_up = []
    for key in combos.to_pylist():
        period, _, measure = key.partition("\x00")
        entry = statuses.get(period)
        looked_up.append(entry if isinstance(entry, str) else (entry or {}).get(measure, status.ONBEKEND))
    return pa.array(looked_up, pa.string()).take(pc.index_in(keys, combos))


def page_table(page: ObservationPage, table_id: str, period_status: dict[str, str | None],
               statuses: dict[str, str | dict[str, str]] | None = None, response: str | None = None) -> pa.Table:
    """One page as an Arrow table in staging shape; codes trimmed, values as finite float64. ``period_status`` is
    CBS's own Status per period; ``statuses`` the figures' status derived from it and the Descriptions
    (:class:`TablePlan`) (None: CBS's period Status, onbekend where it is null).

    A value that is not a finite number by the number rule (``ea_pipelines.numbers``) refuses the page:
    :class:`CbsNotANumber` names the response (``response``, the page's request key, when known), the first such
    value (measure, region, period) and how many the page holds.
    """
    n = len(page.measure_code)
    rows = pa.array(np.repeat(np.arange(page.source_rows), page.repeat)) if page.repeat != 1 else None
    periods = _codes(page.period_code, rows)
    measure_codes = _codes(page.measure_code, None)
    distinct = pc.unique(periods)
    statuses_raw = pa.array([period_status.get(p) for p in distinct.to_pylist()], pa.string())
    if statuses is None:
        statuses = {p: s or status.ONBEKEND for p, s in period_status.items()}
    value, refused = number_column(page.value)
    table = pa.table({
        "table_id": pa.array([table_id] * n, pa.string()),
        "measure_code": measure_codes,
        "region_code": _codes(page.region_code, rows),
        "period_code": periods,
        "other_dimensions": _other_dimensions(page.others, n, rows),
        "value": value,
        "value_attribute": pa.array(page.value_attribute, pa.string()),
        "period_status": statuses_raw.take(pc.index_in(periods, distinct)),
        # text-valued measures (v4 StringValue, v3 String topics); numbers stay in value
        "value_text": (pa.array([None if v is None else str(v) for v in page.value_text], pa.string())
                       if page.value_text is not None else pa.nulls(n, pa.string())),
        "status": _value_status(periods, measure_codes, statuses),
    })
    if refused is not None:
        raise _not_a_number(table, page.value, refused, response)
    return table


def _not_a_number(table: pa.Table, values: Sequence[Any], refused: pa.Array, response: str | None) -> CbsNotANumber:
    where = pc.indices_nonzero(refused)
    first = where[0].as_py()
    row = {c: table[c][first].as_py() for c in ("table_id", "measure_code", "region_code", "period_code",
                                                "other_dimensions")}
    others = f", {row['other_dimensions']}" if row["other_dimensions"] not in (None, "{}") else ""
    count = len(where)
    return CbsNotANumber(
        f"{row['table_id']}: {count} value{'s' if count > 1 else ''} "
        f"{f'in the response to {response}' if response else 'on this page'} {'are' if count > 1 else 'is'} "
        f"not a finite number (NaN, infinities, overflowing exponents such as 1e999, true/false and spellings "
        f"such as 1_0, 0x10 or inf are refused); the first: {shown(values[first])} for measure "
        f"{row['measure_code']}, region {row['region_code']}, period {row['period_code']}{others}; "
        f"refusing the load")


def fetch_table(reader: Reader, spec: CbsTable, props: TableProperties | None = None) -> TableData:
    """Fetch ``spec`` through ``reader`` and return it verified and in staging shape, all in memory."""
    plan = plan_table(reader, spec, props)
    obs = to_frame(list(observation_chunks(reader, plan)))
    return TableData(
        table_id=spec.table_id,
        properties=plan.properties,
        observations=obs,
        measures=plan.measure_frame(),
        regions=plan.region_frame(),
        periods=plan.period_frame(),
        announced_rows=plan.announced_rows,
        expected_rows=plan.expected_rows,
        content_hash=content_hash(reader.t.consumed),
        responses=list(reader.t.consumed),
    )


def to_frame(chunks: list[pa.Table]) -> pd.DataFrame:
    """Observation chunks as one DataFrame (text as pandas strings, value as float64)."""
    if not chunks:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else "str") for c in OBSERVATION_COLUMNS})
    return pa.concat_tables(chunks).to_pandas()


def content_hash(responses: list[Fetched]) -> str:
    """One hash over every response consumed: equal hashes mean the load saw identical data."""
    h = hashlib.sha256()
    for f in sorted(responses, key=lambda f: f.key):
        h.update(f"{f.key}\0{f.sha256}\n".encode())
    return h.hexdigest()

"""Fetch one catalogue table through a reader: check it, filter server-side, page, normalise, verify.

The result is a :class:`TableData` in the warehouse's staging shape. What makes a fetch impossible or
partial fails here: discontinued table, missing measure, unknown filter code, fewer rows than the API
announced. Checks of the data itself (keys, ranges, regions) are the expectation suites' job.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import pandas as pd

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.errors import CbsError, CbsIncompleteLoad, CbsMeasureMissing, CbsTableDiscontinued
from ea_pipelines.cbs.readers import (
    GEO,
    TIME,
    Code,
    Dimension,
    ObservationPage,
    Reader,
    TableProperties,
    dimension_roles,
)
from ea_pipelines.cbs.transport import Fetched

log = logging.getLogger(__name__)

OBSERVATION_COLUMNS = ["table_id", "measure_code", "region_code", "period_code", "other_dimensions",
                       "value", "value_attribute", "period_status"]


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


def fetch_table(reader: Reader, spec: CbsTable) -> TableData:
    """Fetch ``spec`` through ``reader`` and return it verified and in staging shape."""
    props = reader.properties()
    if props.discontinued:
        raise CbsTableDiscontinued(
            f"{spec.table_id}: CBS reports this table as {props.status!r}; find its successor on "
            f"the CBS open data portal and update the catalogue entry {spec.name!r}")
    measures = reader.measures()
    available = {m.code for m in measures}
    missing = [m for m in spec.measure_codes if m not in available]
    if missing:
        hints = []
        for code in missing:
            stem = code.rsplit("_", 1)[0]
            similar = sorted(a for a in available if a.rsplit("_", 1)[0] == stem)
            hints.append(f"{code}" + (f" (the table now has {', '.join(similar)})" if similar else ""))
        raise CbsMeasureMissing(
            f"{spec.table_id}: expected measure(s) missing: {'; '.join(hints)}. CBS renames measures "
            f"between editions; update the catalogue entry {spec.name!r} after checking the definitions")
    dims = reader.dimensions()
    needed = set(spec.filters) | {d.id for d in dims if d.kind in (GEO, TIME)}
    codes = {d.id: reader.codes(d) for d in dims if d.id in needed}
    wanted = set(spec.measure_codes)
    odata_filter = build_filter(spec, dims, codes,
                                sorted(wanted) if reader.api == "v4" and wanted != available else None)
    announced = reader.count(odata_filter)
    pages: list[ObservationPage] = []
    received = 0
    for page in reader.pages(odata_filter, dims, wanted):
        pages.append(page)
        received += page.source_rows
        if received > announced:  # also ends a nextLink that loops, which would otherwise page forever
            raise CbsIncompleteLoad(f"{spec.table_id}: the API announced {announced} rows for the filter but "
                                    f"page {len(pages)} brings the total to {received}; refusing the load")
    if received != announced:
        raise CbsIncompleteLoad(f"{spec.table_id}: the API announced {announced} rows for the filter "
                                f"but {received} arrived; refusing a partial load")
    obs = _frame(pages)
    obs.insert(0, "table_id", spec.table_id)
    geo, time, _ = dimension_roles(dims)
    status = {c.code: (c.status or "").strip().lower() or None for c in codes.get(time, [])}
    obs["period_status"] = obs["period_code"].map(status) if time else None
    present_regions = set(obs["region_code"].dropna())
    regions = pd.DataFrame(
        [(spec.table_id, c.code, c.title.strip()) for c in codes.get(geo, []) if c.code in present_regions],
        columns=["table_id", "region_code", "name"])
    present_periods = set(obs["period_code"].dropna())
    periods = pd.DataFrame(
        [(spec.table_id, c.code, c.title.strip(), status[c.code]) for c in codes.get(time, [])
         if c.code in present_periods],
        columns=["table_id", "period_code", "title", "status"])
    measure_frame = pd.DataFrame(
        [(spec.table_id, m.code, m.title, m.unit, m.decimals) for m in measures if m.code in wanted],
        columns=["table_id", "measure_code", "title", "unit", "decimals"])
    return TableData(
        table_id=spec.table_id,
        properties=props,
        observations=obs[OBSERVATION_COLUMNS],
        measures=measure_frame,
        regions=regions,
        periods=periods,
        announced_rows=announced,
        expected_rows=announced if reader.api == "v4" else announced * len(wanted),
        content_hash=content_hash(reader.t.consumed),
        responses=list(reader.t.consumed),
    )


def _frame(pages: list[ObservationPage]) -> pd.DataFrame:
    cols = ["measure_code", "region_code", "period_code", "other_dimensions", "value", "value_attribute"]
    data = {c: [v for p in pages for v in getattr(p, c)] for c in cols}
    frame = pd.DataFrame(data, columns=cols)
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype("float64")
    return frame


def content_hash(responses: list[Fetched]) -> str:
    """One hash over every response consumed: equal hashes mean the load saw identical data."""
    h = hashlib.sha256()
    for f in sorted(responses, key=lambda f: f.key):
        h.update(f"{f.key}\0{f.sha256}\n".encode())
    return h.hexdigest()

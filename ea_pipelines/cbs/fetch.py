"""Fetch one catalogue table through a reader: check it, filter server-side, page, normalise, verify.

The result is a :class:`TableData` in the warehouse's staging shape. What makes a fetch impossible or
partial fails here: discontinued table, missing measure, unknown filter code, fewer rows than the API
announced. Checks of the data itself (keys, ranges, regions) are the expectation suites' job.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from ea_pipelines.catalogue.cbs import CbsTable
from ea_pipelines.cbs.errors import CbsError, CbsIncompleteLoad, CbsMeasureMissing, CbsTableDiscontinued
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
    received_rows: int = 0  # filled in while the observations stream
    present_regions: set[str] = field(default_factory=set)
    present_periods: set[str] = field(default_factory=set)

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
        return pd.DataFrame(
            [(self.spec.table_id, c.code, c.title.strip()) for c in self.codes.get(geo, [])
             if c.code in self.present_regions],
            columns=["table_id", "region_code", "name"])

    def period_frame(self) -> pd.DataFrame:
        _, time, _ = dimension_roles(self.dims)
        status = self.period_status
        return pd.DataFrame(
            [(self.spec.table_id, c.code, c.title.strip(), status[c.code]) for c in self.codes.get(time, [])
             if c.code in self.present_periods],
            columns=["table_id", "period_code", "title", "status"])


def plan_table(reader: Reader, spec: CbsTable, props: TableProperties | None = None) -> TablePlan:
    """Check ``spec`` against the table's metadata and count the rows its filter selects."""
    props = props or reader.properties()
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
    return TablePlan(spec, props, measures, dims, codes, wanted, odata_filter, announced,
                     announced if reader.api == "v4" else announced * len(wanted))


def observation_chunks(reader: Reader, plan: TablePlan) -> Iterator[pd.DataFrame]:
    """The observations page by page, each a DataFrame in staging shape (``OBSERVATION_COLUMNS``).

    Memory stays at a page or two whatever the table's size. After the last page the rows received are
    compared with the rows announced: a partial load raises :class:`CbsIncompleteLoad`.
    """
    spec = plan.spec
    status = plan.period_status
    _, time, _ = dimension_roles(plan.dims)
    plan.received_rows = 0
    for page in reader.pages(plan.odata_filter, plan.dims, plan.wanted):
        plan.received_rows += page.source_rows
        frame = _frame([page])
        frame.insert(0, "table_id", spec.table_id)
        frame["period_status"] = frame["period_code"].map(status) if time else None
        plan.present_regions.update(frame["region_code"].dropna().unique())
        plan.present_periods.update(frame["period_code"].dropna().unique())
        yield frame[OBSERVATION_COLUMNS]
    if plan.received_rows != plan.announced_rows:
        raise CbsIncompleteLoad(f"{spec.table_id}: the API announced {plan.announced_rows} rows for the filter "
                                f"but {plan.received_rows} arrived; refusing a partial load")


def fetch_table(reader: Reader, spec: CbsTable, props: TableProperties | None = None) -> TableData:
    """Fetch ``spec`` through ``reader`` and return it verified and in staging shape, all in memory."""
    plan = plan_table(reader, spec, props)
    chunks = list(observation_chunks(reader, plan))
    obs = (pd.concat(chunks, ignore_index=True) if chunks
           else _frame([]).assign(table_id=spec.table_id, period_status=None))[OBSERVATION_COLUMNS]
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


def _frame(pages: list[ObservationPage]) -> pd.DataFrame:
    cols = ["measure_code", "region_code", "period_code", "other_dimensions", "value", "value_attribute"]
    if len(pages) == 1:
        data = {c: getattr(pages[0], c) for c in cols}
    else:
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

"""Table readers for the two CBS OData dialects, behind one interface.

A reader turns the API's entity sets into plain records: properties, measures, dimensions with their
codes, the row count for a filter, and pages of long-format observations. Codes are trimmed here
(v3 pads keys with spaces), so nothing above this module ever sees a padded code.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ea_pipelines.catalogue.cbs import DIMENSION
from ea_pipelines.cbs.errors import CbsBadResponse, CbsTableNotFound
from ea_pipelines.cbs.jsonpage import JsonPage
from ea_pipelines.cbs.status import MeasureGroup
from ea_pipelines.cbs.transport import Transport, split_link

GEO, TIME, OTHER = "geo", "time", "other"
#: the identifier CBS gives its region dimension in every regional table, whatever its Kind says (85792NED
#: types RegioS as a plain "Dimension")
REGION_DIMENSION_ID = "RegioS"
DISCONTINUED_STATUSES = {"gediscontinueerd", "vervallen", "stopgezet"}


@dataclass(frozen=True)
class TableProperties:
    table_id: str
    title: str
    modified: str | None
    status: str
    description: str = ""  # the table's explanation (v4 Description, v3 Summary/ShortDescription/Description)

    @property
    def discontinued(self) -> bool:
        return self.status.strip().lower() in DISCONTINUED_STATUSES


@dataclass(frozen=True)
class Measure:
    code: str
    title: str
    unit: str | None
    decimals: int | None
    datatype: str | None = None  # v4 DataType / v3 Datatype: Double, Float, Long, Integer, ... or String
    group_id: str | None = None  # v4 MeasureGroupId, v3 ParentID (a TopicGroup): where its status is named

    @property
    def is_text(self) -> bool:
        """A text-valued measure (a classification or remark rather than a number); every other data type
        (Double, Float, Long, Integer, Decimal, ...) is a number."""
        return (self.datatype or "").strip().lower() in TEXT_DATATYPES


#: data types of text-valued measures, lower case (v4 MeasureCodes DataType, v3 DataProperties Datatype)
TEXT_DATATYPES = frozenset({"string", "char", "text"})


@dataclass(frozen=True)
class Dimension:
    id: str
    kind: str  # GEO, TIME or OTHER


@dataclass(frozen=True)
class Code:
    """A dimension code; ``key`` is the code as the API spells it (padded in v3), ``code`` trimmed."""

    key: str
    code: str
    title: str
    status: str | None
    description: str | None = None  # a region's history (ea_pipelines.reference.region_history)


@dataclass
class ObservationPage:
    """One page in columnar form, codes as the API spells them (the fetch trims them, column-wise).

    ``measure_code`` and ``value`` have one entry per observation. The dimension columns have one entry
    per source row, each standing for ``repeat`` consecutive observations (v3 rows are wide: one row
    holds every measure; v4 rows hold one, ``repeat`` 1).
    """

    measure_code: Sequence[str]
    region_code: Sequence[str | None]
    period_code: Sequence[str | None]
    others: dict[str, Sequence[Any]]  # other dimension id -> codes
    value: Sequence[Any]
    value_attribute: Sequence[str | None]
    source_rows: int  # rows as the API counts them (v3 rows are wide)
    repeat: int = 1
    value_text: Sequence[str | None] | None = None  # text-valued measures (v4 StringValue); None: no text

def _kind(kind: Any, ident: str) -> str:
    """A dimension's role from its Kind (v4) or Type (v3), and its identifier (RegioS is the regions)."""
    if kind == "GeoDimension" or ident == REGION_DIMENSION_ID:
        return GEO
    return TIME if kind == "TimeDimension" else OTHER


def dimension_roles(dims: list[Dimension]) -> tuple[str | None, str | None, list[str]]:
    """(geo dimension id, time dimension id, other dimension ids) of a table."""
    geo = next((d.id for d in dims if d.kind == GEO), None)
    time = next((d.id for d in dims if d.kind == TIME), None)
    return geo, time, [d.id for d in dims if d.kind == OTHER]


def _column(rows: list[dict[str, Any]], key: str) -> list[Any]:
    """One field of every row (a missing field raises KeyError, as a malformed page should)."""
    return list(map(operator.itemgetter(key), rows))


def _wide_values(rows: list[dict[str, Any]], keys: list[str]) -> list[Any]:
    """The measures of wide rows, row by row (each row's measures in ``keys`` order), in one pass in C."""
    if len(keys) == 1:
        return [r.get(keys[0]) for r in rows]
    try:
        return list(itertools.chain.from_iterable(map(operator.itemgetter(*keys), rows)))
    except KeyError:  # a measure left out of some rows
        return [r.get(k) for r in rows for k in keys]


_DONE = object()
#: bytes of pages fetched ahead of the one being worked on, at most (pages are a few MB; a hostile one is not)
PREFETCH_BYTES = 64 * 2**20


def follow_pages(t: Transport, path: str, params: dict[str, str], link_key: str,
                 prefetch: int = 2) -> Iterator[JsonPage]:
    """Pages of a paged entity set, following ``link_key``; the next pages are fetched in a background thread
    while the caller works on this one. Network waits release the GIL, so fetching overlaps with the caller's
    parsing and loading. Errors surface in the caller, in page order. A page's rows are parsed as the caller asks
    for them (:meth:`JsonPage.chunks`); the pages fetched ahead hold at most ``prefetch`` pages and
    :data:`PREFETCH_BYTES` besides the one being worked on, so memory stays at two response bounds at most.

    ``t.page_key`` (when the transport allows attributes) names the page being worked on, so an error
    names the response it came from even though later pages may already have arrived. ``t.max_pages`` (a live
    transport's bound) ends a ``nextLink`` that never stops, even one that brings no rows.
    """
    max_pages = getattr(t, "max_pages", None)
    pages: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
    stop = threading.Event()
    ahead = threading.Condition()
    held = [0]  # bytes of the pages fetched and not yet done with

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        nonlocal path, params
        key = None
        try:
            number = 0
            while not stop.is_set():
                with ahead:
                    while held[0] > PREFETCH_BYTES and not stop.is_set():
                        ahead.wait(0.1)
                fetched = t.get(path, params, expect="rows")
                key, number, page = fetched.key, number + 1, fetched.payload
                with ahead:
                    held[0] += page.size
                link = page.get(link_key)
                if not put((key, page)) or not link:
                    break
                if max_pages is not None and number >= max_pages:
                    raise CbsBadResponse(f"{getattr(t, 'table_id', '')}: still a {link_key} after {number} pages, "
                                         "the most one table may have (EA_CBS_MAX_PAGES); refusing the load")
                path, params = split_link(t.base_url, link)
        except BaseException as exc:  # handed to the consumer, raised there
            put((key, exc))
            return
        put((None, _DONE))

    worker = threading.Thread(target=work, name="cbs-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            key, item = pages.get()
            if item is _DONE:
                return
            if key is not None:
                _note_page(t, key)
            if isinstance(item, BaseException):
                raise item
            yield item
            with ahead:
                held[0] -= item.size
                ahead.notify()
            del item  # not held while the next page is awaited
    finally:
        stop.set()
        worker.join(timeout=30)


def row_chunks(t: Transport, path: str, params: dict[str, str], link_key: str, required: tuple[str, ...]
               ) -> Iterator[list[dict[str, Any]]]:
    """The rows of a paged entity set, a bounded stretch at a time (:func:`follow_pages`, :meth:`JsonPage.chunks`),
    each an object with the ``required`` keys (else ValueError, which the fetch reports naming the table and page).
    """
    for page in follow_pages(t, path, params, link_key):
        yield from page.chunks(required)


def code_rows(t: Transport, path: str, required: tuple[str, ...], link_key: str | None = None
              ) -> Iterator[list[dict[str, Any]]]:
    """The rows of a code list, a stretch at a time, each with the ``required`` keys; following ``link_key``
    when given. Over HTTP the list may hold at most ``t.max_codes`` codes and ``t.max_list_bytes`` bytes, all its
    pages together: a list that never ends is refused before it fills the memory."""
    max_codes, max_bytes = getattr(t, "max_codes", None), getattr(t, "max_list_bytes", None)
    pages = follow_pages(t, path, {}, link_key) if link_key else iter([t.get(path, expect="rows").payload])
    codes = size = 0
    for page in pages:
        size += page.size
        if max_bytes is not None and size > max_bytes:
            raise CbsBadResponse(f"{getattr(t, 'table_id', '')}: the code list {path} is larger than "
                                 f"{max_bytes / 2**20:g} MB over its pages (EA_HTTP_MAX_RESPONSE_MB); "
                                 "refusing the load")
        for rows in page.chunks(required):
            codes += len(rows)
            if max_codes is not None and codes > max_codes:
                raise CbsBadResponse(f"{getattr(t, 'table_id', '')}: the code list {path} has more than {max_codes} "
                                     "codes (EA_HTTP_MAX_CODES); refusing the load")
            yield rows


def _note_page(t: Transport, key: str) -> None:
    with contextlib.suppress(AttributeError):  # a transport without the field simply does not say
        t.page_key = key


def _text(raw: Any) -> str | None:
    """An identifier field as text (None when absent or empty)."""
    text = "" if raw is None else str(raw).strip()
    return text or None


def _dimension_id(raw: Any, table_id: str) -> str:
    """A dimension's identifier as CBS sent it; it becomes part of URLs and OData filters, so it must be a plain
    identifier."""
    ident = str(raw).strip()
    if not DIMENSION.match(ident):
        raise CbsBadResponse(f"{table_id}: dimension identifier {str(raw)[:80]!r} is not a plain identifier "
                             f"(pattern {DIMENSION.pattern}); refusing the load")
    return ident


class V4Reader:
    """OData v4 (``datasets.cbs.nl``): long-format ``Observations``."""

    api = "v4"

    def __init__(self, transport: Transport, table_id: str) -> None:
        self.t = transport
        self.table_id = table_id

    def properties(self) -> TableProperties:
        p = self.t.get("Properties").payload
        if not isinstance(p, dict) or not p.get("Identifier"):
            raise CbsTableNotFound(f"{self.table_id}: Properties is empty")
        return TableProperties(p["Identifier"], p.get("Title", ""), p.get("Modified"), p.get("Status", ""),
                               str(p.get("Description") or ""))

    def measures(self) -> list[Measure]:
        return [
            Measure(m["Identifier"].strip(), m.get("Title", "").strip(), m.get("Unit"), m.get("Decimals"),
                    m.get("DataType"), _text(m.get("MeasureGroupId")))
            for m in self.t.get("MeasureCodes").payload["value"]
        ]

    def measure_groups(self) -> dict[str, MeasureGroup]:
        """``MeasureGroups``: each group's title and parent (read only when a period's status needs them)."""
        groups = {}
        for g in self.t.get("MeasureGroups").payload["value"]:
            ident = _text(g.get("Id", g.get("Identifier")))
            if ident:
                groups[ident] = MeasureGroup(ident, str(g.get("Title") or ""),
                                             _text(g.get("ParentId", g.get("ParentID"))))
        return groups

    def dimensions(self) -> list[Dimension]:
        return [Dimension(ident, _kind(d.get("Kind", ""), ident))
                for d in self.t.get("Dimensions").payload["value"]
                for ident in [_dimension_id(d["Identifier"], self.table_id)]]

    def codes(self, dim: Dimension) -> list[Code]:
        return [Code(c["Identifier"], c["Identifier"].strip(), c.get("Title", ""), c.get("Status"),
                     c.get("Description"))
                for rows in code_rows(self.t, f"{dim.id}Codes", ("Identifier",)) for c in rows]

    def count(self, odata_filter: str) -> int:
        return self.t.get("Observations/$count", {"$filter": odata_filter}, expect="count").payload

    def pages(self, odata_filter: str, dims: list[Dimension], measures: set[str]) -> Iterator[ObservationPage]:
        geo, time, others = dimension_roles(dims)
        fields = ["Measure", *(k for k in (geo, time) if k), *others, "Value", "ValueAttribute", "StringValue"]
        required = ("Measure", *(k for k in (geo, time) if k), *others)
        for chunk in row_chunks(self.t, "Observations", {"$filter": odata_filter}, "@odata.nextLink", required):
            rows = chunk
            if not measures.issuperset(_column(rows, "Measure")):  # padded codes, or measures not filtered out
                rows = [r for r in rows if r["Measure"].strip() in measures]
            try:  # one pass in C: a tuple of fields per row, transposed into columns
                columns = dict(zip(fields, zip(*map(operator.itemgetter(*fields), rows), strict=True), strict=True)
                               ) if rows else {f: () for f in fields}
            except KeyError:  # Value or ValueAttribute may be left out; a dimension may not (KeyError names it)
                optional = {"Value", "ValueAttribute", "StringValue"}
                columns = {f: [r.get(f) if f in optional else r[f] for r in rows] for f in fields}
            yield ObservationPage(
                measure_code=columns["Measure"],
                region_code=columns[geo] if geo else [None] * len(rows),
                period_code=columns[time] if time else [None] * len(rows),
                others={d: columns[d] for d in others},
                value=columns["Value"],
                value_attribute=columns["ValueAttribute"],
                source_rows=len(chunk),
                value_text=columns["StringValue"] if any(v is not None for v in columns["StringValue"]) else None,
            )


class V3Reader:
    """OData v3 bulk feed (``opendata.cbs.nl/ODataFeed``): wide ``TypedDataSet`` rows, padded keys."""

    api = "v3"

    def __init__(self, transport: Transport, table_id: str) -> None:
        self.t = transport
        self.table_id = table_id
        self._props: list[dict[str, Any]] | None = None

    def _data_properties(self) -> list[dict[str, Any]]:
        if self._props is None:
            self._props = self.t.get("DataProperties").payload["value"]
        return self._props

    def properties(self) -> TableProperties:
        rows = self.t.get("TableInfos").payload.get("value") or []
        if not rows:
            raise CbsTableNotFound(f"{self.table_id}: TableInfos is empty")
        info = rows[0]
        # The v3 catalogue calls it OutputStatus; stopped tables also show Frequency "Stopgezet".
        status = info.get("OutputStatus") or info.get("Status") or (
            "Stopgezet" if info.get("Frequency") == "Stopgezet" else "Regulier")
        description = "\n".join(str(info[k]) for k in ("Summary", "ShortDescription", "Description")
                                 if info.get(k))
        return TableProperties(info.get("Identifier", self.table_id), info.get("Title", ""),
                               info.get("Modified"), status, description)

    def measures(self) -> list[Measure]:
        return [Measure(p["Key"].strip(), (p.get("Title") or "").strip(), p.get("Unit"), p.get("Decimals"),
                        p.get("Datatype"), _text(p.get("ParentID")))
                for p in self._data_properties() if p.get("Type") == "Topic"]

    def measure_groups(self) -> dict[str, MeasureGroup]:
        """The ``TopicGroup`` data properties: v3's measure groups (a topic's ParentID names its group)."""
        return {str(p["ID"]): MeasureGroup(str(p["ID"]), str(p.get("Title") or ""), _text(p.get("ParentID")))
                for p in self._data_properties() if p.get("Type") == "TopicGroup" and p.get("ID") is not None}

    def dimensions(self) -> list[Dimension]:
        kinds = ("GeoDimension", "TimeDimension", "Dimension")
        return [Dimension(ident, _kind(p["Type"], ident)) for p in self._data_properties()
                if p.get("Type") in kinds for ident in [_dimension_id(p["Key"], self.table_id)]]

    def codes(self, dim: Dimension) -> list[Code]:
        return [Code(c["Key"], c["Key"].strip(), c.get("Title", ""), c.get("Status"), c.get("Description"))
                for rows in code_rows(self.t, dim.id, ("Key",)) for c in rows]

    def count(self, odata_filter: str) -> int:
        return self.t.get("TypedDataSet/$count", {"$filter": odata_filter}, expect="count").payload

    def pages(self, odata_filter: str, dims: list[Dimension], measures: set[str]) -> Iterator[ObservationPage]:
        geo, time, others = dimension_roles(dims)
        keys = {p["Key"].strip(): p["Key"] for p in self._data_properties()}
        chosen = [m for m in self.measures() if m.code in measures]
        wanted = [keys[m.code] for m in chosen]
        text = [m.is_text for m in chosen]
        n = len(wanted)
        required = tuple(k for k in (geo, time, *others) if k)
        for rows in row_chunks(self.t, "TypedDataSet", {"$filter": odata_filter}, "odata.nextLink", required):
            values = _wide_values(rows, wanted)
            texts = None
            if any(text):  # a text measure's values go to value_text; its numeric value stays empty
                texts = [v if text[i % n] else None for i, v in enumerate(values)]
                values = [None if text[i % n] else v for i, v in enumerate(values)]
            # wide rows to long: one observation per measure, in the same order in every row
            yield ObservationPage(
                measure_code=wanted * len(rows),
                region_code=_column(rows, geo) if geo else [None] * len(rows),
                period_code=_column(rows, time) if time else [None] * len(rows),
                others={d: _column(rows, d) for d in others},
                value=values,
                value_attribute=[None] * (n * len(rows)),
                source_rows=len(rows),
                repeat=n,
                value_text=texts,
            )


Reader = V4Reader | V3Reader

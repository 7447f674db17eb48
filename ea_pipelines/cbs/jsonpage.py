"""The ``value`` rows of an OData answer, parsed a bounded stretch at a time.

Parsed whole, a JSON body costs many times its size: ``{"value":[{},{},…]}`` holds a Python dict (64 bytes and
a list slot) for every three bytes, so a body under the response bound (EA_HTTP_MAX_RESPONSE_MB) could still take
gigabytes. Here only the answer's envelope (``@odata.nextLink`` and the like, at most :data:`MAX_ENVELOPE_BYTES`) is
parsed at once; the rows are parsed by orjson a stretch of about :data:`CHUNK_BYTES` at a time, cut at row
boundaries (``},{``) found by a regular expression, so the work per row stays in C and memory stays at one
stretch's objects whatever the body's size. A stretch whose boundary turns out to lie inside a string is widened
(doubling, so a few tries at most) up to :data:`MAX_STRETCH_BYTES`; beyond that the answer is refused.

Rows are checked as they are parsed: each must be an object holding the keys its entity set requires, so an
answer of empty objects is refused at its first stretch.
"""

from __future__ import annotations

import collections
import itertools
import json
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

MB = 2**20
#: rows parsed together (a normal page of 10,000 observations, about 1.3 MB, is one stretch)
CHUNK_BYTES = 2 * MB
#: the most bytes parsed at once while looking for a row boundary (a single row is never near this)
MAX_STRETCH_BYTES = 4 * MB
#: the most bytes of an answer outside its ``value`` rows (v4 Properties, nextLinks: kilobytes)
MAX_ENVELOPE_BYTES = 1 * MB
#: the largest answer parsed whole (v4 Properties, a filtered catalogue listing: kilobytes)
MAX_DOCUMENT_BYTES = 8 * MB
#: tail candidates tried for the array's closing bracket (a ``]`` in a nextLink is tried past)
_TAIL_TRIES = 16

_VALUE = re.compile(rb'[{,]\s*"value"\s*:\s*\[')
_BOUNDARY = re.compile(rb'\}\s*,\s*(\{)\s*["}]')
_SPACE = re.compile(rb"\s*")


class MalformedPage(ValueError):
    """The body is not the JSON object an OData collection answer is (a truncated body, most often)."""


@dataclass
class JsonPage:
    """One answer: its envelope parsed, its ``value`` rows left in ``body[start:end]`` until asked for (``start``
    -1: the answer has no ``value`` list)."""

    envelope: dict[str, Any]
    body: bytes | bytearray
    start: int
    end: int

    @property
    def size(self) -> int:
        return len(self.body)

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the envelope (``@odata.nextLink``)."""
        return self.envelope.get(key, default)

    def chunks(self, required: tuple[str, ...] = ()) -> Iterator[list[dict[str, Any]]]:
        """The rows, a stretch at a time; each row an object with every ``required`` key (else ValueError naming
        the row's number in the answer)."""
        if self.start < 0:
            raise ValueError("the answer has no 'value' list")
        body, end = self.body, self.end
        view = memoryview(body)
        at = first = _SPACE.match(body, self.start, end).end()
        seen = 0
        while at < end:
            if body[at] != 0x7B:  # "{": rows are objects; anything else is refused before it is parsed
                snippet = bytes(body[at:min(at + 40, end)]).decode("utf-8", "replace")
                raise ValueError(f"row {seen + 1} is not an object: {snippet}…")
            size, tries, search = CHUNK_BYTES, 0, at + CHUNK_BYTES
            while True:
                cut = end
                if search < end:
                    boundary = _BOUNDARY.search(body, search, end)
                    cut = boundary.start() + 1 if boundary else end
                if cut - at > MAX_STRETCH_BYTES:
                    raise ValueError(f"rows {seen + 1} on: no row boundary within {MAX_STRETCH_BYTES // MB} MB of "
                                     "the answer (rows are a few hundred bytes)")
                # the whole list in one stretch (a normal page): parsed in place, brackets and all, without a copy
                rows = _rows(view[self.start - 1:end + 1] if at == first and cut == end else
                             b"".join((b"[", view[at:cut], b"]")))
                if rows is not None:
                    break
                if cut == end:
                    raise ValueError(f"rows {seen + 1} on are not JSON")
                # the boundary was inside a string or a nested value: try the next one, then a wider stretch
                tries += 1
                if tries % 4:
                    search = cut
                else:
                    size *= 2
                    search = at + size
            _check(rows, required, seen)
            seen += len(rows)
            yield rows
            at = cut + 1 if cut == end else _BOUNDARY.match(body, cut - 1).start(1)
        view.release()

    def rows(self, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Every row at once: for answers known to be small (metadata lists)."""
        return [r for chunk in self.chunks(required) for r in chunk]


def _rows(stretch: bytes | memoryview) -> list[Any] | None:
    """The rows of one stretch; the standard library accepts what orjson refuses (NaN). None: not JSON."""
    try:
        return orjson.loads(stretch)
    except orjson.JSONDecodeError:
        try:
            return json.loads(bytes(stretch))
        except (ValueError, RecursionError):
            return None


def _check(rows: list[Any], required: tuple[str, ...], offset: int) -> None:
    """Every row an object with the ``required`` keys; checked in C, explained row by row only on failure."""
    try:
        if required:  # any row that is not an object fails the lookup too
            collections.deque(map(operator.itemgetter(*required), rows), 0)
            return
        if all(map(isinstance, rows, itertools.repeat(dict))):
            return
    except (KeyError, TypeError):
        pass
    for number, row in enumerate(rows, start=offset + 1):
        if not isinstance(row, dict):
            raise ValueError(f"row {number} is not an object: {_short(row)}")
        missing = [k for k in required if k not in row]
        if missing:
            raise ValueError(f"row {number} lacks {', '.join(missing)}: {_short(row)}")


def _short(row: Any) -> str:
    text = orjson.dumps(row).decode() if isinstance(row, dict | list | str | int | float) else repr(row)
    return text if len(text) <= 80 else text[:80] + "…"


def parse_page(body: bytes | bytearray) -> JsonPage:
    """The envelope of ``body`` and where its ``value`` rows lie; :class:`MalformedPage` if it is not an OData
    answer (cut short, not an object, an envelope beyond :data:`MAX_ENVELOPE_BYTES`)."""
    found = _VALUE.search(body, 0, MAX_ENVELOPE_BYTES + 64)
    if found is None:
        if len(body) > MAX_ENVELOPE_BYTES:
            raise MalformedPage(f"an answer of {len(body)} bytes without a 'value' list near its start")
        return JsonPage(_object(body), body, -1, -1)
    start = found.end()
    head = bytes(body[:start - 1])
    tail_end = len(body)
    while tail_end and body[tail_end - 1] in b" \t\r\n":
        tail_end -= 1
    if not tail_end or body[tail_end - 1] != ord("}"):
        raise MalformedPage(f"the answer ends at byte {len(body)} without closing its JSON object; cut short?")
    close = tail_end
    for _ in range(_TAIL_TRIES):
        close = body.rfind(b"]", start - 1, close)
        if close < start - 1 or tail_end - close > MAX_ENVELOPE_BYTES:
            break
        try:
            envelope = _object(head + b"[]" + bytes(body[close + 1:tail_end]))
        except MalformedPage:
            continue
        if envelope.pop("value", None) == []:
            return JsonPage(envelope, body, start, close)
    raise MalformedPage(f"no end of the 'value' list in the answer's {len(body)} bytes; cut short?")


def _object(data: bytes | bytearray) -> dict[str, Any]:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedPage(str(exc)) from None
    if not isinstance(parsed, dict):
        raise MalformedPage(f"the answer is a JSON {type(parsed).__name__}, not an object")
    return parsed

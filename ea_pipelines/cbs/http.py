"""HTTP GET with timeouts, capped exponential backoff with jitter, bounds, and honest JSON checks.

`requests` has no default timeout and urllib3's `Retry` honours `Retry-After` for hours, so the retry
loop is ours: every request has a timeout, 429/5xx/resets/truncated bodies are retried up to
``max_attempts``, and a `Retry-After` longer than ``retry_after_cap`` is cut to the cap.

`requests`' timeout applies between bytes, so a server sending a byte every few seconds keeps a request
alive for ever, and a small gzip body can expand to gigabytes. So each request also has a total
``deadline`` (connect to last byte, enforced from outside the reading thread) and a ``max_response_bytes``
bound on the decompressed body (counted while reading: memory stays at the bound plus one read). Both end
the load with :class:`CbsBadResponse` naming the limit; neither is retried. A client serves one table, and
``table_deadline`` bounds the table's requests together (its pages, retries and waits), however they trickle.

A collection answer (``expect="rows"``) is not parsed whole: its rows are parsed a bounded stretch at a time by
the reader (:mod:`ea_pipelines.cbs.jsonpage`), so memory stays near the body's size. Other JSON answers
(Properties, a catalogue listing) are parsed whole and may be no larger than ``MAX_DOCUMENT_BYTES``.

Every body, whatever its status, is masked (:func:`ea_pipelines.masking.mask_bytes`) as soon as it is read: a
server that echoes the API key or the ``Authorization`` header in an error page, an HTML page or even a JSON
answer hands nothing secret to an error message, ``meta.load_log``, the landing folder or the warehouse. A
landed body is the server's answer with those secrets replaced by ``***``, every other byte as it came.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
import urllib3.exceptions

from ea_pipelines.cbs.errors import (
    CbsAccessDenied,
    CbsBadResponse,
    CbsHostUnreachable,
    CbsHttpError,
    CbsNotJsonError,
    CbsTableNotFound,
    CbsTransientError,
)
from ea_pipelines.cbs.jsonpage import MAX_DOCUMENT_BYTES, MalformedPage, parse_page
from ea_pipelines.masking import mask_bytes, register_secret, register_url
from ea_pipelines.settings import (
    DEFAULT_CBS_MAX_PAGES,
    DEFAULT_HTTP_DEADLINE,
    DEFAULT_HTTP_MAX_CODES,
    DEFAULT_HTTP_MAX_RESPONSE_BYTES,
    DEFAULT_HTTP_TABLE_DEADLINE,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_READ_SIZE = 1 << 20
_LEAD = re.compile(rb"\s*(?:\xef\xbb\xbf)?")


@dataclass(frozen=True)
class HttpResponse:
    """A successful response: the raw bytes (kept for the landing folder) and what they parse to."""

    url: str
    body: bytes | bytearray
    payload: Any  # expect "json": the parsed document; "rows": a JsonPage; "count": an int


@dataclass
class RetryPolicy:
    """How hard to try, and how much to take. Defaults suit the nightly run; tests pass tiny delays."""

    timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    retry_after_cap: float = 120.0
    #: seconds from connecting to the last byte of one request
    deadline: float = DEFAULT_HTTP_DEADLINE
    #: the largest body accepted, after decompression
    max_response_bytes: int = DEFAULT_HTTP_MAX_RESPONSE_BYTES
    #: the most observation pages one table may have (a nextLink that never ends)
    max_pages: int = DEFAULT_CBS_MAX_PAGES
    #: seconds from a table's first request to its last byte, pages, retries and waits together
    table_deadline: float = DEFAULT_HTTP_TABLE_DEADLINE
    #: the most codes one code list may have, all its pages together (its bytes: max_response_bytes)
    max_codes: int = DEFAULT_HTTP_MAX_CODES

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Delay before retry number ``attempt`` (1-based): capped exponential with equal jitter."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + rng() * ceiling / 2


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def unreachable_reason(exc: BaseException) -> str | None:
    """Why the host cannot be reached at all (DNS failure, connection refused), or None if it can."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, socket.gaierror | urllib3.exceptions.NameResolutionError):
            return "name resolution failed"
        if isinstance(err, ConnectionRefusedError) or (
                isinstance(err, urllib3.exceptions.NewConnectionError) and "refused" in str(err).lower()):
            return "connection refused"
        reason = getattr(err, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        todo.extend(a for a in getattr(err, "args", ()) if isinstance(a, BaseException))
        for linked in (err.__cause__, err.__context__):
            if linked is not None:
                todo.append(linked)
    return None


def _snippet(body: bytes, limit: int = 120) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    return " ".join(text.split())


@dataclass
class HttpClient:
    """GETs JSON (or an OData ``$count`` integer) with the retry policy above."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    session: requests.Session = field(default_factory=requests.Session)
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    #: extra request headers (an API key): sent, never logged, never part of a landing key or manifest
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    #: appended to the message of a 401/403: what to do about it (the setting that holds the key)
    access_hint: str = ""
    #: what was spent, for run metadata
    requests_made: int = 0
    bytes_received: int = 0
    #: when the table's time began (the client's creation): ``policy.table_deadline`` counts from here
    started: float = field(default_factory=time.monotonic)

    def remaining(self, url: str, params: dict[str, str] | None = None) -> float:
        """Seconds left of the table's time; refuses the load (naming the request) once there are none."""
        left = self.started + self.policy.table_deadline - time.monotonic()
        if left <= 0:
            raise self._table_overdue(url, params)
        return left

    def _table_overdue(self, url: str, params: dict[str, str] | None) -> CbsBadResponse:
        return CbsBadResponse(f"GET {_with_query(url, params)}: the table's requests took more than "
                              f"{self.policy.table_deadline:g} s together (EA_HTTP_TABLE_DEADLINE); refusing the load")

    def __post_init__(self) -> None:
        for value in self.headers.values():  # a key sent is a key a server may echo
            register_secret(value)

    def get(self, url: str, params: dict[str, str] | None = None, *, expect: str = "json") -> HttpResponse:
        """GET ``url``; ``expect`` is ``"json"``, ``"rows"`` (a collection: see the module docstring) or
        ``"count"`` (a plain-text integer)."""
        last_problem = ""
        register_url(url)  # a password in the URL goes out as a Basic Authorization header, which may be echoed
        for attempt in range(1, self.policy.max_attempts + 1):
            delay: float | None = None
            try:
                resp, body = self._bounded_get(url, params, expect)
            except requests.ConnectionError as exc:
                reason = unreachable_reason(exc)
                if reason:
                    raise CbsHostUnreachable(f"cannot reach {_host(url)}: {reason}") from exc
                last_problem = f"connection error: {_short(exc)}"
            except requests.Timeout:
                last_problem = f"no answer within {self.policy.timeout:g} s"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                last_problem = f"truncated body: {_short(exc)}"
            else:
                if resp.status_code in RETRY_STATUSES:
                    last_problem = f"HTTP {resp.status_code}"
                    after = _retry_after_seconds(resp.headers.get("Retry-After"))
                    if after is not None:
                        delay = min(after, self.policy.retry_after_cap)
                elif resp.status_code == 404:
                    raise CbsTableNotFound(f"HTTP 404 for {resp.url}")
                elif resp.status_code in (401, 403):
                    hint = f"; {self.access_hint}" if self.access_hint else ""
                    raise CbsAccessDenied(f"HTTP {resp.status_code} for {resp.url}: {_snippet(body)}{hint}",
                                          resp.status_code)
                elif resp.status_code >= 400:
                    raise CbsHttpError(f"HTTP {resp.status_code} for {resp.url}: {_snippet(body)}",
                                       resp.status_code)
                else:
                    payload, problem = _decode(body, resp.headers.get("Content-Type", ""), expect, resp.url)
                    if problem is None:
                        return HttpResponse(url=resp.url, body=body, payload=payload)
                    last_problem = problem
            if attempt == self.policy.max_attempts:
                break
            wait = delay if delay is not None else self.policy.backoff(attempt, self.rng)
            if wait >= self.remaining(url, params):
                raise self._table_overdue(url, params)
            log.warning("GET %s failed (%s); attempt %d of %d, retrying in %.2f s",
                        url, last_problem, attempt, self.policy.max_attempts, wait)
            self.sleep(wait)
        raise CbsTransientError(
            f"GET {url} failed {self.policy.max_attempts} times; last problem: {last_problem}"
        )


    def _bounded_get(self, url: str, params: dict[str, str] | None, expect: str) -> tuple[requests.Response, bytes]:
        """One GET, read whole within the deadline and the size bound; runs in a worker thread so that the
        deadline holds even while a read is blocked on a trickling server."""
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                resp = self.session.get(
                    url, params=params, timeout=(min(10.0, self.policy.timeout), self.policy.timeout),
                    headers={**self.headers, "Accept": "application/json" if expect == "json" else "text/plain"},
                    stream=True)
                outcome["resp"] = resp
                self.requests_made += 1
                outcome["body"] = mask_bytes(self._read_bounded(resp))  # nothing secret leaves the client
            except BaseException as exc:  # handed to the caller
                outcome["error"] = exc
            finally:
                done.set()

        remaining = self.remaining(url, params)
        worker = threading.Thread(target=work, name="cbs-http", daemon=True)
        worker.start()
        if not done.wait(min(self.policy.deadline, remaining)):
            _abort(outcome.get("resp"))  # unblocks the worker's read; a worker still in the headers ends with
            if remaining < self.policy.deadline:  # its own read timeout
                raise self._table_overdue(url, params)
            raise CbsBadResponse(
                f"GET {url}: no complete answer within {self.policy.deadline:g} s (EA_HTTP_DEADLINE); "
                "refusing the load")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["resp"], outcome["body"]

    def _read_bounded(self, resp: requests.Response) -> bytearray:
        """The decompressed body, in large reads (pages are megabytes), refused beyond the size bound. Grown in
        place (a large buffer is remapped, not copied), so a body costs its size once, not twice."""
        limit, body = self.policy.max_response_bytes, bytearray()
        for part in resp.iter_content(chunk_size=_READ_SIZE):  # a short read raises here
            self.bytes_received += len(part)
            if len(body) + len(part) > limit:
                resp.close()
                raise CbsBadResponse(
                    f"GET {resp.url}: the answer is larger than {limit / 2**20:g} MB after decompression "
                    f"(EA_HTTP_MAX_RESPONSE_MB); refusing the load")
            body += part
        return body


def _abort(resp: requests.Response | None) -> None:
    """Shut the response's socket down, so that a read blocked on it returns at once."""
    sock = getattr(getattr(getattr(resp, "raw", None), "_connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _decode(body: bytes | bytearray, content_type: str, expect: str, url: str) -> tuple[Any, str | None]:
    """Parse a 200 body. Returns (payload, None), or (None, problem) for a retryable truncated body.

    Raises :class:`CbsNotJsonError` for a body that is plainly something else, such as an HTML page.
    """
    if expect == "count":
        text = body.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
        if text.isdigit():
            return int(text), None
        raise CbsNotJsonError(f"{url}: expected a row count, got {_snippet(body)!r}")
    lead = _LEAD.match(body).end()
    if body[lead:lead + 1] not in (b"{", b"["):
        raise CbsNotJsonError(
            f"{url}: the body is not JSON (Content-Type {content_type or 'missing'!r}): {_snippet(body)!r}"
        )
    if expect == "rows":
        try:
            return parse_page(body[lead:] if lead else body), None
        except MalformedPage as exc:
            return None, f"truncated or malformed JSON ({exc})"
    if len(body) > MAX_DOCUMENT_BYTES:
        raise CbsBadResponse(f"GET {url}: a single document of more than {MAX_DOCUMENT_BYTES / 2**20:g} MB, where "
                             "kilobytes are expected; refusing the load")
    stripped = bytes(body[lead:])
    try:
        return orjson.loads(stripped), None
    except orjson.JSONDecodeError:
        try:  # orjson is fast; the standard library names the problem, and accepts what orjson refuses (NaN)
            return json.loads(stripped), None
        except json.JSONDecodeError as exc:
            return None, f"truncated or malformed JSON ({exc.msg}: byte {exc.pos} of {len(body)})"
        except (UnicodeDecodeError, RecursionError) as exc:
            return None, f"truncated or malformed JSON ({exc})"


def _with_query(url: str, params: dict[str, str] | None) -> str:
    """``url`` with its query, as sent (the page a message names)."""
    return requests.Request("GET", url, params=params).prepare().url or url if params else url


def _host(url: str) -> str:
    """Host and port only: the URL's user-info (a password) never reaches a message."""
    parts = requests.utils.urlparse(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"

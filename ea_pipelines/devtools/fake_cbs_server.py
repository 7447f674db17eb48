"""A fake CBS OData server on 127.0.0.1 for tests, snapshot building and benchmarks.

It serves the real URL layout (``/odata/v1/CBS/<table>/...`` for v4, ``/ODataFeed/odata/<table>/...``
and ``/ODataCatalog/Tables`` for v3), evaluates the ``$filter`` expressions our client writes, pages
observations with ``nextLink`` links, answers ``$count``, and can inject faults: an HTTP status with
``Retry-After``, a connection reset, a truncated body, an HTML page with status 200, a wrong content
type, a slow answer, an answer held until the test lets go. ``tamper`` rewrites every matching answer
(bad responses for the test corpus). ``echo`` makes it a hostile server that repeats what the client sent (its
API key, its ``Authorization`` header, the URL with those credentials) in every JSON answer; the ``echo`` fault
does the same in an error page.
Table ids are case-sensitive as at CBS: the wrong case answers with empty results, not an error.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import socket
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

V4_ROOT = "/odata/v1/CBS"
V3_ROOT = "/ODataFeed/odata"
V3_CATALOG = "/ODataCatalog/Tables"


@dataclass
class FakeTable:
    """One table: metadata entity sets by name, and observation rows (v4 long, v3 wide)."""

    api: str
    table_id: str
    entities: dict[str, Any]
    rows: list[dict[str, Any]]
    #: entity name -> exact bytes to serve instead of re-serialising (real captures, served as-is)
    raw: dict[str, bytes] = field(default_factory=dict)
    #: fields of the table's row in the CBS catalogue listing that differ from its own metadata
    #: (e.g. ``{"Status": "Gediscontinueerd"}``; see :meth:`FakeCbsServer.catalogue_row`)
    catalogue: dict[str, Any] = field(default_factory=dict)

    @property
    def observation_set(self) -> str:
        return "Observations" if self.api == "v4" else "TypedDataSet"


@dataclass
class Fault:
    """What to do instead of answering normally. ``kind``: status, reset, truncate (connection closed mid-body),
    truncate_json (complete response holding half a JSON document), html, text, atom (a v3 Atom XML feed,
    what CBS sends without ``$format=json``), content_type (the right body under ``content_type``), slow
    (answer after ``seconds``), hold (answer nothing until :meth:`FakeCbsServer.release` or shutdown, then
    close the connection), pass (answer normally: aims a later fault at a later request), gzip_bomb (a gzip
    body that expands to ``size`` bytes of valid JSON: ``fill`` is its start, the unit repeated and its end, spaces
    inside ``{"value": [...]}`` unless given), trickle (the answer one byte every ``seconds``; a
    client that hangs up is counted in :attr:`FakeCbsServer.cut_off`), echo (an answer with ``status`` whose
    body, JSON or ``content_type`` text/html, repeats the request: see :func:`echo_text`)."""

    kind: str
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    content_type: str = "text/html"
    size: int = 0
    fill: tuple[bytes, bytes, bytes] | None = None


#: (path, params, body) -> body, applied to every answer whose path matches
Tamper = Callable[[str, dict[str, str], bytes], bytes]


_CLAUSES = [
    (re.compile(r"startswith\((\w+),'((?:[^']|'')*)'\)"), r"_v(r,'\1').startswith('\2')"),
    (re.compile(r"tolower\((\w+)\) eq '((?:[^']|'')*)'"), r"_v(r,'\1').lower()=='\2'"),
    (re.compile(r"(\w+) eq '((?:[^']|'')*)'"), r"_v(r,'\1')=='\2'"),
    (re.compile(r"(\w+) ge '((?:[^']|'')*)'"), r"_v(r,'\1')>='\2'"),
]


def compile_filter(expr: str | None):
    """Translate the OData subset our client writes (eq, ge, startswith, and, or) into a predicate."""
    if not expr:
        return lambda r: True
    code = expr
    for pattern, repl in _CLAUSES:
        code = pattern.sub(repl, code)
    # literals may hold any text but a quote or backslash; outside them only the translated clauses
    if "\\" in code or re.search(r"[^\w\s'()=<>!.,_\-]", re.sub(r"'(?:[^']|'')*'", "''", code).replace("_v(r,", "")):
        raise ValueError(f"unsupported filter {expr!r}")
    fn = eval(f"lambda r: {code}", {"_v": lambda r, k: str(r.get(k, ""))})  # noqa: S307 - test server only
    return fn


class FakeCbsServer:
    """Start with ``with FakeCbsServer(tables) as server:``; ``server.v4_url`` / ``server.v3_url``."""

    def __init__(self, tables: list[FakeTable], page_size: int = 10_000) -> None:
        self.tables = {(t.api, t.table_id): t for t in tables}
        self.page_size = page_size
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.tampers: list[tuple[str, Tamper]] = []
        self._filter_cache: dict[tuple[str, str, str | None], tuple[FakeTable, list[dict[str, Any]]]] = {}
        self._released = threading.Event()
        self.requests: list[str] = []
        #: trickled answers the client hung up on before their last byte
        self.cut_off = 0
        #: a hostile server: every JSON object answered carries the request back in a "request" member, and
        #: ECHO anywhere in an answer (a title, say) is replaced by the same text (see echo_text)
        self.echo = False
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        # a short poll interval: shutdown() waits for the loop to notice, up to one interval per server
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def v4_url(self) -> str:
        return self.root + V4_ROOT

    @property
    def v3_url(self) -> str:
        return self.root + V3_ROOT

    def inject(self, path_pattern: str, *faults: Fault) -> None:
        """Queue faults for the next requests whose path matches the regex ``path_pattern``."""
        with self._lock:
            self.faults[path_pattern].extend(faults)

    def tamper(self, path_pattern: str, rewrite: Tamper) -> None:
        """Rewrite the body of every answer whose path matches the regex ``path_pattern`` (until shutdown)."""
        with self._lock:
            self.tampers.append((path_pattern, rewrite))

    def release(self) -> None:
        """Let every held request go (their connections are closed without an answer)."""
        self._released.set()

    def __enter__(self) -> FakeCbsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            for pattern, queue in self.faults.items():
                if queue and re.search(pattern, path):
                    return queue.pop(0)
        return None

    # -- routing --------------------------------------------------------------------------------------

    def respond(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str, bytes]:
        """The answer to a GET; a subclass that serves another API (fake_swing_server) may look at ``headers``."""
        return self.answer(path, params)

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        for api, root in (("v4", V4_ROOT), ("v3", V3_ROOT)):
            if path.startswith(root + "/"):
                rest = path[len(root) + 1:].split("/")
                if api == "v4" and rest == ["Datasets"]:
                    return self._catalog("v4", params, "@odata.context")
                return self._table(api, rest, params)
        if path == V3_CATALOG:
            return self._catalog("v3", params, "odata.metadata")
        return 404, "text/plain", b"not found"

    def _filtered(self, table: FakeTable, expr: str | None) -> list[dict[str, Any]]:
        """The rows matching ``expr``, computed once per table object and filter (every page asks again)."""
        key = (table.api, table.table_id, expr)
        with self._lock:
            hit = self._filter_cache.get(key)
        if hit is not None and hit[0] is table:
            return hit[1]
        pred = compile_filter(expr)
        rows = [r for r in table.rows if pred(r)]
        with self._lock:
            self._filter_cache[key] = (table, rows)
        return rows

    def catalogue_row(self, table: FakeTable) -> dict[str, Any]:
        """The table as the CBS catalogue lists it: v4 ``Datasets`` rows carry the fields of the table's
        ``Properties``; v3 ``ODataCatalog/Tables`` rows those of its ``TableInfos`` plus ``ApiUrl`` and
        ``FeedUrl``. ``FakeTable.catalogue`` overrides fields (a discontinued status, say)."""
        if table.api == "v4":
            props = table.entities.get("Properties") or {}
            row = {k: v for k, v in props.items() if not k.startswith("@")} or {"Identifier": table.table_id}
        else:
            infos = (table.entities.get("TableInfos") or {}).get("value") or [{}]
            row = {k: v for k, v in infos[0].items() if not k.startswith("odata.")}
            row.setdefault("Identifier", table.table_id)
            row.update(ApiUrl=f"https://opendata.cbs.nl/ODataApi/odata/{table.table_id}",
                       FeedUrl=f"https://opendata.cbs.nl/ODataFeed/odata/{table.table_id}")
        row.update(table.catalogue)
        return row

    def _catalog(self, api: str, params: dict[str, str], meta_key: str) -> tuple[int, str, bytes]:
        pred = compile_filter(params.get("$filter"))
        rows = [self.catalogue_row(t) for (a, _), t in self.tables.items() if a == api]
        rows = [r for r in rows if pred(r)]
        if params.get("$select"):
            fields = [f.strip() for f in params["$select"].split(",")]
            rows = [{f: r.get(f) for f in fields} for r in rows]
        context = (f"{self.v4_url}/$metadata#Datasets" if api == "v4"
                   else f"{self.root}/ODataCatalog/$metadata#Tables")
        return _json({meta_key: context, "value": rows})

    def _table(self, api: str, rest: list[str], params: dict[str, str]) -> tuple[int, str, bytes]:
        if len(rest) < 2:
            return 404, "text/plain", b"not found"
        table_id, entity = rest[0], rest[1]
        table = self.tables.get((api, table_id))
        meta_key = "@odata.context" if api == "v4" else "odata.metadata"
        if table is None:
            known_other_case = any(a == api and t.lower() == table_id.lower() for a, t in self.tables)
            if known_other_case:  # CBS: the wrong case silently gives empty results
                return _json({meta_key: f"{table_id}/{entity}", "value": []})
            return 404, "application/json", b'{"error": "not found"}'
        if entity == table.observation_set:
            rows = self._filtered(table, params.get("$filter"))
            if rest[2:] == ["$count"]:
                return 200, "text/plain", str(len(rows)).encode()
            skip = int(params.get("$skip", "0"))
            page = rows[skip: skip + self.page_size]
            body: dict[str, Any] = {meta_key: f"{table_id}/{entity}", "value": page}
            if skip + self.page_size < len(rows):
                link_params = {**params, "$skip": str(skip + self.page_size)}
                root = V4_ROOT if api == "v4" else V3_ROOT
                link = f"{self.root}{root}/{table_id}/{entity}?{urlencode(link_params)}"
                body["@odata.nextLink" if api == "v4" else "odata.nextLink"] = link
            return _json(body)
        if entity in table.raw:
            return 200, "application/json; charset=utf-8", table.raw[entity]
        if entity in table.entities:
            return _json(table.entities[entity])
        return 404, "application/json", b'{"error": "no such entity set"}'

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                parts = urlsplit(self.path)
                with server._lock:
                    server.requests.append(self.path)
                fault = server._next_fault(parts.path)
                if fault and fault.kind == "hold":
                    server._released.wait()
                    self.close_connection = True
                    return
                if fault and fault.kind in ("slow", "pass"):
                    time.sleep(fault.seconds)
                    fault = None
                if fault and fault.kind == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault and fault.kind == "status":
                    self._send(fault.status, "application/json", b'{"error": "injected"}',
                               {"Retry-After": fault.retry_after} if fault.retry_after else {})
                    return
                if fault and fault.kind == "echo":
                    said = echo_text(self.path, dict(self.headers))
                    if "html" in fault.content_type:
                        page = f"<html><head><title>{fault.status} {said}</title></head><body>{said}</body></html>"
                        self._send(fault.status, "text/html; charset=utf-8", page.encode())
                    else:
                        self._send(fault.status, "application/json",
                                   json.dumps({"error": {"code": str(fault.status), "message": said}}).encode())
                    return
                if fault and fault.kind == "html":
                    self._send(200, "text/html", b"<html><body><h1>Onderhoud</h1>Probeer het later.</body></html>")
                    return
                if fault and fault.kind == "text":
                    self._send(200, "text/plain", b"Service temporarily unavailable")
                    return
                if fault and fault.kind == "atom":
                    self._send(200, "application/atom+xml;charset=utf-8",
                               b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                               b"<title>TypedDataSet</title></feed>")
                    return
                params = dict(parse_qsl(parts.query))
                status, ctype, body = server.respond(parts.path, params, dict(self.headers))
                with server._lock:
                    tampers = [fn for pattern, fn in server.tampers if re.search(pattern, parts.path)]
                for rewrite in tampers:
                    body = rewrite(parts.path, params, body)
                if server.echo:
                    body = _echoed(body, echo_text(self.path, dict(self.headers)))
                if fault and fault.kind == "content_type":
                    ctype = fault.content_type
                if fault and fault.kind == "truncate_json":  # a complete HTTP message holding half a JSON body
                    self._send(status, ctype, body[: max(1, len(body) // 2)])
                    return
                if fault and fault.kind == "gzip_bomb":
                    self._send(200, ctype, gzip_bomb(fault.size, *(fault.fill or ())), {"Content-Encoding": "gzip"})
                    return
                if fault and fault.kind == "trickle":
                    self._trickle(status, ctype, body, fault.seconds)
                    return
                if fault and fault.kind == "truncate":
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: max(1, len(body) // 2)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(status, ctype, body)

            def _trickle(self, status: int, ctype: str, body: bytes, seconds: float) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.close_connection = True
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        if server._released.wait(seconds):
                            return
                except OSError:  # the client gave up
                    with server._lock:
                        server.cut_off += 1

            def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        return Handler


#: replaced by the request's echo in every answer of a hostile server (FakeCbsServer.echo)
ECHO = "{{request}}"


def echo_text(path: str, headers: dict[str, str]) -> str:
    """What a hostile server says back: the API key and ``Authorization`` header it received, and the URL with
    the credentials of that header put back in (``http://user:password@host/path``)."""
    low = {k.lower(): v for k, v in headers.items()}
    auth = low.get("authorization", "")
    userinfo = ""
    if auth.lower().startswith("basic "):
        try:
            userinfo = base64.b64decode(auth[6:]).decode("utf-8", "replace") + "@"
        except (binascii.Error, ValueError):
            userinfo = ""
    return (f"apikey={low.get('apikey', '')} Authorization={auth} "
            f"url=http://{userinfo}{low.get('host', '')}{path}")


def _echoed(body: bytes, said: str) -> bytes:
    """``body`` with ECHO replaced by ``said``, and a JSON object given a "request" member saying it."""
    quoted = json.dumps(said)
    body = body.replace(ECHO.encode(), quoted[1:-1].encode())
    if body.startswith(b"{") and body[1:].lstrip()[:1] != b"}":
        body = b'{"request": ' + quoted.encode() + b", " + body[1:]
    return body


@functools.lru_cache(maxsize=4)  # the same bomb for every retry and test: building one takes seconds
def gzip_bomb(size: int, head: bytes = b'{"value": [', unit: bytes = b" ", tail: bytes = b"]}") -> bytes:
    """A gzip stream of a JSON document of at most ``size`` bytes: ``head``, ``unit`` repeated (mostly spaces, or
    rows such as ``{},``), ``tail``; about 1/1000 of that on the wire."""
    out = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    parts = [out.compress(head)]
    block = unit * max(1, (1 << 20) // len(unit))
    for _ in range(max(0, size - len(head) - len(tail)) // len(block)):
        parts.append(out.compress(block))
    parts += [out.compress(tail), out.flush()]
    return b"".join(parts)


def _json(payload: Any) -> tuple[int, str, bytes]:
    return 200, "application/json; charset=utf-8", json.dumps(payload, ensure_ascii=False).encode()

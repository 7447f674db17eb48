"""Serve the council reports and the Data Docs over HTTP, so that the links in the Dagster UI open.

Browsers refuse ``file://`` links from an ``http://`` page, so asset metadata links to
``<EA_FILES_URL>/reports/<date>/kernindicatoren.html`` and ``<EA_FILES_URL>/data-docs/index.html``. ``make dev``
starts :func:`serve` beside the Dagster UI on ``127.0.0.1:<EA_FILES_PORT>``; on a server nginx serves the same two
folders under the same paths behind the UI's authentication (docs/deployment.md). Read-only: GET and HEAD of
files inside the two folders, nothing else.
"""

from __future__ import annotations

import html
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

#: URL path prefix -> which folder it serves
REPORTS, DATA_DOCS = "reports", "data-docs"


def link(base_url: str, prefix: str, root: Path, path: Path) -> str:
    """The HTTP URL of ``path`` (a file under ``root``) as served under ``/<prefix>/``."""
    relative = path.resolve().relative_to(root.resolve())
    return f"{base_url.rstrip('/')}/{prefix}/{quote(relative.as_posix())}"


class _Handler(SimpleHTTPRequestHandler):
    roots: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        # the first path segment picks the folder; the rest is resolved inside it as the standard handler does
        # (it drops '..' and empty segments), and anything that still leaves the folder is not found
        clean = path.split("?", 1)[0].split("#", 1)[0]
        prefix, _, rest = clean.lstrip("/").partition("/")
        root = self.roots.get(prefix)
        if root is None:
            return str(Path("/nonexistent-ea-pipelines-path"))
        self.directory = str(root)  # the standard handler resolves inside self.directory
        inner = SimpleHTTPRequestHandler.translate_path(self, "/" + rest)
        target = Path(inner)
        try:
            target.resolve().relative_to(root.resolve())
        except ValueError:
            return str(Path("/nonexistent-ea-pipelines-path"))
        return inner

    def do_GET(self) -> None:  # noqa: N802 - the standard handler's name
        if self.path in ("", "/"):
            self._index()
            return
        super().do_GET()

    def _index(self) -> None:
        body = ("<!doctype html><meta charset='utf-8'><title>ea-pipelines</title><h1>ea-pipelines</h1><ul>"
                + "".join(f"<li><a href='/{p}/'>{html.escape(p)}</a> ({html.escape(str(r))})</li>"
                          for p, r in self.roots.items()) + "</ul>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard handler's signature
        sys.stderr.write(f"ea-pipelines serve: {self.address_string()} {format % args}\n")


def make_server(report_dir: Path, data_docs_dir: Path, host: str = "127.0.0.1",
                port: int = 3001) -> ThreadingHTTPServer:
    """A server for the two folders (created when missing, so that the links work before the first run)."""
    for d in (report_dir, data_docs_dir):
        d.mkdir(parents=True, exist_ok=True)
    roots = {REPORTS: report_dir.resolve(), DATA_DOCS: data_docs_dir.resolve()}
    handler = type("Handler", (_Handler,), {"roots": roots})
    return ThreadingHTTPServer((host, port), partial(handler, directory=str(roots[REPORTS])))


def serve(report_dir: Path, data_docs_dir: Path, host: str = "127.0.0.1", port: int = 3001) -> None:
    server = make_server(report_dir, data_docs_dir, host, port)
    print(f"ea-pipelines serve: reports and Data Docs on http://{host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

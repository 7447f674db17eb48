"""`ea-pipelines serve` (started by `make dev`): the reports and Data Docs over HTTP, at the URLs the asset
metadata links to; nothing outside the two folders."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ea_pipelines.serve import DATA_DOCS, REPORTS, link, make_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    reports, docs = tmp_path / "reports", tmp_path / "docs"
    (reports / "2026-11-30").mkdir(parents=True)
    (reports / "2026-11-30" / "kernindicatoren.html").write_text("<h1>Raadsrapportage</h1>", encoding="utf-8")
    (reports / "2026-11-30" / "kernindicatoren.pdf").write_bytes(b"%PDF-1.4 fake")
    docs.mkdir()
    (docs / "index.html").write_text("<title>Data Docs</title>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the browser")
    server = make_server(reports, docs, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", reports, docs
    finally:
        server.shutdown()
        server.server_close()


def test_the_metadata_links_open(served: tuple[str, Path, Path]) -> None:
    base, reports, docs = served
    html = link(base, REPORTS, reports, reports / "2026-11-30" / "kernindicatoren.html")
    assert html == f"{base}/reports/2026-11-30/kernindicatoren.html"
    got = requests.get(html, timeout=10)
    assert got.status_code == 200 and got.text == "<h1>Raadsrapportage</h1>"
    assert got.headers["Content-Type"].startswith("text/html")
    pdf = requests.get(link(base, REPORTS, reports, reports / "2026-11-30" / "kernindicatoren.pdf"), timeout=10)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    index = requests.get(link(base, DATA_DOCS, docs, docs / "index.html"), timeout=10)
    assert index.status_code == 200 and "Data Docs" in index.text
    assert "reports" in requests.get(base + "/", timeout=10).text


@pytest.mark.parametrize("path", ["/secret.txt", "/reports/../secret.txt", "/reports/%2e%2e/secret.txt",
                                  "/data-docs/../../secret.txt", "/elsewhere/index.html"])
def test_nothing_outside_the_two_folders(served: tuple[str, Path, Path], path: str) -> None:
    base, _, _ = served
    got = requests.get(base + path, timeout=10)
    assert got.status_code == 404 and "not for the browser" not in got.text


def test_only_reading(served: tuple[str, Path, Path]) -> None:
    base, reports, _ = served
    got = requests.post(f"{base}/reports/2026-11-30/kernindicatoren.html", data=b"x", timeout=10)
    assert got.status_code == 501
    assert (reports / "2026-11-30" / "kernindicatoren.html").read_text(encoding="utf-8") == "<h1>Raadsrapportage</h1>"

"""Markup that reaches the report from outside is shown as text, never run (issue 18, item 1).

Markup goes in where it arrives (CBS region titles, a delivery's file name, CBS period statuses, the indicator
texts), then the report is built as usual. The HTML must carry the payloads as text; headless Chromium must
run none of them. A control page with the same payloads inserted raw shows that the browser check can fail.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.report.build import write_report
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.report.hostile import hostile, inject, payloads
from ea_pipelines_tests.report.test_browser import CHROMIUM
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load

NOW = dt.datetime(2026, 11, 27, 3, 0)
#: Hard bound on one Chromium run: a payload that blocks the page (an alert()) must fail the test, not hang it.
BROWSER_TIMEOUT_S = 120


class Text(HTMLParser):
    """All text of a page as a browser shows it (entities decoded), and the tags that were really parsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def build(wh: Warehouse, out: Path) -> tuple[Path, list[str]]:
    load(wh, BASE)
    deliver(wh)
    places = inject(wh)
    build_all(wh, load_project(DEFAULT_SQL_DIR))
    files = write_report(wh.engine, out, now=NOW)
    return files.html, places


def assert_inert(page: str, places: list[str], min_regions: int = 3) -> None:
    parsed = Text()
    parsed.feed(page)
    text = "".join(parsed.text)
    shown = [p for p in places if f"{p} <script>" in text]
    # every place reached the report (regions: those the report compares), as the text partner or CBS wrote
    assert {p for p in places if not p.startswith("region")} <= set(shown)
    assert len([p for p in shown if p.startswith("region")]) >= min_regions
    for place in shown:
        assert hostile(place) in text, place
    assert [t for t, _ in parsed.tags].count("script") == 1  # the report's own chart check, nothing else
    assert not [t for t, _ in parsed.tags if t == "img"]
    assert not [a for _, a in parsed.tags for k in a if k.startswith("on")]
    assert "<script>document" not in page and "<img src=x" not in page


def test_markup_everywhere_is_rendered_as_text(wh: Warehouse, tmp_path: Path) -> None:
    page, places = build(wh, tmp_path)
    assert len(places) >= 18
    assert_inert(page.read_text(encoding="utf-8"), places)
    if shutil.which("pdftotext"):  # the PDF shows the same texts literally (reportlab markup escaped)
        pdf = subprocess.run(["pdftotext", str(page.with_suffix(".pdf")), "-"], capture_output=True, text=True,
                             check=True).stdout
        flat = re.sub(r"\s+", " ", pdf)
        for place in ("qtitle", "file", "indname"):
            assert f"{place} <script>document.documentElement.setAttribute('data-pwned-{place}','1')" \
                   f"</script>" in flat, place


def test_the_text_check_can_fail() -> None:
    raw = f"<html><body><p>{hostile('x')}</p><script>1</script></body></html>"
    with pytest.raises(AssertionError):
        assert_inert(raw, ["x"], min_regions=0)
    assert_inert(f"<html><body><p>{htmllib.escape(hostile('x'))}</p><script>1</script></body></html>", ["x"],
                 min_regions=0)


def dump_dom(page: Path) -> str:
    try:
        out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                              "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True,
                             timeout=BROWSER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not finish within {BROWSER_TIMEOUT_S} s: a payload may block the page")
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def executed(dom: str) -> list[str]:
    """The places whose payload ran: each would have marked the document element."""
    root = re.search(r"<html[^>]*>", dom)
    assert root, dom[:500]
    return re.findall(r"data-pwned-(\w+)", root.group(0))


@pytest.mark.skipif(CHROMIUM is None or shutil.which(CHROMIUM or "") is None,
                    reason="Chromium not installed: apt-get install chromium (.ci/run does this)")
def test_chromium_runs_no_injected_script(tmp_path: Path) -> None:
    wh = Warehouse(f"duckdb:///{tmp_path}/ea.duckdb")
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(wh, load_catalogues(Settings()))
    page, places = build(wh, tmp_path / "reports")
    wh.dispose()

    control = tmp_path / "control.html"  # the same payloads, not escaped: the browser does run these
    control.write_text("<!DOCTYPE html><html><body>" + "".join(p for pl in places for p in payloads(pl)[:2])
                       + "</body></html>", encoding="utf-8")
    assert set(executed(dump_dom(control))) >= set(places)

    dom = dump_dom(page)
    assert executed(dom) == []
    assert 'data-rendered="true"' in dom  # the report's own script did run

"""Headless Chromium opens the report and every chart in it is laid out and drawn.

The report marks each ``figure.chart`` with ``data-rendered`` from the browser's own layout (a non-empty
bounding box and drawn paths); Chromium's ``--dump-dom`` returns the DOM after that script ran.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
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
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load

CHROMIUM = os.environ.get("EA_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium chromium-driver (.ci/run does this)")
FIGURE = re.compile(r'<figure class="chart" data-indicator="([^"]+)"(?: data-rendered="(\w+)")?')


def rendered(html: Path) -> dict[str, str | None]:
    """Indicator code -> the data-rendered value Chromium left on its chart."""
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--dump-dom", html.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return {code: state for code, state in FIGURE.findall(out.stdout)}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("browser")
    wh = Warehouse(f"duckdb:///{tmp}/ea.duckdb")
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(wh, load_catalogues(Settings()))
    load(wh, BASE)
    deliver(wh)
    build_all(wh, load_project(DEFAULT_SQL_DIR))
    files = write_report(wh.engine, tmp / "reports", now=dt.datetime(2026, 11, 27))
    wh.dispose()
    return files


def test_chromium_renders_every_chart(report) -> None:
    states = rendered(report.html)
    assert len(report.charts) >= 8
    assert states == {code: "true" for code in report.charts}


def test_a_chart_that_cannot_render_is_caught(report, tmp_path: Path) -> None:
    """The check can fail: a chart whose SVG is empty is marked as not rendered."""
    victim = report.charts[0]
    html = report.html.read_text(encoding="utf-8")
    start = html.index(f'data-indicator="{victim}"')
    svg_start = html.index("<svg", start)
    svg_end = html.index("</svg>", svg_start) + len("</svg>")
    broken = tmp_path / "broken.html"
    broken.write_text(html[:svg_start] + "<svg></svg>" + html[svg_end:], encoding="utf-8")
    states = rendered(broken)
    assert states[victim] == "false"
    assert all(state == "true" for code, state in states.items() if code != victim)

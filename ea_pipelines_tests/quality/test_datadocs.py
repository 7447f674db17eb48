"""Data Docs are safe to open: markup in a value is shown as text, the pages work offline with no outside
request, and a Content-Security-Policy lets no injected script run."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.quality.datadocs import MARKER, neutralise, offline_page
from ea_pipelines.quality.gx_runner import run_suite
from ea_pipelines.quality.suites import delivery_suite, load_checks
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE

CHROMIUM = os.environ.get("EA_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
#: hosts Chromium itself calls at start-up (updates, accounts); anything else would come from a page
CHROMIUM_OWN = re.compile(r"^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com)(:\d+)?/")
PAYLOADS = ['<img src=x onerror="document.title=\'pwned\'">', "<script>document.title='pwned'</script>",
            "GM0141\"><svg onload=document.title='pwned'>", "' onmouseover='document.title=1", "R&D <b>vet</b>"]


def test_markup_characters_become_look_alikes_and_nothing_else_changes() -> None:
    frame = pd.DataFrame({"code": ["GM0141", *PAYLOADS, None], "n": range(len(PAYLOADS) + 2)})
    out = neutralise(frame)
    assert out["code"].tolist() == ["GM0141", "＜img src=x onerror=＂document.title=＇pwned＇＂＞",
                                    "＜script＞document.title=＇pwned＇＜/script＞",
                                    "GM0141＂＞＜svg onload=document.title=＇pwned＇＞",
                                    "＇ onmouseover=＇document.title=1", "R＆D ＜b＞vet＜/b＞", out["code"][6]]
    assert pd.isna(out["code"][6])
    assert out["n"].tolist() == frame["n"].tolist() and frame["code"][1] == PAYLOADS[0]  # the input is untouched
    clean = pd.DataFrame({"code": ["GM0141", "GM0153"]})
    assert neutralise(clean) is clean  # nothing to do: no copy


def test_a_page_loses_every_remote_asset_and_gets_a_policy() -> None:
    page = ('<html><head><script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
            '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
            '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script></head><body>'
            '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">'
            "<script>init()</script></body></html>")
    out = offline_page(page, "../ea-static")
    assert not re.search(r'(src|href)="https?://', out)
    assert '<script src="../ea-static/jquery-3.7.1.min.js"></script>' in out
    assert '<link rel="stylesheet" href="../ea-static/bootstrap-4.3.1.min.css">' in out
    assert "vega" not in out and "<img" not in out and MARKER in out
    # the only inline script, by its hash (printf 'init()' | openssl dgst -sha256 -binary | base64)
    assert ("script-src 'self' 'sha256-w4ujnOpjBoH2vcasx+reJRUwYivG8Q3afx/XevGJod8='; style-src 'self' 'unsafe-inline'"
            in out)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real validation through GX of a delivery whose region codes carry markup (blocked by regions_known)."""
    out = tmp_path_factory.mktemp("datadocs")
    dtype = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE).get("twents_fonds_vouchers")
    rows = pd.DataFrame({c.name: [c.example] * len(PAYLOADS) for c in dtype.columns})
    rows["municipality_code"] = PAYLOADS
    suite = delivery_suite(dtype, rows, checks=load_checks(), known_regions={"GM0141"}, today=dt.date(2026, 11, 30))
    outcomes = {o.check: o for o in run_suite(suite, out)}
    assert not outcomes["regions_known"].passed and outcomes["regions_known"].unexpected == len(PAYLOADS)
    return out


def test_every_page_is_rewritten_and_shows_the_values_as_text(docs: Path) -> None:
    pages = list(docs.rglob("*.html"))
    assert len(pages) >= 3 and all(MARKER in p.read_text() for p in pages)
    validation = next(p for p in pages if "validations" in p.parts).read_text()
    assert "＜img src=x onerror=＂document.title=＇pwned＇＂＞" in validation
    assert "<img src=x" not in validation and "<svg" not in validation and "<script>document" not in validation


def open_in_chromium(page: Path, tmp: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and every http(s) URL the browser asked for."""
    if CHROMIUM is None:
        pytest.skip("Chromium not installed: apt-get install chromium (.ci/run does this)")
    netlog = tmp / f"net-{page.stem}.json"
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--disable-background-networking", "--disable-component-update", "--no-first-run",
                          f"--user-data-dir={tmp / 'profile'}", f"--log-net-log={netlog}",
                          "--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=60)  # a payload cannot hang the test
    assert out.returncode == 0, out.stderr[-2000:]
    urls = sorted(set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text()))) if netlog.exists() else []
    return out.stdout, [u for u in urls if not CHROMIUM_OWN.match(u)]


def test_chromium_opens_the_docs_offline_and_runs_no_injected_script(docs: Path, tmp_path: Path) -> None:
    index, index_requests = open_in_chromium(docs / "index.html", tmp_path)
    assert index_requests == []
    # the list of validations is built by the vendored jQuery and bootstrap-table
    assert re.search(r'<tr [^>]*data-href="validations/[^"]+\.html" data-index="0"', index)
    validation_page = next(p for p in docs.rglob("*.html") if "validations" in p.parts)
    dom, requests = open_in_chromium(validation_page, tmp_path)
    assert requests == []
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "pwned" not in title and title.strip()
    assert "＜img src=x onerror" in dom and json.dumps("pwned") not in title

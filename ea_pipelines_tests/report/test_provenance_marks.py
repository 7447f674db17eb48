"""The report never passes off an invented figure: with synthetic and illustrative figures, page one of the HTML
and the PDF says so and counts them, and every such figure, summary row and chart is marked; with real data only,
none of this appears. On DuckDB and PostgreSQL; the PDF read back with pdftotext, the HTML also as Chromium
prints it."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ea_pipelines.provenance import weakest
from ea_pipelines.report.build import ReportFiles, write_report
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, deliver, load
from ea_pipelines_tests.sqlmodels.test_marts import MODELS, failed_tests

NOW = dt.datetime(2026, 11, 27, 3, 0)
PDFTOTEXT = shutil.which("pdftotext")
CHROMIUM = os.environ.get("EA_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext not installed: apt-get install poppler-utils (.ci/run does this)")

# Hand-written for BASE with every 70072ned load synthetic and the deliveries illustrative: bijstand (a ratio of a
# synthetic count and a real population), vestigingen and banen come from 70072ned; MKB ranking, tevredenheid and
# the spanningsindicator are delivered. Bevolking, werkzame and werkloze beroepsbevolking and participation are real.
INVENTED = {"bijstand_per_10000": "synthetic", "vestigingen_per_1000": "synthetic", "banen": "synthetic",
            "mkb_ranking_positie": "illustrative", "tevredenheid_dienstverlening": "illustrative",
            "spanningsindicator": "illustrative"}
REAL_WITH_DATA = {"bevolking", "werkzame_beroepsbevolking", "werkloze_beroepsbevolking", "netto_arbeidsparticipatie"}
INVENTED_KERN = {"bijstand_per_10000", "mkb_ranking_positie", "tevredenheid_dienstverlening", "spanningsindicator"}
BANNER = ("Let op: dit rapport bevat voorbeeldcijfers, geen echte cijfers. Bij 6 van de 17 indicatoren zijn de "
          "getoonde cijfers geheel of gedeeltelijk verzonnen: 3 met synthetische cijfers (verzonnen cijfers in het "
          "formaat van het CBS, geen cijfers van het CBS) en 3 met een illustratief voorbeeld (voorbeeldlevering van "
          "het project, geen gegevens van een partner). In de samenvatting hieronder gaat het om 4 van de 11 "
          "kernindicatoren.")
#: words that must not appear anywhere in a report built from real data only
INVENTED_WORDS = ("voorbeeldcijfer", "VOORBEELDCIJFERS", "synthetisch", "illustratief", "niet beoordeeld")


def build(wh: Warehouse, tmp_path: Path, mixed: bool) -> ReportFiles:
    if mixed:
        rows = [dict(o, load_id="S" if o["table_id"] == "70072ned" else "R") for o in BASE]
        load(wh, rows, provenance_by_load={"S": "synthetic", "R": "cbs_live"})
        deliver(wh, provenance="illustrative")
    else:
        rows = [dict(o, load_id="C" if o["table_id"] == "03759ned" else "R") for o in BASE]
        load(wh, rows, provenance_by_load={"C": "cbs_capture", "R": "cbs_live"})
        deliver(wh, provenance="partner")
    assert failed_tests(build_all(wh, MODELS)) == {}
    return write_report(wh.engine, tmp_path / "reports", now=NOW)


def articles(html: str) -> dict[str, str]:
    """Indicator code -> the HTML of its article."""
    parts = re.split(r'(?=<article class="indicator")', html)[1:]
    return {re.search(r'id="([^"]+)"', p).group(1): p.split("</article>")[0] for p in parts}


def summary_rows(html: str) -> dict[str, str]:
    table = html[html.index('<table class="summary">'):html.index("</table>")]
    return {re.search(r'href="#([^"]+)"', r).group(1): r for r in re.findall(r"<tr[ >].*?</tr>", table, re.S)[1:]}


def text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    out = subprocess.run([PDFTOTEXT, *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_mixed_provenance_html_has_the_banner_and_every_mark(wh: Warehouse, tmp_path: Path) -> None:
    files = build(wh, tmp_path, mixed=True)
    html = files.html.read_text(encoding="utf-8")
    page_one = html[:html.index("</section>")]
    banner = re.search(r'<p class="banner-voorbeeldcijfers"[^>]*>(.*?)</p>', page_one, re.S).group(1)
    assert " ".join(banner.split()).startswith(BANNER.replace("'", "&#39;"))
    assert "bij 1 behaald en bij 0 niet behaald; bij 3 rust de vergelijking met de streefwaarde op " \
           "voorbeeldcijfers en wordt die niet beoordeeld" in page_one

    rows = summary_rows(html)
    assert len(rows) == 11
    for code, row in rows.items():
        marked = 'class="voorbeeldcijfer"' in row
        assert marked == (code in INVENTED_KERN), code
        assert ('<span class="mark">voorbeeldcijfer</span>' in row) == marked, code
    assert "(synthetisch)" in rows["bijstand_per_10000"] and "(illustratief voorbeeld)" in rows["mkb_ranking_positie"]
    # rank 8 meets "at most 10", 6.9 misses ">= 7", 50 < 56 meets "falling": none of it is a judgement here
    for code in ("mkb_ranking_positie", "tevredenheid_dienstverlening", "bijstand_per_10000"):
        assert "niet beoordeeld (voorbeeldcijfer)" in rows[code] and ">behaald<" not in rows[code]
    assert ">behaald<" in rows["werkzame_beroepsbevolking"]  # real figures are still judged

    arts = articles(html)
    for code, provenance in INVENTED.items():
        art = arts[code]
        assert f'data-provenance="{provenance}"' in art, code
        word = {"synthetic": "synthetisch", "illustrative": "illustratief voorbeeld"}[provenance]
        assert "<h3>" in art and f'<span class="mark">voorbeeldcijfer ({word})</span></h3>' in art, code
        assert f"– {word}:" in art, code  # the source line
        assert "VOORBEELDCIJFERS" in art, code  # the chart's watermark, as SVG text
        assert "De grafiek toont voorbeeldcijfers" in art, code
    for code in REAL_WITH_DATA:
        assert not any(w in arts[code] for w in INVENTED_WORDS), code
        assert "<svg" in arts[code], code
    bijstand = arts["bijstand_per_10000"]
    # the heading; latest, previous and Nederland, all from the synthetic 70072ned; the chart's caption
    assert bijstand.count('<span class="mark">voorbeeldcijfer (synthetisch)</span>') == 1 + 3 + 1
    assert 'data-status="niet beoordeeld"' in bijstand


@needs_pdftotext
def test_mixed_provenance_pdf_says_so_on_page_one_and_marks_each_figure(wh: Warehouse, tmp_path: Path) -> None:
    files = build(wh, tmp_path, mixed=True)
    page_one = text(files.pdf, 1, 1)
    assert BANNER in page_one
    assert page_one.count("voorbeeldcijfer") >= len(INVENTED_KERN)
    assert page_one.count("niet beoordeeld (voorbeeldcijfer)") == 3
    assert "70072ned / 03759ned (synthetisch)" in page_one and "m.csv (illustratief voorbeeld)" in page_one
    rest = text(files.pdf, 2)
    everything = text(files.pdf)
    not_judged = [weakest(s.provenance, s.previous_provenance, s.status_provenance) for s in files.content.not_judged]
    assert sorted(s.code for s in files.content.not_judged) == sorted(INVENTED_KERN)
    for cls, word in (("synthetic", "[voorbeeldcijfer (synthetisch)]"),
                      ("illustrative", "[voorbeeldcijfer (illustratief voorbeeld)]")):
        # each invented section's heading and chart caption, and its line under Afwijkingen (kern only)
        n = sum(c == cls for c in INVENTED.values())
        assert everything.count(word) == 2 * n + not_judged.count(cls), word
    assert rest.count("synthetisch: verzonnen cijfers in het formaat van het CBS") == 3


@needs_pdftotext
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed: apt-get install chromium (.ci/run does this)")
def test_chromium_prints_the_banner_on_page_one(wh: Warehouse, tmp_path: Path) -> None:
    """What a reader sees: the HTML as the browser lays it out and prints it."""
    files = build(wh, tmp_path, mixed=True)
    printed = tmp_path / "printed.pdf"
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--no-pdf-header-footer", f"--print-to-pdf={printed}", files.html.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and printed.exists(), out.stderr[-2000:]
    page_one = text(printed, 1, 1)
    assert BANNER in page_one
    assert "niet beoordeeld (voorbeeldcijfer)" in page_one
    # the browser's own DOM: every chart laid out and drawn, the watermark exactly in the invented ones
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--dump-dom", files.html.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    figures = re.findall(r'<figure class="chart" data-indicator="([^"]+)" data-rendered="(\w+)">(.*?)</figure>',
                         dom.stdout, re.S)
    assert {code for code, _, _ in figures} == set(INVENTED) | REAL_WITH_DATA
    assert {code: state for code, state, _ in figures} == {code: "true" for code, _, _ in figures}
    assert {code for code, _, body in figures if ">VOORBEELDCIJFERS</text>" in body} == set(INVENTED)


def test_real_data_only_shows_none_of_it(wh: Warehouse, tmp_path: Path) -> None:
    files = build(wh, tmp_path, mixed=False)
    html = files.html.read_text(encoding="utf-8")
    body = html[html.index("<body>"):]  # the style sheet names the marks' classes
    assert "banner-voorbeeldcijfers" not in body
    assert [w for w in INVENTED_WORDS if w in body] == []
    rows = summary_rows(html)
    assert ">behaald<" in rows["mkb_ranking_positie"] and ">niet behaald<" in rows["tevredenheid_dienstverlening"]
    if PDFTOTEXT:
        pdf = text(files.pdf)
        assert [w for w in INVENTED_WORDS if w in pdf] == []

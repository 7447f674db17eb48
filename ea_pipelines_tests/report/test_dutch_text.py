"""The report reads as Dutch a municipal council expects, in the HTML and in the PDF (``pdftotext``): Dutch
headings, targets in words, correct compounds, singular and plural, the capture's own date, an image that was
not delivered said so, and no heading left alone at the bottom of a PDF page."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import SimpleDocTemplate, Spacer

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.devtools.build_examples import EFFORTS
from ea_pipelines.report import pdf
from ea_pipelines.report.build import write_report
from ea_pipelines.report.content import read_content
from ea_pipelines.report.formatting import counted
from ea_pipelines.report.html import summary_sentence
from ea_pipelines.report.moments import moment
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse, bulk_insert
from ea_pipelines_tests.sqlmodels.known_inputs import BASE, T0, deliver, load

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="poppler-utils not installed: apt-get install poppler-utils (.ci/run does this)")
NOW = dt.datetime(2026, 11, 27, 3, 0)
CAPTURED = dt.datetime(2026, 7, 2)  # the capture's own date; the load (the replay) finished at T0
MOMENTS = [moment("voorjaarsrapportage", 2026), moment("najaarsrapportage", 2026), moment("jaarverantwoording", 2025)]
#: English words that must not head anything in a Dutch report
ENGLISH = re.compile(r"\b(Highlights?|Summary|Results?|Deviations?|Targets?|Charts?|Sources?|Status of|Contributions?|"
                     r"Efforts?|Goals?|Indicators?|Overview|Trend|Notes?)\b")
PERIOD = {"K1": "KW01", "K2": "KW02", "K3": "KW03", "K4": "KW04"}


def _period(code: str) -> str:
    year, quarter = code.split("-")
    return f"{year}{PERIOD[quarter]}"


def _programme(wh: Warehouse) -> None:
    """The example efforts (the plan's names, as the bundled example file has them) and two contributions."""
    rows = [{"goal_nr": goal, "effort": name.format(m="Almelo"), "status": status, "period": _period(period),
             "explanation": text.format(m="Almelo"), "result_count": count, "result_unit": unit, "load_id": "P1",
             "source_file": "voorbeeld_inzet.xlsx", "source_row": 2}
            for goal, name, stands in EFFORTS for period, status, text, count, unit in stands]
    with wh.engine.begin() as conn:
        bulk_insert(conn, "staging.programme_efforts", pd.DataFrame(rows).astype({"result_count": "Int64"}))
        bulk_insert(conn, "staging.qualitative_contributions", pd.DataFrame([
            {"goal_nr": 2, "title": "Bijeenkomst", "body": "Een fragment.", "author": "Redactie",
             "contribution_date": day, "image": image, "load_id": "Q1", "source_file": "bijdragen.csv",
             "source_row": 2}
            for day, image in ((dt.date(2026, 3, 12), "foto_bijeenkomst.jpg"), (dt.date(2026, 9, 3), None),
                               (dt.date(2025, 10, 14), "foto_2025.jpg"))]))
        for load_id, dtype in (("P1", "programme_efforts"), ("Q1", "qualitative_contributions")):
            conn.execute(sa.text("INSERT INTO meta.delivery_log (load_id, delivery_type, file_name, sha256, bytes, "
                                 "received_at, status, provenance) VALUES (:l, :d, 'f', 'h', 1, :t, 'accepted', "
                                 "'partner')"), {"l": load_id, "d": dtype, "t": T0})
        conn.execute(sa.text("UPDATE meta.load_log SET captured_at = :c"), {"c": CAPTURED})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path]:
    tmp = tmp_path_factory.mktemp("dutch")
    wh = Warehouse(f"duckdb:///{tmp}/ea.duckdb")
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(wh, load_catalogues(Settings()))
    load(wh, BASE)
    deliver(wh)
    _programme(wh)
    assert all(t.passed for r in build_all(wh, load_project(DEFAULT_SQL_DIR)).values() for t in r)
    yield wh, tmp
    wh.dispose()


class Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("h1", "h2", "h3", "th", "dt", "figcaption"):
            self._in, self.headings = tag, [*self.headings, ""]
        self._skip = tag in ("script", "style", "svg")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None
        if tag in ("script", "style", "svg"):
            self._skip = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._in:
            self.headings[-1] += data


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def rendered(built: tuple[Warehouse, Path]) -> dict[str, tuple[Headings, str]]:
    wh, tmp = built
    out = {}
    for m in MOMENTS:
        files = write_report(wh.engine, tmp / m.kind, now=NOW, moment=m)
        parsed = Headings()
        parsed.feed(files.html.read_text(encoding="utf-8"))
        out[m.kind] = (parsed, _pdf_text(files.pdf))
    return out


def test_headings_are_dutch_in_html_and_pdf(rendered: dict[str, tuple[Headings, str]]) -> None:
    for kind, (page, pdf_text) in rendered.items():
        assert page.headings, kind
        english = [h for h in page.headings if ENGLISH.search(h)]
        assert english == [], (kind, english)
        assert "Hoogtepunten sinds" in " ".join(page.headings)
        pdf_english = [line for line in pdf_text.splitlines() if ENGLISH.search(line)]
        assert pdf_english == [], (kind, pdf_english)
        assert "Hoogtepunten sinds" in pdf_text


def test_targets_are_words_and_texts_are_correct_dutch(rendered: dict[str, tuple[Headings, str]]) -> None:
    for kind, (page, pdf_text) in rendered.items():
        flat = {"HTML": html.unescape(" ".join(" ".join(page.text).split())), "PDF": " ".join(pdf_text.split())}
        for where, text in flat.items():
            for symbol in ("<=", ">=", "≤", "≥", "positie <"):
                assert symbol not in text, (kind, where, symbol)
            for wrong in ("top technologische", "door ontwikkelen", "BIZ vorming", "1 kwalitatieve bijdragen",
                          "1 hebben", "marketing en communicatieplan", "IKBINDR zakelijk label",
                          "(lager is beter)"):
                assert wrong not in text, (kind, where, wrong)
            for right in ("toptechnologische regio", "hoogstens 10", "minimaal 7,0", "zakelijke IKBINDR-label"):
                assert right in text, (kind, where, right)
            # the example efforts are of 2026: a moment shows the statuses of its own window (K1 by 30 April, K2
            # by 31 August), so these compounds are read where their efforts appear
            if kind == "najaarsrapportage":
                for right in ("Aanjagen samenwerking/BIZ-vorming", "Het doorontwikkelen van het Twents Fonds"):
                    assert right in text, (kind, where, right)
            if kind == "voorjaarsrapportage":
                assert "marketing- en communicatieplan" in text, (kind, where)
            # the capture's own date (2 July 2026), and when it was read in (the load, 1 March 2026)
            assert "opgehaald op 02-07-2026 (ingelezen op 01-03-2026)" in text, (kind, where)


def test_an_image_that_was_not_delivered_says_so(rendered: dict[str, tuple[Headings, str]]) -> None:
    expected = {"voorjaarsrapportage": ["foto_bijeenkomst.jpg"], "najaarsrapportage": [],
                "jaarverantwoording": ["foto_2025.jpg"]}
    for kind, (page, pdf_text) in rendered.items():
        text = " ".join(" ".join(page.text).split())
        assert re.findall(r"afbeelding niet meegeleverd \(([^)]+)\)", text) == expected[kind], kind
        assert re.findall(r"afbeelding niet meegeleverd \(([^)]+)\)", " ".join(pdf_text.split())) == expected[kind]
        assert "afbeelding: " not in text


def test_counts_take_singular_or_plural() -> None:
    assert [counted(n, "kwalitatieve bijdrage", "kwalitatieve bijdragen") for n in (0, 1, 2)] == [
        "0 kwalitatieve bijdragen", "1 kwalitatieve bijdrage", "2 kwalitatieve bijdragen"]


def test_the_summary_sentence_agrees_with_its_counts(built: tuple[Warehouse, Path]) -> None:
    content = read_content(built[0].engine, now=NOW, moment=MOMENTS[1])
    for no_data in range(0, 4):  # vary how many kernindicatoren have no figure
        for s in content.kern[:no_data]:
            s.status = "geen data"
        sentence = summary_sentence(content)
        n = sum(s.status == "geen data" for s in content.kern)
        assert f"{n} {'heeft' if n == 1 else 'hebben'} nog geen cijfers" in sentence


#: pdftotext -bbox word height at or above which a word is set in a heading style (Heading2 14 pt reads
#: about 13.0, Heading3 12 pt about 11.1); body text (9.5 pt) about 8.8, table text (8 pt) 7.4
HEADING_HEIGHT = 10.5
WORD = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')
PAGE = re.compile(r"<page .*?</page>", re.S)


def _last_lines(pdf_bytes: bytes, tmp: Path) -> list[tuple[float, str]]:
    """(height, text) of the lowest line of text on each page, the page number left out."""
    path = tmp / "layout.pdf"
    path.write_bytes(pdf_bytes)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    last = []
    for page in PAGE.findall(out):
        words = [(float(a), float(b), t) for a, b, t in WORD.findall(page)]
        words = [w for w in words if not re.fullmatch(r"pagina|\d+", w[2])]
        if words:
            bottom = max(w[0] for w in words)
            line = [w for w in words if abs(w[0] - bottom) < 2]
            last.append((max(w[1] - w[0] for w in line), " ".join(w[2] for w in line)))
    return last


def test_no_heading_ends_a_pdf_page(built: tuple[Warehouse, Path], tmp_path: Path) -> None:
    """The moment's sections and a goal's inzet and contributions, pushed down the page by every amount of
    preceding text in 0.5 cm steps: in none of the layouts is a page's last line a heading."""
    content = read_content(built[0].engine, now=NOW, moment=MOMENTS[0])
    goal = next(g for g in content.goals if g.efforts and g.contributions)
    orphans, headings_seen = [], 0
    for step in range(0, 52):
        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                                bottomMargin=1.5 * cm)
        doc.build([Spacer(1, step * 0.5 * cm), *pdf._moment(content), *pdf._goal_extras(goal)])
        lines = _last_lines(buf.getvalue(), tmp_path)
        headings_seen += len(lines)
        orphans += [(step, text) for height, text in lines[:-1] if height >= HEADING_HEIGHT]
    assert headings_seen > 52  # the layouts did span pages
    assert orphans == []


def test_a_followed_indicator_is_never_judged_by_direction(built: tuple[Warehouse, Path]) -> None:
    """The spanningsindicator's target is "volgen": a rise is no deviation, whatever higher_is_better says;
    a ranking with a target (hoogstens 10) that gets worse still is one."""
    from ea_pipelines.report.moment_content import read_deviations

    content = read_content(built[0].engine, now=NOW, moment=MOMENTS[1])
    by_code = {s.code: s for s in content.kern}
    for code, before, now in (("spanningsindicator", 1.2, 1.5), ("spanningsindicator", 1.5, 1.2),
                              ("mkb_ranking_positie", 7.0, 9.0)):
        s = by_code[code]
        s.previous_value, s.latest_value, s.previous_period, s.status = before, now, "2023", "geen streefwaarde"
        reasons = [r for d in read_deviations([s], MOMENTS[1]) for r in d.reasons if "verkeerde kant" in r]
        assert bool(reasons) == (code == "mkb_ranking_positie"), (code, before, now, reasons)

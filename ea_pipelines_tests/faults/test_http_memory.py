"""Hostile answers that stay under the response bound but would cost many times their size parsed whole, and code
lists that never end: each load ends with an error naming the table, page or setting, and the loading process's
peak resident memory (``VmHWM`` of a child process: see ``child.peak_rss_kb``) stays under 1 GB at the default settings
(EA_HTTP_MAX_RESPONSE_MB 256, EA_HTTP_MAX_CODES 100000).

Before the bounded parse, a 60 MB ``{"value":[{},{},…]}`` took 2.17 GB (CBS) and 2.16 GB (Swing); at 256 MB about
8.5 GB. Swing ``GeoItems`` pages of 5 MB behind an endless ``nextLink`` took 1.52 GB at 40 pages, 2.79 GB at 80.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.cbs.jsonpage import MAX_STRETCH_BYTES
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable, Fault, gzip_bomb
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.settings import DEFAULT_HTTP_MAX_CODES, DEFAULT_HTTP_MAX_RESPONSE_BYTES, DEFAULT_SWING_CATALOGUE
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.faults.harness import start

MB = 2**20
GB = 2**30
#: just under the default response bound, so that only the parse can run away
HOSTILE = DEFAULT_HTTP_MAX_RESPONSE_BYTES - MB
SWING = load_swing_catalogue(DEFAULT_SWING_CATALOGUE).variable("groenblauw_waardering")
PERIODS = ("2021", "2022", "2023")


@dataclass(frozen=True)
class Hostile:
    """A gzip answer that expands to ``HOSTILE`` bytes: ``head``, ``unit`` repeated, ``tail``."""

    name: str
    head: bytes
    unit: bytes
    tail: bytes
    error: str  # a pattern of the error the load ends with (its last line of stderr)


V4_ROW = b'{"Measure":"M000308_3","Value":1.0,"RegioS":"GM0141","Perioden":"2013JJ00"}'
CBS_CASES = [
    Hostile("empty objects", b'{"value":[', b"{},", b"{}]}",
            r"CbsBadResponse: 70072ned: the response to Observations\?\S+ is not shaped as CBS documents it "
            r"\(ValueError: row 1 lacks Measure, RegioS, Perioden: \{\}\); nothing was loaded"),
    Hostile("numbers, not objects", b'{"value":[', b"0,", b"0]}",
            r"CbsBadResponse: 70072ned: the response to Observations\?\S+ is not shaped as CBS documents it "
            r"\(ValueError: row 1 is not an object: (0,){20}…\); nothing was loaded"),
    Hostile("one row holding a list of millions", b'{"value":[{"Measure":"M000308_3","Value":[', b"[],", b"[]]}]}",
            r"CbsBadResponse: 70072ned: the response to Observations\?\S+ is not shaped as CBS documents it "
            rf"\(ValueError: rows 1 on: no row boundary within {MAX_STRETCH_BYTES // MB} MB of the answer "
            r"\(rows are a few hundred bytes\)\); nothing was loaded"),
    Hostile("millions of well-formed rows", b'{"value":[', V4_ROW + b",", V4_ROW + b"]}",
            r"CbsIncompleteLoad: 70072ned: the API announced \d+ rows for the filter but page 1 brings the total "
            r"to \d+; refusing the load"),
]


def run_child(tmp_path: Path, **args: object) -> tuple[str, int]:
    """(the last line of the child's stderr, its peak resident memory in bytes); the child must fail."""
    url = f"duckdb:///{tmp_path}/ea.duckdb"
    wh = Warehouse(url)
    wh.ensure_schema()
    wh.dispose()
    rss = tmp_path / "maxrss"
    child = start(tmp_path, url, action="load", mode="live", landing_dir=str(tmp_path / "landing"),
                  batch_id="hostile", force=True, rss_file=str(rss), **args)
    rc, _, err = child.finish(timeout=300)
    assert rc != 0, "the hostile load was not refused"
    error = re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", err.strip().splitlines()[-1])  # the exception's own name
    peak = int(rss.read_text()) * 1024
    print(f"peak RSS {peak / MB:.0f} MB: {error[:100]}")  # shown with -s: the figure behind the bound
    return error, peak


@pytest.mark.parametrize("case", CBS_CASES, ids=lambda c: c.name)
def test_a_cbs_page_that_would_explode_when_parsed_is_refused_in_bounded_memory(
        case: Hostile, fake_tables: list[FakeTable], tmp_path: Path) -> None:
    gzip_bomb(HOSTILE, case.head, case.unit, case.tail)  # built (seconds) before the child's request waits for it
    with FakeCbsServer([t for t in fake_tables if t.table_id == "70072ned"]) as server:
        server.inject(r"/70072ned/Observations$", Fault("gzip_bomb", size=HOSTILE, fill=(case.head, case.unit,
                                                                                          case.tail)))
        error, peak = run_child(tmp_path, table="regionale_kerncijfers", v4_url=server.v4_url,
                                v3_url=server.v3_url)
    assert re.fullmatch(case.error, error), error
    assert peak < GB, f"peak RSS {peak / MB:.0f} MB for a {HOSTILE / MB:.0f} MB answer of {case.name}"


def swing_server() -> FakeSwingServer:
    values = {(c, p): "6.5" for c, _ in TWENTE for p in PERIODS}
    return FakeSwingServer([FakeVariable(SWING.variable, SWING.title, values)], periods=PERIODS)


def test_a_swing_value_page_of_empty_objects_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    fill = (b'{"value":[', b"{},", b"{}]}")
    gzip_bomb(HOSTILE, *fill)  # built (seconds) before the child's request waits for it
    with swing_server() as ods:
        ods.inject(r"/Values$", Fault("gzip_bomb", size=HOSTILE, fill=fill))
        error, peak = run_child(tmp_path, source="swing", table=SWING.name, ods_url=ods.ods_url)
    assert re.fullmatch(rf"CbsBadResponse: {SWING.variable}: the response to \S+/Values is not shaped as CBS "
                        r"documents it \(ValueError: row 1 lacks ExternalCode, GeoLevel, PeriodLevel, Period, "
                        r"ValueString: \{\}\); nothing was loaded", error), error
    assert peak < GB, f"peak RSS {peak / MB:.0f} MB"


def endless_geo_items(ods: FakeSwingServer, row: Callable[[int], dict], per_page: int) -> None:
    """Every GeoItems page holds ``per_page`` rows and links to one more page, for ever."""
    def page(path: str, params: dict[str, str], body: bytes) -> bytes:
        skip = int(params.get("$skip", "0"))
        rows = b",".join(json.dumps(row(skip + i)).encode() for i in range(per_page))
        link = f"{ods.ods_url}/GeoLevels('gemeente')/GeoItems?$skip={skip + per_page}"
        return b'{"value":[' + rows + b'],"@odata.nextLink":' + json.dumps(link).encode() + b"}"

    ods.tamper(r"/GeoItems$", page)


@pytest.mark.parametrize(("per_page", "name_length", "setting"), [
    (125_000, 4, f"has more than {DEFAULT_HTTP_MAX_CODES} codes \\(EA_HTTP_MAX_CODES\\)"),  # ~5 MB pages of short codes
    (1_250, 4_000, f"is larger than {DEFAULT_HTTP_MAX_RESPONSE_BYTES // MB} MB over its pages "
                   r"\(EA_HTTP_MAX_RESPONSE_MB\)"),  # ~5 MB pages of long names: ~50 pages
], ids=["many codes", "many bytes"])
def test_swing_geo_items_that_never_end_are_refused_in_bounded_memory(
        per_page: int, name_length: int, setting: str, tmp_path: Path) -> None:
    with swing_server() as ods:
        endless_geo_items(ods, lambda i: {"ExternalCode": str(i % 10_000), "Name": "x" * name_length}, per_page)
        error, peak = run_child(tmp_path, source="swing", table=SWING.name, ods_url=ods.ods_url)
        pages = sum("/GeoItems" in r for r in ods.requests)
    assert re.fullmatch(rf"CbsBadResponse: {SWING.variable}: the code list GeoLevels\('gemeente'\)/GeoItems "
                        rf"{setting}; refusing the load", error), error
    assert peak < GB, f"peak RSS {peak / MB:.0f} MB after {pages} GeoItems pages"

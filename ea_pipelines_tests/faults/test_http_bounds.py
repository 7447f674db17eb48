"""Hostile CBS servers end in a clear error within the configured bounds, with the previous version kept:
a compression bomb, an oversized page, a server that trickles, a nextLink that never ends, and pages that each
come in time but together take too long (CBS and Swing). Memory per hostile answer: test_http_memory.py."""

from __future__ import annotations

import dataclasses
import json
import re
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.catalogue.swing import load_swing_catalogue
from ea_pipelines.cbs.errors import CbsBadResponse
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable, Fault
from ea_pipelines.devtools.fake_swing_server import TWENTE, FakeSwingServer, FakeVariable
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR, DEFAULT_SWING_CATALOGUE
from ea_pipelines.swing.source import SwingSource
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.faults.harness import population, published, wait_until

MB = 2**20
#: generous per-read timeout (a trickle never trips it), a 3 s deadline per request, 8 MB per answer, 5 pages
POLICY = RetryPolicy(timeout=30, max_attempts=3, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=0.2,
                     deadline=3, max_response_bytes=8 * MB, max_pages=5)
TABLE = "regionale_kerncijfers"  # 70072ned (synthetic)
PAGE_SIZE = 200  # small pages: every test here is refused on the second page, so the memory peak is the bomb's
PAGE = "/70072ned/Observations$"


@pytest.fixture
def server(fake_tables: list[FakeTable]) -> Iterator[FakeCbsServer]:
    with FakeCbsServer([t for t in fake_tables if t.table_id == "70072ned"], page_size=PAGE_SIZE) as s:
        yield s


@pytest.fixture
def wh(warehouse: Warehouse, catalogue: CbsCatalogue, tmp_path: Path) -> Warehouse:
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path / "replay-landing", FAST)
    for name in ("bevolking", TABLE):
        load_cbs_table(catalogue.table(name), replay, warehouse, batch_id="before")
    return warehouse


def refused(server: FakeCbsServer, wh: Warehouse, catalogue: CbsCatalogue, tmp_path: Path,
            peak: list[int] | None = None, policy: RetryPolicy = POLICY, took: list[float] | None = None) -> str:
    """Run a live load that must be refused; check that nothing changed and the load is logged failed.
    ``peak`` receives the load's peak traced memory (only the load's: not this check's reading of the tables), ``took``
    its wall time."""
    before = published(wh)
    source = CbsSource("live", server.v4_url, server.v3_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", policy)
    if peak is not None:
        tracemalloc.start()
    began = time.monotonic()
    try:
        with pytest.raises(CbsBadResponse) as err:
            load_cbs_table(catalogue.table(TABLE), source, wh, batch_id="hostile", force=True)
    finally:
        if took is not None:
            took.append(time.monotonic() - began)
        if peak is not None:
            peak.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    assert published(wh) == before and population(wh) == [74_317.0]
    with wh.engine.connect() as conn:
        status, message = conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE batch_id = 'hostile'")
                                       ).one()
    assert status == "failed" and message.startswith(f"CbsBadResponse: {err.value}; the published version (load ")
    assert message.endswith(") stays published")
    return str(err.value)


def page_url(server: FakeCbsServer) -> str:
    return "GET " + re.escape(f"{server.v4_url}/70072ned/Observations") + r"\?\S+"


def test_a_compression_bomb_is_refused_with_memory_bounded(server: FakeCbsServer, wh: Warehouse,
                                                           catalogue: CbsCatalogue, tmp_path: Path) -> None:
    server.inject(PAGE, Fault("pass"), Fault("gzip_bomb", size=96 * MB))  # ~100 KB on the wire
    peaks: list[int] = []
    message = refused(server, wh, catalogue, tmp_path, peaks)
    [peak] = peaks
    assert re.fullmatch(page_url(server) + r": the answer is larger than 8 MB after decompression "
                        r"\(EA_HTTP_MAX_RESPONSE_MB\); refusing the load", message), message
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB while reading a 96 MB bomb with an 8 MB bound"


def test_an_oversized_page_is_refused(server: FakeCbsServer, wh: Warehouse, catalogue: CbsCatalogue,
                                      tmp_path: Path) -> None:
    server.tamper(PAGE, lambda path, params, body: body[:-1] + b" " * (12 * MB) + body[-1:])  # valid JSON, 12 MB
    message = refused(server, wh, catalogue, tmp_path)
    assert re.fullmatch(page_url(server) + r": the answer is larger than 8 MB after decompression "
                        r"\(EA_HTTP_MAX_RESPONSE_MB\); refusing the load", message), message


def test_a_trickling_server_is_cut_off_at_the_deadline(server: FakeCbsServer, wh: Warehouse,
                                                       catalogue: CbsCatalogue, tmp_path: Path) -> None:
    server.inject("/70072ned/Properties$", Fault("trickle", seconds=0.1))  # ~1 KB: over a minute at this pace
    message = refused(server, wh, catalogue, tmp_path)
    assert message == (f"GET {server.v4_url}/70072ned/Properties: no complete answer within 3 s "
                       "(EA_HTTP_DEADLINE); refusing the load")
    wait_until(lambda: server.cut_off == 1, "the server to notice the client hung up", lambda: True)


def test_a_nextlink_that_never_ends_stops_at_the_page_bound(server: FakeCbsServer, wh: Warehouse,
                                                            catalogue: CbsCatalogue, tmp_path: Path) -> None:
    def empty_page_linking_to_itself(path: str, params: dict[str, str], body: bytes) -> bytes:
        query = urlencode({**params, "$skip": str(int(params.get("$skip", "0")) + 1)})
        link = f"{server.v4_url}/70072ned/Observations?{query}"
        return json.dumps({"@odata.context": "70072ned/Observations", "value": [], "@odata.nextLink": link}).encode()

    server.tamper(PAGE, empty_page_linking_to_itself)
    message = refused(server, wh, catalogue, tmp_path)
    assert message == ("70072ned: still a @odata.nextLink after 5 pages, the most one table may have "
                       "(EA_CBS_MAX_PAGES); refusing the load")
    assert sum(1 for r in server.requests if re.search(r"/70072ned/Observations\?", r)) == 5


#: pages of about 1 s each, every one well within its own 5 s deadline; the table may take 3 s in all
SLOW_PAGE = 1.0
TABLE_POLICY = dataclasses.replace(POLICY, deadline=5, table_deadline=3)
SLACK = 2.0


def test_pages_that_each_come_in_time_end_at_the_table_deadline(server: FakeCbsServer, wh: Warehouse,
                                                                catalogue: CbsCatalogue, tmp_path: Path) -> None:
    server.inject(PAGE, *[Fault("slow", seconds=SLOW_PAGE)] * 30)  # 93 pages of 200 rows: 30 s at least
    times: list[float] = []
    message = refused(server, wh, catalogue, tmp_path, policy=TABLE_POLICY, took=times)
    [took] = times
    assert re.fullmatch(page_url(server) + r": the table's requests took more than 3 s together "
                        r"\(EA_HTTP_TABLE_DEADLINE\); refusing the load", message), message
    assert TABLE_POLICY.table_deadline <= took < TABLE_POLICY.table_deadline + SLACK, took
    assert 1 < sum(1 for r in server.requests if re.search(r"/70072ned/Observations\?", r)) <= 5


def test_swing_pages_that_each_come_in_time_end_at_the_table_deadline(tmp_path: Path) -> None:
    swing = load_swing_catalogue(DEFAULT_SWING_CATALOGUE)
    var = swing.variable("groenblauw_waardering")
    periods = ("2021", "2022", "2023")
    values = {(c, p): "6.5" for c, _ in TWENTE for p in periods}
    with FakeSwingServer([FakeVariable(var.variable, var.title, values)], periods=periods, page_size=3) as ods:
        ods.inject(r"/Values$", *[Fault("slow", seconds=SLOW_PAGE)] * 20)  # 14 pages: 14 s at least
        source = SwingSource.create("live", ods.ods_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", swing,
                                    policy=TABLE_POLICY)
        began = time.monotonic()
        with pytest.raises(CbsBadResponse) as err:
            source.fetch(var.table(), "slow")
        took = time.monotonic() - began
    assert re.fullmatch(re.escape(f"GET {ods.ods_url}/") + r"\S+/Values(\?\S+)?: the table's requests took more "
                        r"than 3 s together \(EA_HTTP_TABLE_DEADLINE\); refusing the load", str(err.value)), err.value
    assert TABLE_POLICY.table_deadline <= took < TABLE_POLICY.table_deadline + SLACK, took

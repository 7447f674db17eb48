"""HTTP faults end to end: a live load through the fake server, with the fault injected mid-fetch, either
publishes the right data or fails with a clear error while the previous version stays published.

The HTTP client's own behaviour per fault (delays, Retry-After cap, attempt counts) is in ``cbs/test_http.py``.
Fetch faults happen before anything is written, so one engine (DuckDB) is enough here; the kill tests and the
publish tests run both engines. The faults hit a small table (70072ned, synthetic) to keep this fast; the
real 03759ned capture is published beside it and must stay as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.errors import CbsNotJsonError, CbsTransientError
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable, Fault
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.faults.harness import population, published

#: Timeouts are aimed with holds: a held request gets no answer until the server shuts down, so the client's
#: read timeout is certain to fire, whatever the machine's load. The timeout itself is generous (FAST's 3 s, as in
#: every other HTTP test), so that a normal answer on a busy machine is never mistaken for a timeout; a held
#: request costs those 3 s. Three attempts.
POLICY = RetryPolicy(timeout=FAST.timeout, max_attempts=3, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=0.2)
TABLE = "regionale_kerncijfers"  # 70072ned (synthetic)
PAGE_SIZE = 200  # many small pages: a fault on the second one hits a load well under way
PAGE = "/70072ned/Observations$"
SECOND_PAGE = (Fault("pass"),)  # the first page passes, the fault hits the second


@dataclass(frozen=True)
class HttpCase:
    name: str
    path: str
    faults: tuple[Fault, ...]
    error: type[Exception] | None = None  # None: the load must publish the right data
    message: str = ""  # regex; {url} is the failing request's URL


CASES = [
    HttpCase("timeout once", PAGE, (*SECOND_PAGE, Fault("hold"))),
    HttpCase("timeouts on every attempt", "/70072ned/Properties$", (Fault("hold"),) * 3, CbsTransientError,
             r"GET {url}/Properties failed 3 times; last problem: no answer within 3 s"),
    HttpCase("429 with Retry-After", PAGE, (*SECOND_PAGE, Fault("status", 429, retry_after="30"))),
    HttpCase("429 on every attempt", PAGE, (*SECOND_PAGE, *[Fault("status", 429, retry_after="1")] * 3),
             CbsTransientError, r"GET {url}/Observations failed 3 times; last problem: HTTP 429"),
    HttpCase("burst of 5xx within the budget", PAGE, (*SECOND_PAGE, Fault("status", 500), Fault("status", 502))),
    HttpCase("burst of 5xx beyond the budget", PAGE, (*SECOND_PAGE, *[Fault("status", 503)] * 3),
             CbsTransientError, r"GET {url}/Observations failed 3 times; last problem: HTTP 503"),
    HttpCase("connection reset", PAGE, (*SECOND_PAGE, Fault("reset"))),
    HttpCase("body cut off mid-transfer", PAGE, (*SECOND_PAGE, Fault("truncate"))),
    HttpCase("truncated JSON once", PAGE, (*SECOND_PAGE, Fault("truncate_json"))),
    HttpCase("truncated JSON on every attempt", PAGE, (*SECOND_PAGE, *[Fault("truncate_json")] * 3),
             CbsTransientError, r"GET {url}/Observations failed 3 times; last problem: truncated or malformed JSON "
                                r"\(the answer ends at byte \d+ without closing its JSON object; cut short\?\)"),
    HttpCase("HTML error page with status 200", PAGE, (*SECOND_PAGE, Fault("html")), CbsNotJsonError,
             r"{url}/Observations\?.*: the body is not JSON \(Content-Type 'text/html'\): "
             r"'<html><body><h1>Onderhoud</h1>Probeer het later.</body></html>'"),
    HttpCase("plain text with status 200", "/70072ned/MeasureCodes$", (Fault("text"),), CbsNotJsonError,
             r"{url}/MeasureCodes: the body is not JSON \(Content-Type 'text/plain'\): "
             r"'Service temporarily unavailable'"),
    HttpCase("Atom XML instead of JSON", "/70072ned/Dimensions$", (Fault("atom"),), CbsNotJsonError,
             r"{url}/Dimensions: the body is not JSON \(Content-Type 'application/atom\+xml;charset=utf-8'\): "
             r"'<\?xml version=\"1.0\" encoding=\"utf-8\"\?>.*"),
    HttpCase("JSON under a wrong content type", PAGE, (*SECOND_PAGE, Fault("content_type", content_type="text/html"))),
    HttpCase("row count as an HTML page", "/70072ned/Observations/\\$count$", (Fault("html"),), CbsNotJsonError,
             r"{url}/Observations/\$count\?.*: expected a row count, got '<html><body><h1>Onderhoud</h1>.*'"),
]


@pytest.fixture(scope="module")
def server(fake_tables: list[FakeTable]) -> Iterator[FakeCbsServer]:
    with FakeCbsServer([t for t in fake_tables if t.table_id == "70072ned"], page_size=PAGE_SIZE) as s:
        yield s


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, catalogue: CbsCatalogue) -> Iterator[Warehouse]:
    """One warehouse for all cases: each starts from what the previous case left, and checks it is kept."""
    wh = Warehouse(f"duckdb:///{tmp_path_factory.mktemp('http')}/ea.duckdb")
    wh.ensure_schema()
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path_factory.mktemp("landing"), FAST)
    for name in ("bevolking", TABLE):
        load_cbs_table(catalogue.table(name), replay, wh, batch_id="before")
    yield wh
    wh.dispose()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_http_fault_during_a_load(case: HttpCase, server: FakeCbsServer, wh: Warehouse, catalogue: CbsCatalogue,
                                  tmp_path: Path) -> None:
    before = published(wh)
    server.faults.clear()
    server.inject(case.path, *case.faults)
    source = CbsSource("live", server.v4_url, server.v3_url, DEFAULT_SNAPSHOT_DIR, tmp_path, POLICY)
    spec = catalogue.table(TABLE)
    if case.error is None:
        report = load_cbs_table(spec, source, wh, batch_id=case.name, force=True)
        assert report.status == "published" and report.mode == "live"
        assert {t: len(r) for t, r in published(wh).items() if t.startswith("staging")} == \
            {t: len(r) for t, r in before.items() if t.startswith("staging")}
        with wh.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT DISTINCT load_id FROM staging.cbs_observation "
                                        "WHERE table_id = '70072ned'")).scalars().all() == [report.load_id]
    else:
        with pytest.raises(case.error) as err:
            load_cbs_table(spec, source, wh, batch_id=case.name, force=True)
        pattern = case.message.format(url=re.escape(f"{server.v4_url}/70072ned"))
        assert re.fullmatch(pattern, str(err.value)), str(err.value)
        with wh.engine.connect() as conn:
            status, message = conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE batch_id = :b"),
                                           {"b": case.name}).one()
        assert status == "failed" and message.startswith(f"{case.error.__name__}: {err.value}; the published ")
        assert message.endswith(") stays published")  # what the readers still see
        assert published(wh) == before
    assert population(wh) == [74_317.0]
    assert not server.faults[case.path], "the injected faults were not all used"

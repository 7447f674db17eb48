"""The HTTP layer over real sockets: retries, backoff caps, Retry-After, truncated and non-JSON bodies."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from ea_pipelines.cbs.errors import CbsBadResponse, CbsHostUnreachable, CbsNotJsonError, CbsTransientError
from ea_pipelines.cbs.http import HttpClient, RetryPolicy
from ea_pipelines.cbs.jsonpage import MAX_DOCUMENT_BYTES
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, Fault
from ea_pipelines_tests.conftest import FAST


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)


def client(policy: RetryPolicy = FAST) -> tuple[HttpClient, Recorder]:
    rec = Recorder()
    return HttpClient(policy, sleep=rec), rec


def props_url(server: FakeCbsServer) -> str:
    return f"{server.v4_url}/03759ned/Properties"


def test_429_honours_retry_after_up_to_the_cap(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", Fault("status", 429, retry_after="30"))
    http, rec = client()
    resp = http.get(props_url(cbs_server))
    assert resp.payload["Identifier"] == "03759ned"
    assert rec.sleeps == [FAST.retry_after_cap]  # 30 s asked, 0.2 s cap


def test_retry_after_below_the_cap_is_used_as_given(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", Fault("status", 503, retry_after="1"))
    http, rec = client(RetryPolicy(timeout=3, max_attempts=2, backoff_base=0.01, retry_after_cap=5))
    http.get(props_url(cbs_server))
    assert rec.sleeps == [1.0]


def test_500_then_success(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", Fault("status", 500), Fault("status", 502))
    http, rec = client()
    assert http.get(props_url(cbs_server)).payload["Status"] == "Regulier"
    assert len(rec.sleeps) == 2 and all(0 < s <= FAST.backoff_cap for s in rec.sleeps)
    assert http.requests_made == 3


def test_burst_of_5xx_longer_than_the_budget_fails_clearly(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", *[Fault("status", 500)] * 10)
    http, _ = client()
    with pytest.raises(CbsTransientError, match="failed 4 times; last problem: HTTP 500"):
        http.get(props_url(cbs_server))


@pytest.mark.parametrize("kind", ["truncate", "truncate_json", "reset"])
def test_truncated_or_reset_responses_are_retried(cbs_server: FakeCbsServer, kind: str) -> None:
    cbs_server.inject("/MeasureCodes$", Fault(kind))
    http, rec = client()
    resp = http.get(f"{cbs_server.v4_url}/03759ned/MeasureCodes")
    assert [m["Identifier"] for m in resp.payload["value"]] == ["M000352", "M000365"]
    assert len(rec.sleeps) == 1


def test_persistently_truncated_json_names_the_problem(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/MeasureCodes$", *[Fault("truncate_json")] * 4)
    http, _ = client()
    with pytest.raises(CbsTransientError, match="truncated or malformed JSON"):
        http.get(f"{cbs_server.v4_url}/03759ned/MeasureCodes")


@pytest.mark.parametrize("kind,ctype", [("html", "text/html"), ("text", "text/plain")])
def test_a_body_that_is_not_json_is_a_clear_error(cbs_server: FakeCbsServer, kind: str, ctype: str) -> None:
    cbs_server.inject("/Properties$", Fault(kind))
    http, _ = client()
    with pytest.raises(CbsNotJsonError, match=f"not JSON \\(Content-Type '{ctype}'\\)"):
        http.get(props_url(cbs_server))


def test_an_answer_that_never_comes_times_out_and_is_retried(cbs_server: FakeCbsServer,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """The server holds the first request until the test ends, so the client's read timeout is certain to
    fire; the timeout is FAST's generous 3 s, so the normal answer that follows cannot race it."""
    cbs_server.inject("/Properties$", Fault("hold"))
    http, rec = client()
    with caplog.at_level(logging.WARNING, logger="ea_pipelines.cbs.http"):
        assert http.get(props_url(cbs_server)).payload["Identifier"] == "03759ned"
    assert len(rec.sleeps) == 1 and http.requests_made == 1  # the held request never got a response
    assert [r.getMessage().split(" failed ")[1].split(";")[0] for r in caplog.records] == [
        f"(no answer within {FAST.timeout:g} s)"]
    assert FAST.timeout == 3


def test_no_answer_on_any_attempt_is_a_transient_error(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", Fault("hold"), Fault("hold"))
    http, _ = client(RetryPolicy(timeout=FAST.timeout, max_attempts=2, backoff_base=0.01, backoff_cap=0.02))
    with pytest.raises(CbsTransientError, match=r"failed 2 times; last problem: no answer within 3 s$"):
        http.get(props_url(cbs_server))


def test_connection_refused_is_unreachable_not_retried() -> None:
    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http, rec = client()
    with pytest.raises(CbsHostUnreachable, match="connection refused"):
        http.get(f"http://127.0.0.1:{port}/odata/v1/CBS/03759ned/Properties")
    assert rec.sleeps == []


def test_backoff_is_capped_exponential_with_jitter() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)
    assert [policy.backoff(n, rng=lambda: 1.0) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert [policy.backoff(n, rng=lambda: 0.0) for n in range(1, 5)] == [0.5, 1, 2, 4]


def test_a_retry_wait_past_the_table_deadline_ends_the_load_at_once(cbs_server: FakeCbsServer) -> None:
    """A Retry-After of 30 s (within the cap) with 2 s of the table's time left: refused now, not after the wait."""
    cbs_server.inject("/Properties$", Fault("status", 503, retry_after="30"))
    http, rec = client(RetryPolicy(timeout=3, max_attempts=3, retry_after_cap=60, table_deadline=2))
    with pytest.raises(CbsBadResponse, match=r"^GET \S+/03759ned/Properties: the table's requests took more than "
                                             r"2 s together \(EA_HTTP_TABLE_DEADLINE\); refusing the load$"):
        http.get(props_url(cbs_server))
    assert rec.sleeps == [] and http.requests_made == 1


def test_the_table_deadline_counts_every_request_of_the_client(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", *[Fault("slow", seconds=0.4)] * 10)
    http, _ = client(RetryPolicy(timeout=3, deadline=5, table_deadline=1))
    began = time.monotonic()
    with pytest.raises(CbsBadResponse, match=r"\(EA_HTTP_TABLE_DEADLINE\)"):
        for _ in range(10):
            http.get(props_url(cbs_server), {"$select": "Identifier"})
    assert 1 <= time.monotonic() - began < 1.5  # two answers of 0.4 s, the third cut off at 1 s
    assert sum("/Properties" in r for r in cbs_server.requests) == 3


def test_a_metadata_document_beyond_its_bound_is_refused_unparsed(cbs_server: FakeCbsServer) -> None:
    cbs_server.inject("/Properties$", Fault("gzip_bomb", size=MAX_DOCUMENT_BYTES + 2**20,
                                            fill=(b'{"Identifier":"03759ned","x":[', b"{},", b"{}]}")))
    http, _ = client()
    with pytest.raises(CbsBadResponse, match=r"a single document of more than 8 MB, where kilobytes are expected"):
        http.get(props_url(cbs_server))

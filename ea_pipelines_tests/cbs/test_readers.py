"""Paging: pages fetched ahead are bounded in bytes as well as in number, and code lists in codes and bytes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import orjson
import pytest

from ea_pipelines.cbs import readers
from ea_pipelines.cbs.errors import CbsBadResponse
from ea_pipelines.cbs.jsonpage import parse_page
from ea_pipelines.cbs.transport import Fetched


@dataclass
class PagedTransport:
    """Answers ``pages`` pages of ``rows`` rows each (about ``row_bytes`` per row), linked by ``@odata.nextLink``;
    counts what was fetched."""

    pages: int
    rows: int
    row_bytes: int = 50
    base_url: str = "http://h/T"
    table_id: str = "T"
    consumed: list[Fetched] = field(default_factory=list)
    fetched: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, path: str, params: dict[str, str] | None = None, *, expect: str = "json") -> Fetched:
        assert expect == "rows"
        number = int((params or {}).get("page", "0"))
        rows = [{"ExternalCode": f"{number}-{i}", "Name": "x" * self.row_bytes} for i in range(self.rows)]
        payload = {"value": rows}
        if number + 1 < self.pages:
            payload["@odata.nextLink"] = f"{self.base_url}/{path}?page={number + 1}"
        body = orjson.dumps(payload)
        with self.lock:
            self.fetched += 1
        return Fetched(f"{path}?page={number}", parse_page(body), "", len(body))


@pytest.mark.parametrize(("budget", "ahead"), [(10**9, 3), (1, 0)])
def test_pages_fetched_ahead_are_bounded_in_bytes(budget: int, ahead: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With room, the fetcher runs up to the queue (two pages) plus the one it holds ahead of the page being worked
    on; with a byte budget smaller than one page, it fetches the next page only once the last one is done with."""
    monkeypatch.setattr(readers, "PREFETCH_BYTES", budget)
    t = PagedTransport(pages=8, rows=10)
    most_ahead = 0
    for number, page in enumerate(readers.follow_pages(t, "Things", {}, "@odata.nextLink"), start=1):
        assert len(page.rows(("ExternalCode",))) == 10
        time.sleep(0.2)  # working on the page: the fetcher runs as far ahead as it may
        most_ahead = max(most_ahead, t.fetched - number)
    assert number == 8 and most_ahead == ahead


@pytest.mark.parametrize(("max_codes", "max_bytes", "error"), [
    (35, 10**9, "T: the code list Things has more than 35 codes (EA_HTTP_MAX_CODES); refusing the load"),
    (10**9, 3000, "T: the code list Things is larger than 0.00286102 MB over its pages (EA_HTTP_MAX_RESPONSE_MB); "
                  "refusing the load"),
])
def test_a_code_list_is_bounded_over_its_pages(max_codes: int, max_bytes: int, error: str) -> None:
    t = PagedTransport(pages=1000, rows=10)
    t.max_codes, t.max_list_bytes = max_codes, max_bytes  # type: ignore[attr-defined]
    with pytest.raises(CbsBadResponse) as err:
        for _ in readers.code_rows(t, "Things", ("ExternalCode",), "@odata.nextLink"):
            pass
    assert str(err.value) == error
    assert t.fetched < 10


def test_a_code_list_within_its_bounds_is_whole() -> None:
    t = PagedTransport(pages=5, rows=10)
    t.max_codes, t.max_list_bytes = 50, 10**6  # type: ignore[attr-defined]
    codes = [r["ExternalCode"] for rows in readers.code_rows(t, "Things", ("ExternalCode",), "@odata.nextLink")
             for r in rows]
    assert codes == [f"{p}-{i}" for p in range(5) for i in range(10)]

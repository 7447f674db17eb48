"""Every bad CBS response in the corpus (``cbs_responses.CBS_CASES``) is refused for its precise reason, through a
real load over HTTP, and the previously published version of the table stays in place."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.cbs.transport import request_key
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.quality.gate import QualityGate
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.corpus.cbs_responses import CBS_CASES, CbsCase
from ea_pipelines_tests.deliveries.test_validate import REFUSALS

POLICY = RetryPolicy(timeout=3, max_attempts=4, backoff_base=0.001, backoff_cap=0.002, retry_after_cap=0.01)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, catalogue: CbsCatalogue) -> Iterator[Warehouse]:
    """One warehouse holding a published version of every table; a refused load must leave it as it is."""
    wh = Warehouse(f"duckdb:///{tmp_path_factory.mktemp('corpus')}/ea.duckdb")
    wh.ensure_schema()
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path_factory.mktemp("unused"), FAST)
    for spec in catalogue.tables:
        load_cbs_table(spec, replay, wh, batch_id="previous")
    yield wh
    wh.dispose()


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> QualityGate:
    return QualityGate(known_regions=set(RegionIndex.from_code_list().names), docs_dir=tmp_path_factory.mktemp("docs"))


def fingerprint(wh: Warehouse) -> list[tuple]:
    """Rows and load per table in every staging and raw CBS table, and the load log's published loads."""
    with wh.engine.connect() as conn:
        out = []
        for table in ("staging.cbs_observation", "staging.cbs_measure", "staging.cbs_region", "staging.cbs_period",
                      "raw.cbs_response"):
            out += [(table, *r) for r in conn.execute(sa.text(
                f"SELECT table_id, load_id, count(*) FROM {table} GROUP BY 1, 2 ORDER BY 1, 2"))]
        out += list(conn.execute(sa.text("SELECT load_id FROM meta.load_log WHERE status = 'published' ORDER BY 1")))
    return out


def previous_load(wh: Warehouse, table_id: str) -> str | None:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT load_id FROM meta.load_log WHERE table_id = :t AND status = 'published' "
                                    "ORDER BY finished_at DESC LIMIT 1"), {"t": table_id}).scalar()


def test_the_corpus_has_enough_distinct_cases() -> None:
    """The bad-input corpus: these CBS responses plus the delivery refusals (README, Tests)."""
    names = [c.name for c in CBS_CASES]
    assert len(names) == len(set(names))
    assert len(CBS_CASES) + len(REFUSALS) >= 30


@pytest.mark.parametrize("case", CBS_CASES, ids=[c.name for c in CBS_CASES])
def test_bad_cbs_response_is_refused_for_its_reason(case: CbsCase, fake_tables: list[FakeTable], wh: Warehouse,
                                                    gate: QualityGate, catalogue: CbsCatalogue,
                                                    tmp_path: Path) -> None:
    spec = dataclasses.replace(catalogue.table(case.table), **case.spec)
    before = fingerprint(wh)
    with FakeCbsServer(fake_tables, page_size=1_000) as server:
        for pattern, rewrite in case.tamper:
            server.tamper(pattern, rewrite)
        for pattern, fault in case.faults:
            server.inject(pattern, fault)
        source = CbsSource("live", server.v4_url, server.v3_url, DEFAULT_SNAPSHOT_DIR, tmp_path, POLICY)
        batch = f"corpus-{case.name}"
        if case.error is None:
            report = load_cbs_table(spec, source, wh, batch_id=batch, gate=gate)
            assert report.status == "blocked"
            got = None
        else:
            with pytest.raises(case.error) as err:
                load_cbs_table(spec, source, wh, batch_id=batch, gate=gate)
            assert type(err.value) is case.error
            got = str(err.value)
        count = next((urlsplit(r).query for r in server.requests if "/Observations/$count?" in r
                      or "/TypedDataSet/$count?" in r), "")
        substitutions = {"v4": server.v4_url, "v3": server.v3_url, "filter": count,
                         "filter_key": request_key("Observations", dict(parse_qsl(count))),
                         "v3_filter_key": request_key("TypedDataSet", dict(parse_qsl(count))),
                         "previous": previous_load(wh, spec.table_id) if case.error is None else ""}
    with wh.engine.connect() as conn:
        status, message = conn.execute(sa.text("SELECT status, message FROM meta.load_log WHERE batch_id = :b"),
                                       {"b": batch}).one()
    expected = case.message.format(**substitutions)
    if case.error is None:
        assert (status, message) == ("blocked", expected)
    else:
        assert got == expected, f"\n{got}\n{expected}"
        previous = previous_load(wh, spec.table_id)
        stays = f"; the published version (load {previous}) stays published" if previous else ""
        assert (status, message) == ("failed", f"{case.error.__name__}: {expected}{stays}")
    assert fingerprint(wh) == before  # the previous version stays published

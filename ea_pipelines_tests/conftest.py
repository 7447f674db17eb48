"""Shared fixtures: a fake CBS server on 127.0.0.1 with real-shaped tables, and real warehouses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue, load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.devtools.synthetic import capture_table, synthetic_table
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SNAPSHOT_DIR
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse

POPULATION = DEFAULT_SNAPSHOT_DIR / "03759ned"  # the real capture, bundled as-is
POSTGRES_URL = os.environ.get("EA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

#: tiny delays so that retry tests run fast; the logic is the same as in production
FAST = RetryPolicy(timeout=3, max_attempts=4, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=0.2)


@pytest.fixture(scope="session")
def catalogue() -> CbsCatalogue:
    return load_cbs_catalogue(DEFAULT_CATALOGUE)


@pytest.fixture(scope="session")
def fake_tables(catalogue: CbsCatalogue) -> list[FakeTable]:
    tables = [capture_table(POPULATION)]
    tables += [synthetic_table(t, catalogue, POPULATION) for t in catalogue.tables if t.table_id != "03759ned"]
    return tables


@pytest.fixture
def cbs_server(fake_tables: list[FakeTable]) -> Iterator[FakeCbsServer]:
    """A fresh server per test (faults never leak); 1,000 rows a page, so the capture spans 14 pages."""
    with FakeCbsServer(fake_tables, page_size=1_000) as server:
        yield server


@pytest.fixture
def live_source(cbs_server: FakeCbsServer, tmp_path: Path) -> CbsSource:
    return CbsSource("live", cbs_server.v4_url, cbs_server.v3_url, DEFAULT_SNAPSHOT_DIR, tmp_path / "landing", FAST)


def _postgres_or_skip() -> str:
    try:
        engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no server here
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set EA_TEST_POSTGRES_URL): "
                    f"{type(exc).__name__}")
    return POSTGRES_URL


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for schema in ("raw", "staging", "marts", "meta"):
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an embedded DuckDB file and on the local PostgreSQL (database ``test``)."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path}/ea.duckdb"
    url = _postgres_or_skip()
    reset_postgres(url)
    return url


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    wh = Warehouse(warehouse_url)
    wh.ensure_schema()
    yield wh
    wh.dispose()


@pytest.fixture
def wh(warehouse: Warehouse) -> Warehouse:
    """The warehouse with the delivery tables and the seeds the SQL models join (both backends)."""
    warehouse.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    write_seeds(warehouse, load_cbs_catalogue(DEFAULT_CATALOGUE).programme)
    return warehouse

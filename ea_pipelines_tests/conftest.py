"""Shared fixtures: a fake CBS server on 127.0.0.1 with real-shaped tables, and real warehouses."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.cbs import CbsCatalogue, load_cbs_catalogue
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cbs.http import RetryPolicy
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer, FakeTable
from ea_pipelines.devtools.isolated import isolated_env
from ea_pipelines.devtools.synthetic import capture_table, synthetic_table
from ea_pipelines.settings import DEFAULT_CATALOGUE, DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SNAPSHOT_DIR, Settings
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.db import Warehouse

POPULATION = DEFAULT_SNAPSHOT_DIR / "03759ned"  # the real capture, bundled as-is
#: The PostgreSQL server to test against, and a database on it to connect to while creating the suite's own
#: database. The suite never writes to this database: every test gets the database the suite created (below).
ADMIN_URL = os.environ.get("EA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: Databases the suite creates are named with this prefix and dropped when the session ends.
OWNED_PREFIX = "ea_pipelines_test_"

#: The date every test runs at (EA_TODAY, see ea_pipelines/clock.py): the suite's synthetic data end in 2024 and
#: must not start failing "fresh" as the calendar moves on. test_clock.py runs the date-sensitive tests years ahead.
TEST_TODAY = "2026-11-30"

#: tiny delays so that retry tests run fast; the logic is the same as in production
def snapshot_rows(table_id: str) -> int:
    """Observations a load of the bundled snapshot of ``table_id`` publishes: the count CBS announced in the
    snapshot (v3 counts wide rows: times the catalogue's measures). Derived from the files, not written out."""
    folder = DEFAULT_SNAPSHOT_DIR / table_id
    counted = next(f for f in folder.glob("*-count.txt"))
    spec = next(t for t in load_cbs_catalogue(DEFAULT_CATALOGUE).tables if t.table_id == table_id)
    return int(counted.read_text()) * (len(spec.measure_codes) if spec.api == "v3" else 1)


FAST = RetryPolicy(timeout=3, max_attempts=4, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=0.2)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the shell's ``EA_*`` settings, at a fixed date, with its own Dagster instance.

    A developer's exported ``EA_WAREHOUSE_URL`` (production, say) can then never reach a test's run; a test that
    needs a setting passes it explicitly.
    """
    for name in [n for n in os.environ if n.startswith("EA_") and not n.startswith("EA_TEST_")]:
        monkeypatch.delenv(name)
    if os.environ.get("EA_TEST_REAL_CLOCK") != "1":  # only test_clock.py's control run lifts the pin
        monkeypatch.setenv("EA_TODAY", TEST_TODAY)
    # every location a run writes to (warehouse, folders, reports, logs, Data Docs, Dagster instance) in a
    # directory of the test's own: whatever reads the environment never writes into the project
    env = isolated_env(tmp_path_factory.mktemp("ea_work"))
    Path(env["DAGSTER_HOME"]).mkdir()
    for name, value in env.items():
        monkeypatch.setenv(name, value)


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


class _OwnedDatabase:
    """The suite's own PostgreSQL database: created on first use, dropped at the end of the session."""

    url: str | None = None
    unreachable: str | None = None

    @classmethod
    def get(cls) -> str:
        if cls.url is None and cls.unreachable is None:
            name = f"{OWNED_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
            try:
                admin = sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                admin.dispose()
                cls.url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
            except Exception as exc:  # any failure to connect or create means: no usable server here
                cls.unreachable = (f"PostgreSQL not usable at {make_url(ADMIN_URL).render_as_string()} "
                                   f"(set EA_TEST_POSTGRES_URL): {type(exc).__name__}")
        if cls.url is None:
            if os.environ.get("CI", "").lower() == "true":  # in CI an untested PostgreSQL is a failure, not a skip
                pytest.fail(f"{cls.unreachable}; CI=true, so PostgreSQL tests may not be skipped", pytrace=False)
            pytest.skip(cls.unreachable)
        return cls.url

    @classmethod
    def drop(cls) -> None:
        if cls.url is None:
            return
        admin = sa.create_engine(ADMIN_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(cls.url).database}" WITH (FORCE)'))
        admin.dispose()
        cls.url = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _OwnedDatabase.drop()


def _postgres_or_skip() -> str:
    """The URL of the suite's own PostgreSQL database; skips (fails under CI=true) where no server answers."""
    return _OwnedDatabase.get()


def reset_postgres(url: str) -> None:
    """Empties the warehouse schemas, only ever in the database this session created."""
    if _OwnedDatabase.url is None or make_url(url).database != make_url(_OwnedDatabase.url).database:
        raise RuntimeError(f"refusing to drop schemas in {make_url(url).render_as_string()}: "
                           "not the database this test session created")
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
    write_seeds(warehouse, load_catalogues(Settings()))
    return warehouse

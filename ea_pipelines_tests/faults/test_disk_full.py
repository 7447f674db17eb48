"""A full disk during a write leaves the data intact and says so.

The disk is made to fill without root where possible: the child process gets an RLIMIT_FSIZE (with SIGXFSZ
ignored), so any write past the limit fails with EFBIG, "File too large", the way a full disk fails it.
That covers the landing folder (any backend) and DuckDB's own files. PostgreSQL writes on the server side, so
there the table is moved into a tablespace on a tiny tmpfs; that needs root and a local server, and is
skipped with the reason otherwise.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.cbs import CbsCatalogue
from ea_pipelines.cbs.source import CbsSource
from ea_pipelines.devtools.fake_cbs_server import FakeCbsServer
from ea_pipelines.ingest.cbs_table import load_cbs_table
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import FAST
from ea_pipelines_tests.faults.harness import load_status, population, published, start

EFBIG = "[Errno 27] File too large"


@pytest.fixture
def previous(warehouse: Warehouse, catalogue: CbsCatalogue, tmp_path: Path) -> dict[str, list[tuple]]:
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    assert load_cbs_table(catalogue.table("bevolking"), replay, warehouse, batch_id="before").status == "published"
    state = published(warehouse)
    warehouse.dispose()
    return state


def failure_message(wh: Warehouse) -> str:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT message FROM meta.load_log WHERE batch_id = 'full'")).scalar()


def test_disk_full_while_landing_responses(warehouse: Warehouse, previous: dict, cbs_server: FakeCbsServer,
                                           tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    child = start(tmp_path, warehouse.url, action="load", table="bevolking", mode="live", v4_url=cbs_server.v4_url,
                  v3_url=cbs_server.v3_url, landing_dir=str(landing), batch_id="full", force=True,
                  max_file_bytes=64 * 1024)  # an observation page is larger
    rc, result, err = child.finish()
    assert rc == 1 and f"OSError: {EFBIG}" in err
    assert load_status(warehouse, "full") == ["failed"]
    assert re.fullmatch(re.escape(f"OSError: {EFBIG}; the published version (load ") + r"\S+-03759ned-\w+"
                        + re.escape(") stays published"), failure_message(warehouse))
    assert published(warehouse) == previous and population(warehouse) == [74_317.0]
    landed = [p for p in landing.rglob("*") if p.is_file()]
    assert landed and not [p for p in landed if p.name.startswith(".")]  # no half-written temporary file


@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_disk_full_while_duckdb_commits(warehouse: Warehouse, catalogue: CbsCatalogue, previous: dict,
                                        tmp_path: Path) -> None:
    child = start(tmp_path, warehouse.url, action="load", table="bevolking", batch_id="full", force=True,
                  max_file_bytes=256 * 1024)  # room for the load log, not for 13,568 rows in the WAL
    rc, _, err = child.finish()
    wal = f'Could not write file "{warehouse.duckdb_path}.wal": File too large'
    assert rc == 1 and wal in err
    assert load_status(warehouse, "full") == ["failed"] and wal in failure_message(warehouse)
    assert published(warehouse) == previous and population(warehouse) == [74_317.0]
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    assert load_cbs_table(catalogue.table("bevolking"), replay, warehouse, batch_id="rerun",
                          force=True).status == "published"


@pytest.fixture
def tiny_tablespace(warehouse: Warehouse) -> Iterator[str]:
    """A PostgreSQL tablespace on a 3 MB tmpfs, or a skip saying why there cannot be one here."""
    mount = Path(tempfile.mkdtemp(prefix="ea_faults_tiny_"))  # outside pytest's private tmp: postgres must reach it
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mount)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    name = f"ea_faults_tiny_{secrets.token_hex(3)}"
    try:
        subprocess.run(["chown", "postgres:postgres", str(mount)], check=True, capture_output=True)
        engine = sa.create_engine(warehouse.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f"CREATE TABLESPACE {name} LOCATION '{mount}'"))
        except sa.exc.DBAPIError as exc:
            pytest.skip(f"the PostgreSQL server cannot use {mount} as a tablespace (not local, or not superuser): "
                        f"{exc.orig}")
        yield name
        with engine.connect() as conn:
            for schema in ("raw", "staging", "marts", "meta"):  # drops what lives in the tablespace
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"DROP TABLESPACE IF EXISTS {name}"))
        engine.dispose()
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
        mount.rmdir()


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_disk_full_while_postgres_publishes(warehouse: Warehouse, catalogue: CbsCatalogue, previous: dict,
                                            tiny_tablespace: str, tmp_path: Path) -> None:
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE staging.cbs_observation SET TABLESPACE {tiny_tablespace}"))
    replay = CbsSource("replay", "", "", DEFAULT_SNAPSHOT_DIR, tmp_path, FAST)
    # psycopg's DiskFull when raised inside COPY, SQLAlchemy's wrapper around it when raised in a statement
    with pytest.raises((psycopg.OperationalError, sa.exc.OperationalError),
                       match="could not extend file .*: No space left on device"):
        load_cbs_table(catalogue.table("bevolking"), replay, warehouse, batch_id="full", force=True)
    assert load_status(warehouse, "full") == ["failed"] and "No space left on device" in failure_message(warehouse)
    assert published(warehouse) == previous and population(warehouse) == [74_317.0]

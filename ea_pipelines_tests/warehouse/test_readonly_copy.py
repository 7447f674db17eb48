"""DuckDB 2.0 file locking, measured with two real processes, and the read-only copy that lets analysts read
while the nightly load writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ea_pipelines.warehouse.db import Warehouse, WarehouseLocked
from ea_pipelines.warehouse.readonly_copy import publish_readonly_copy, readonly_copy_path

LOCKED = "Could not set lock on file"


class Reader:
    """Another process that opens ``path`` (read-only unless told), counts ``marts.kern``, and holds the file
    open until told to count again and quit (synchronised over stdin/stdout, no sleeps)."""

    def __init__(self, path: Path, read_only: bool = True) -> None:
        code = ("import duckdb, sys\n"
                f"c = duckdb.connect({str(path)!r}, read_only={read_only})\n"
                "q = 'SELECT count(*) FROM marts.kern'\n"
                "print(c.execute(q).fetchone()[0], flush=True)\n"
                "sys.stdin.readline()\n"
                "print(c.execute(q).fetchone()[0], flush=True)\n")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        self.first = int(line)

    def count_again_and_close(self) -> int:
        out, err = self.proc.communicate("\n", timeout=60)
        assert self.proc.returncode == 0, err
        return int(out.strip())


def make_warehouse(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS staging")
    con.execute(f"CREATE OR REPLACE TABLE marts.kern AS SELECT range AS x FROM range({rows})")
    con.execute("CREATE OR REPLACE TABLE marts.kern__previous AS SELECT 1 AS x")
    con.execute("CREATE OR REPLACE TABLE staging.secret AS SELECT 1 AS x")
    con.close()


def write_one_row(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO marts.kern VALUES (-1)")
    con.close()


def publish(path: Path, target: Path) -> dict[str, int]:
    """One publish, the warehouse file released afterwards (as at the end of a run)."""
    wh = Warehouse(f"duckdb:///{path}")
    try:
        return publish_readonly_copy(wh, target)
    finally:
        wh.dispose()


def test_a_reader_of_the_warehouse_itself_locks_the_writer_out(tmp_path: Path) -> None:
    """The behaviour that makes the copy necessary: DuckDB's per-process file lock."""
    wh = tmp_path / "ea.duckdb"
    make_warehouse(wh, 3)
    reader = Reader(wh)
    with pytest.raises(duckdb.IOException, match=LOCKED):
        write_one_row(wh)
    second = Reader(wh)  # read-only readers do share the file
    assert second.count_again_and_close() == 3
    assert reader.count_again_and_close() == 3
    write_one_row(wh)  # free again once the readers are gone


def test_the_copy_holds_the_marts_only(tmp_path: Path) -> None:
    wh, copy = tmp_path / "ea.duckdb", tmp_path / "ea_readonly.duckdb"
    make_warehouse(wh, 7)
    assert publish(wh, copy) == {"kern": 7}
    con = duckdb.connect(str(copy), read_only=True)
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2").fetchall()
    con.close()
    assert tables == [("marts", "kern")]
    assert not list(tmp_path.glob(".*tmp"))


def test_readers_of_the_copy_never_block_the_load_or_the_next_publish(tmp_path: Path) -> None:
    wh, copy = tmp_path / "ea.duckdb", tmp_path / "ea_readonly.duckdb"
    make_warehouse(wh, 5)
    publish(wh, copy)
    reader = Reader(copy)
    assert reader.first == 5
    write_one_row(wh)  # the nightly load writes while an analyst has the copy open
    assert publish(wh, copy) == {"kern": 6}  # and replaces the copy under the open reader
    assert Reader(copy).count_again_and_close() == 6  # a new reader sees the new copy
    assert reader.count_again_and_close() == 5  # the open reader keeps its consistent old snapshot


def test_a_failed_publish_keeps_the_previous_copy(tmp_path: Path) -> None:
    wh, copy = tmp_path / "ea.duckdb", tmp_path / "ea_readonly.duckdb"
    make_warehouse(wh, 4)
    publish(wh, copy)
    writer = Reader(wh, read_only=False)  # another process writing: the publish cannot open the warehouse
    with pytest.raises(WarehouseLocked, match=f"in use by another process \\(PID {writer.proc.pid}\\)"):
        publish(wh, copy)
    writer.count_again_and_close()
    assert Reader(copy).count_again_and_close() == 4
    assert not list(tmp_path.glob(".*tmp"))


def test_a_run_publishes_while_it_holds_the_warehouse_open(tmp_path: Path) -> None:
    """In a run the warehouse stays open (``hold_open``); DuckDB would refuse a second open of the file, so the
    copy goes through the run's own database, and sees what the run committed."""
    path, copy = tmp_path / "ea.duckdb", tmp_path / "ea_readonly.duckdb"
    make_warehouse(path, 3)
    wh = Warehouse(f"duckdb:///{path}")
    wh.hold_open()
    try:
        with wh.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO marts.kern VALUES (-1)")
        assert publish_readonly_copy(wh, copy) == {"kern": 4}
        assert publish_readonly_copy(wh, copy) == {"kern": 4}  # again: the copy's name is free after a publish
        with wh.engine.connect() as conn:  # the warehouse is still open and usable
            assert conn.exec_driver_sql("SELECT count(*) FROM marts.kern").scalar() == 4
    finally:
        wh.dispose()
    assert Reader(copy).count_again_and_close() == 4
    write_one_row(path)  # released: another process can write again


#: copy locations (EA_DUCKDB_READONLY_COPY is the user's): quotes and SQL in the name are part of the name
HOSTILE_NAMES = ["it's.duckdb", "met spatie.duckdb", "ünïcødé €.duckdb", "x'; DROP SCHEMA marts; --.duckdb",
                 'dubbel"quote.duckdb', "-begint-met-streep.duckdb", "a" * 200 + ".duckdb", "geen_extensie"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_copy_goes_to_any_file_name_and_nothing_else(tmp_path: Path, name: str) -> None:
    path = tmp_path / "ea.duckdb"
    make_warehouse(path, 2)
    folder = tmp_path / "gedeeld map"
    wh = Warehouse(f"duckdb:///{path}")
    wh.hold_open()
    try:
        assert publish_readonly_copy(wh, folder / name) == {"kern": 2}
        with wh.engine.connect() as conn:  # the warehouse itself is intact and nothing stays attached
            assert conn.exec_driver_sql("SELECT count(*) FROM marts.kern").scalar() == 2
            assert conn.exec_driver_sql("SELECT count(*) FROM duckdb_databases() WHERE NOT internal").scalar() == 1
    finally:
        wh.dispose()
    assert sorted(p.name for p in folder.iterdir()) == [name]
    assert Reader(folder / name).count_again_and_close() == 2


def test_where_the_copy_goes() -> None:
    assert readonly_copy_path("duckdb:///warehouse/ea.duckdb") == Path("warehouse/ea_readonly.duckdb")
    assert readonly_copy_path("duckdb:///w/ea.duckdb", "/srv/share/ea.duckdb") == Path("/srv/share/ea.duckdb")
    assert readonly_copy_path("duckdb:///w/ea.duckdb", "off") is None
    assert readonly_copy_path("duckdb:///:memory:") is None
    assert readonly_copy_path("postgresql+psycopg://u@h/db") is None

"""No path out of the folders: a file below a symlinked or foreign inbox, archive or quarantine folder is left
alone and reported; whatever the link points to keeps its files (content, modification time, presence)."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.definitions import build_definitions
from ea_pipelines.deliveries.inbox import Folders, unsafe_folder
from ea_pipelines.deliveries.reading import Limits
from ea_pipelines.ingest.delivery_file import process_file
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.defs.test_definitions import settings_for
from ea_pipelines_tests.deliveries.helpers import csv_bytes

TYPE = "twents_fonds_vouchers"
GOOD = csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;118\n")
BAD = csv_bytes("periode;gemeente;aantal_scholingscheques\n2024;GM0141;-1\n")  # would go to quarantine
OLD = time.time() - 3600
FOREIGN_UID = 54321


def tree(folder: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Everything below ``folder`` (links not followed): kind, content or link target, mtime in ns."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = os.lstat(path)
        if path.is_symlink():
            out[str(path.relative_to(folder))] = ("link", os.readlink(path), st.st_mtime_ns)
        elif path.is_file():
            out[str(path.relative_to(folder))] = ("file", path.read_bytes(), st.st_mtime_ns)
        else:
            out[str(path.relative_to(folder))] = ("dir", "", st.st_mtime_ns)
    return out


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (OLD, OLD))
    return path


def link(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target, target_is_directory=True)


# Each layout: (how to build it under tmp/site with the elsewhere folder tmp/elsewhere; the file's inbox name).
# The elsewhere folder holds files a delivery there would read, copy into quarantine or archive, and delete.
def type_folder(site: Path, away: Path) -> None:
    link(site / "inbox" / TYPE, away / "shared")


def inbox_root(site: Path, away: Path) -> None:
    link(site / "inbox", away / "shared_inbox")


def inbox_root_relative(site: Path, away: Path) -> None:  # a relative link, to a folder beside the root
    (away / "shared_inbox").mkdir(parents=True)
    (site / "inbox").symlink_to(os.path.relpath(away / "shared_inbox", site), target_is_directory=True)


def type_to_other_type(site: Path, away: Path) -> None:  # a link inside the root, to another type's folder
    link(site / "inbox" / TYPE, site / "inbox" / "mkb_ranking")


def archive_root(site: Path, away: Path) -> None:
    link(site / "archive", away / "archive")


def archive_type(site: Path, away: Path) -> None:  # the intermediate between the archive root and the day folder
    link(site / "archive" / TYPE, away / "archive_type")


def archive_day(site: Path, away: Path) -> None:  # today's archive folder (the last component) itself
    link(site / "archive" / TYPE / f"{dt.datetime.now(dt.UTC):%Y-%m-%d}", away / "archive_day")


def quarantine_root(site: Path, away: Path) -> None:
    link(site / "quarantine", away / "quarantine")


def quarantine_type(site: Path, away: Path) -> None:
    link(site / "quarantine" / TYPE, away / "quarantine_type")


def foreign_type_folder(site: Path, away: Path) -> None:  # a real folder, owned by another user
    (site / "inbox" / TYPE).mkdir(parents=True)
    os.chown(site / "inbox" / TYPE, FOREIGN_UID, -1)


LAYOUTS: list[Callable[[Path, Path], None]] = [
    type_folder, inbox_root, inbox_root_relative, type_to_other_type, archive_root, archive_type, archive_day,
    quarantine_root, quarantine_type, foreign_type_folder]


def build(tmp_path: Path, layout: Callable[[Path, Path], None]) -> tuple[Folders, Path, Path]:
    """The layout, with files waiting where the inbox folder of TYPE resolves to, and bait files in every
    folder a link points to (the same names as the files waiting, so an archive or quarantine would overwrite)."""
    site, away = tmp_path / "site", tmp_path / "elsewhere"
    site.mkdir()
    away.mkdir()
    layout(site, away)
    for folder in {site / "inbox" / TYPE, *(p for p in away.rglob("*") if p.is_dir())}:
        if folder.is_dir() or not folder.exists():
            for name, data in (("goed.csv", GOOD), ("fout.csv", BAD), ("groot.csv", GOOD * 40)):
                if not (folder / name).exists():
                    put(folder / name, data)
    if os.geteuid() != 0 and layout is foreign_type_folder:
        pytest.skip("chown to another user needs root")
    return Folders(site / "inbox", site / "archive", site / "quarantine"), site, away


def delivery_log(wh: Warehouse) -> int:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM meta.delivery_log")).scalar()


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_a_file_below_an_unsafe_folder_is_left_alone(layout, tmp_path: Path, warehouse: Warehouse) -> None:
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    warehouse.ensure_schema(catalogue)
    folders, site, away = build(tmp_path, layout)
    # the day folder is checked where a file would be archived: before it is published (a refused file goes to
    # the quarantine, which is safe there)
    names = ("goed.csv",) if layout is archive_day else ("goed.csv", "fout.csv", "groot.csv")
    assert folders.problems(TYPE) or layout is archive_day, "the layout must be refused"
    before_away, before_site = tree(away), tree(site)
    regions = RegionIndex.from_code_list()
    for name in names:  # accepted, rejected, over the size limit (moved by rename)
        outcome = process_file(catalogue.get(TYPE), name, folders, warehouse, regions, limits=Limits(max_bytes=1000),
                               today=dt.date(2026, 11, 26))
        assert outcome.status == "unsafe", (name, outcome)
        assert "not opened" in outcome.reason and outcome.sha256 is None and outcome.stored_path is None
    assert tree(away) == before_away  # the link's target: same files, same bytes, same mtimes
    assert tree(site) == before_site  # and nothing created or moved on this side either
    assert delivery_log(warehouse) == 0


def test_problems_name_the_folder_and_why(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    (tmp_path / "real").mkdir()
    root.mkdir()
    (root / "a").symlink_to(tmp_path / "real")
    (root / "b").mkdir()
    os.chown(root / "b", FOREIGN_UID, -1) if os.geteuid() == 0 else None
    put(root / "c", b"")
    assert "a is a symbolic link" in unsafe_folder(root, root / "a" / "2026-12-07")
    assert unsafe_folder(root, root / "missing" / "deeper") is None  # created later, as real folders
    assert unsafe_folder(root, root) is None
    assert unsafe_folder(root, root / "c" / "d") is None  # a file: nothing below it opens (ENOTDIR)
    with pytest.raises(NotADirectoryError):
        os.lstat(root / "c" / "d")
    if os.geteuid() == 0:
        assert f"owned by uid {FOREIGN_UID}" in unsafe_folder(root, root / "b")
    assert "'..'" in unsafe_folder(root, root / ".." / "inbox")


def test_the_safe_layout_still_delivers(tmp_path: Path, warehouse: Warehouse) -> None:
    """The check refuses only what it must: real folders of ours (created by the run where missing) work."""
    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    warehouse.ensure_schema(catalogue)
    folders = Folders(tmp_path / "inbox", tmp_path / "archive", tmp_path / "quarantine")
    put(folders.inbox_for(TYPE) / "goed.csv", GOOD)
    put(folders.inbox_for(TYPE) / "groot.csv", GOOD * 40)
    assert folders.problems(TYPE) == []
    regions = RegionIndex.from_code_list()
    assert process_file(catalogue.get(TYPE), "goed.csv", folders, warehouse, regions).status == "accepted"
    moved = process_file(catalogue.get(TYPE), "groot.csv", folders, warehouse, regions, limits=Limits(max_bytes=1000))
    assert moved.status == "rejected" and moved.stored_path.read_bytes() == GOOD * 40


def test_a_folder_swapped_for_a_link_while_the_file_is_read(tmp_path: Path, warehouse: Warehouse, monkeypatch) -> None:
    """The folders are checked again just before anything is written or removed."""
    from ea_pipelines.deliveries import inbox

    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    warehouse.ensure_schema(catalogue)
    folders = Folders(tmp_path / "inbox", tmp_path / "archive", tmp_path / "quarantine")
    put(folders.inbox_for(TYPE) / "fout.csv", BAD)
    away = tmp_path / "elsewhere"
    read_once = inbox.read_once

    def read_then_swap(path: Path, *args, **kwargs):
        snap = read_once(path, *args, **kwargs)
        link(folders.quarantine, away)  # the quarantine root becomes a link after the read
        put(away / TYPE / "fout.csv", b"bait")
        return snap

    monkeypatch.setattr(inbox, "read_once", read_then_swap)
    outcome = process_file(catalogue.get(TYPE), "fout.csv", folders, warehouse, RegionIndex.from_code_list())
    assert outcome.status == "unsafe" and "quarantine is a symbolic link" in outcome.reason
    assert (folders.inbox_for(TYPE) / "fout.csv").read_bytes() == BAD  # still in the inbox
    assert sorted(tree(away)) == [TYPE, f"{TYPE}/fout.csv"]  # no reason file, no copy
    assert (away / TYPE / "fout.csv").read_bytes() == b"bait"


def test_sensor_and_asset_report_and_leave_a_symlinked_type_folder(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    defs = build_definitions(settings)
    away = tmp_path / "elsewhere"
    link(settings.inbox_dir / TYPE, away)
    put(away / "goed.csv", GOOD)
    put(settings.inbox_dir / "mkb_ranking" / "leeg.csv", b"")  # another type's folder is still watched
    before = tree(away)
    sensor = defs.resolve_sensor_def("inbox_sensor")
    with dg.build_sensor_context(resources=defs.resources) as ctx:
        requests = list(sensor(ctx) or [])
    assert [r.tags["ea/delivery_type"] for r in requests] == ["mkb_ranking"]
    job = defs.resolve_job_def("process_deliveries")
    key = dg.AssetKey(["deliveries", TYPE])
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=[key])
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert "is a symbolic link" in meta["unsafe_folders"].value and meta["files_accepted"].value == 0
    assert tree(away) == before

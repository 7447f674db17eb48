"""The inbox, archive and quarantine folders. Files are moved, never rewritten or deleted unseen.

A move within one file system is a rename (the bytes are untouched). Across file systems the file is
copied, flushed, checked against its hash, and only then removed from the inbox.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ea_pipelines.cbs.transport import write_atomic


@dataclass(frozen=True)
class Folders:
    inbox: Path
    archive: Path
    quarantine: Path

    def inbox_for(self, delivery_type: str) -> Path:
        return self.inbox / delivery_type


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pending(folder: Path, settle_seconds: float = 0.0) -> Iterator[Path]:
    """Files waiting in one inbox folder, oldest first. Hidden and Office lock files are left alone;
    files changed in the last ``settle_seconds`` may still be being written, and wait."""
    if not folder.is_dir():
        return
    now = time.time()
    entries = [p for p in folder.iterdir()
               if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".reason.txt")]
    for p in sorted(entries, key=lambda p: (p.stat().st_mtime, p.name)):
        if now - p.stat().st_mtime >= settle_seconds:
            yield p


def free_name(folder: Path, name: str, sha256: str) -> Path:
    """``folder/name``, or ``folder/<stem>.<hash prefix><suffix>`` when another file already has the name."""
    target = folder / name
    if not target.exists() or sha256_file(target) == sha256:
        return target
    p = Path(name)
    return folder / f"{p.stem}.{sha256[:12]}{p.suffix}"


def move(src: Path, dest: Path, sha256: str) -> Path:
    """Move ``src`` to ``dest`` without ever losing its bytes. Returns ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():  # the same bytes are already there (free_name checked): the inbox copy is redundant
        if sha256_file(dest) != sha256:
            raise FileExistsError(f"{dest} exists with other content")
        src.unlink()
        return dest
    try:
        os.rename(src, dest)
    except OSError:  # another file system: copy, verify, then remove
        tmp = dest.with_name(f".{dest.name}.part")
        shutil.copyfile(src, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if sha256_file(tmp) != sha256:
            tmp.unlink()
            raise OSError(f"copy of {src} to {dest} does not match its hash") from None
        os.replace(tmp, dest)
        src.unlink()
    return dest


def quarantine(src: Path, folders: Folders, delivery_type: str, sha256: str, reason: str) -> Path:
    """Move a refused file to quarantine, with ``<file>.reason.txt`` beside it."""
    folder = folders.quarantine / delivery_type
    folder.mkdir(parents=True, exist_ok=True)
    dest = free_name(folder, src.name, sha256)
    write_atomic(dest.with_name(dest.name + ".reason.txt"), reason.encode("utf-8"))
    return move(src, dest, sha256)


def archive_path(src: Path, folders: Folders, delivery_type: str, sha256: str, day: str) -> Path:
    return free_name(folders.archive / delivery_type / day, src.name, sha256)

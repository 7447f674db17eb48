"""The inbox, archive and quarantine folders. Files leave the inbox unchanged and are never lost.

A file is read once, with ``O_NOFOLLOW``, into memory (:func:`read_once`): those bytes are hashed,
parsed, and written to the archive or quarantine, and only then is the inbox file removed, if it is
still the file that was read. Anything in an inbox folder that is not a regular file (a symlink, a
folder, a pipe) is never opened: it is renamed into quarantine as it is. A file that changed in the
last ``settle_seconds`` (or while it was read) may still be being written, and waits.

The folders themselves are checked too (:func:`unsafe_folder`): from each configured root (inbox, archive,
quarantine) down to the folder a file is read from or written to, no component may be a symlink (``lstat``)
or a folder owned by another user than the one the pipeline runs as. ``O_NOFOLLOW`` only guards the last
component of a path: a symlinked type folder would otherwise lead reads, copies, renames and deletes into
whatever folder it points to. A file below an unsafe folder is left alone and reported, never opened.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ea_pipelines.files import write_atomic

NAME_MAX = 255  # bytes in one file name (ext4, xfs, tmpfs)
REASON_SUFFIX = ".reason.txt"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Folders:
    inbox: Path
    archive: Path
    quarantine: Path

    def inbox_for(self, delivery_type: str) -> Path:
        return self.inbox / delivery_type

    def problems(self, delivery_type: str) -> list[str]:
        """Why the folders of ``delivery_type`` cannot be used (inbox, archive and quarantine, each from its
        root down to the type's folder); empty when they can."""
        found = (unsafe_folder(root, root / delivery_type) for root in (self.inbox, self.archive, self.quarantine))
        return [p for p in found if p]

    def guard(self, folder: Path) -> None:
        """Raise :class:`UnsafeFolder` unless ``folder`` (below one of the three roots) is safe to use."""
        for root in (self.inbox, self.archive, self.quarantine):
            if folder == root or root in folder.parents:
                problem = unsafe_folder(root, folder)
                if problem:
                    raise UnsafeFolder(problem)
                return
        raise UnsafeFolder(f"{folder} is not below the inbox, archive or quarantine folder")


class UnsafeFolder(Exception):
    """A folder on the way to an inbox, archive or quarantine file is a symlink, not a folder, or owned by
    another user: nothing below it is read, written, renamed or deleted."""


def unsafe_folder(root: Path, folder: Path) -> str | None:
    """Why ``folder`` (``root`` itself or a folder below it) must not be used: the first component, from
    ``root`` down, that is a symbolic link or a folder not owned by the user this process runs as (checked
    with ``lstat``, so nothing is followed). None when each existing component is a real folder of ours;
    components that do not exist yet are fine (they are created as real folders), and below a component that
    is not a folder at all nothing can be opened (the operation fails and the file is logged as stuck)."""
    uid = os.geteuid()
    current = root
    for part in ("", *folder.relative_to(root).parts):
        current = current / part if part else root
        if part in ("..", "."):
            return f"{current}: '{part}' in the path"
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return f"{current} is a symbolic link (to {os.readlink(current)!r}); links are not followed"
        if not stat.S_ISDIR(st.st_mode):  # nothing below it can be opened (ENOTDIR): a move fails, as stuck
            return None
        if st.st_uid != uid:
            return f"{current} is owned by uid {st.st_uid}, not by the user the pipeline runs as (uid {uid})"
    return None


class NotSettled(Exception):
    """The file changed recently or while it was read: it may still be being written."""


class NotRegular(Exception):
    """The inbox entry is a symlink, folder, pipe or device: it is not opened."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Snapshot:
    """What was read of one inbox file: its bytes (None when over the size limit), size and hash."""

    data: bytes | None
    size: int
    sha256: str
    stat: os.stat_result


KINDS = {stat.S_IFLNK: "symlink", stat.S_IFDIR: "folder", stat.S_IFIFO: "pipe", stat.S_IFSOCK: "socket",
         stat.S_IFCHR: "device", stat.S_IFBLK: "device"}


def kind_of(st: os.stat_result) -> str:
    return "file" if stat.S_ISREG(st.st_mode) else KINDS.get(stat.S_IFMT(st.st_mode), "other")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _waiting(name: str) -> bool:
    return not name.startswith((".", "~$")) and not name.endswith(REASON_SUFFIX)


def pending(folder: Path, settle_seconds: float = 0.0) -> Iterator[Path]:
    """Entries waiting in one inbox folder, oldest first, judged by ``lstat`` (a symlink is not followed).
    Hidden and Office lock files are left alone; entries changed in the last ``settle_seconds`` wait."""
    if not folder.is_dir():
        return
    now = time.time()
    entries = []
    for entry in os.scandir(folder):
        if _waiting(entry.name):
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # taken by another run meanwhile
                continue
            entries.append((st.st_mtime, entry.name))
    for mtime, name in sorted(entries):
        if now - mtime >= settle_seconds:
            yield folder / name


def identity(path: Path) -> str:
    """The content hash of a regular file (read without following a symlink), else a key for the entry
    itself (``<kind>:<hash of name, inode, change time>``), so a sensor never opens what it must not."""
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        try:
            return read_once(path, 0, max_bytes=0).sha256
        except (NotRegular, NotSettled):
            pass
    return entry_key(path, st)


def entry_key(path: Path, st: os.stat_result) -> str:
    token = f"{path.name}\0{st.st_ino}\0{st.st_ctime_ns}".encode("utf-8", "surrogateescape")
    return f"{kind_of(st)}:{hashlib.sha256(token).hexdigest()[:32]}"


def read_once(path: Path, settle_seconds: float, max_bytes: int) -> Snapshot:
    """Read a settled regular file once. Over ``max_bytes`` it is only hashed (as a stream), not kept."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegular(kind_of(st))
    if time.time() - st.st_mtime < settle_seconds:
        raise NotSettled(path.name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a symlink after the lstat
            raise NotRegular("symlink") from None
        raise
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode) or (before.st_ino, before.st_dev) != (st.st_ino, st.st_dev):
            raise NotSettled(path.name)
        h, chunks, size = hashlib.sha256(), [], 0
        while chunk := os.read(fd, _CHUNK):
            h.update(chunk)
            size += len(chunk)
            if size <= max_bytes:
                chunks.append(chunk)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (size, before.st_mtime_ns):
        raise NotSettled(path.name)  # written to while it was read
    return Snapshot(b"".join(chunks) if size <= max_bytes else None, size, h.hexdigest(), before)


def fit_name(name: str, tail: str, sha256: str) -> str:
    """``name + tail`` if that fits in one file name, else a shortened name that still says which file
    (start of the name, ``~`` and the start of its hash, its suffix) followed by ``tail``."""
    whole = name + tail
    if len(whole.encode("utf-8", "surrogateescape")) <= NAME_MAX:
        return whole
    p = Path(name)
    suffix = p.suffix if len(p.suffix.encode("utf-8", "surrogateescape")) <= 16 else ""
    keep = NAME_MAX - len(f"~{sha256[:12]}{suffix}{tail}".encode("utf-8", "surrogateescape"))
    stem = p.stem.encode("utf-8", "surrogateescape")[:keep].decode("utf-8", "ignore")
    return f"{stem}~{sha256[:12]}{suffix}{tail}"


def free_name(folder: Path, name: str, sha256: str) -> Path:
    """``folder/name`` (shortened if too long), or with the hash prefix when another file has the name."""
    target = folder / fit_name(name, "", sha256)
    if not os.path.lexists(target) or (stat.S_ISREG(os.lstat(target).st_mode) and sha256_file(target) == sha256):
        return target  # free, or the same bytes (a symlink kept in quarantine is never followed)
    p = Path(name)
    return folder / fit_name(f"{p.stem}.{sha256[:12]}", p.suffix, sha256)


def store(data: bytes, dest: Path) -> Path:
    """Write ``data`` to ``dest`` durably (a long name is fine: the temporary name is short)."""
    return write_atomic(dest, data)


def remove_if_unchanged(path: Path, seen: os.stat_result) -> bool:
    """Remove the inbox file if it is still the one that was read; a newer version stays for the next run."""
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return True
    if (now.st_ino, now.st_dev, now.st_size, now.st_mtime_ns) != (
            seen.st_ino, seen.st_dev, seen.st_size, seen.st_mtime_ns):
        return False
    path.unlink()
    return True


def move(src: Path, dest: Path, sha256: str) -> Path:
    """Move a file too large to keep in memory to ``dest`` by rename (across file systems: copy, verify
    the hash, then remove). Returns ``dest``."""
    import shutil

    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():  # the same bytes are already there (free_name checked): the inbox copy is redundant
        if sha256_file(dest) != sha256:
            raise FileExistsError(f"{dest} exists with other content")
        src.unlink()
        return dest
    try:
        os.rename(src, dest)
    except OSError:
        tmp = dest.parent / f".part-{secrets.token_hex(6)}"
        shutil.copyfile(src, tmp, follow_symlinks=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if sha256_file(tmp) != sha256:
            tmp.unlink()
            raise OSError(f"copy of {src} to {dest} does not match its hash") from None
        os.replace(tmp, dest)
        src.unlink()
    return dest


def reason_path(dest: Path, sha256: str) -> Path:
    return dest.with_name(fit_name(dest.name, REASON_SUFFIX, sha256))


def archive_path(name: str, folders: Folders, delivery_type: str, sha256: str, day: str) -> Path:
    folders.guard(folders.archive / delivery_type / day)  # before free_name looks at (and hashes) what is there
    return free_name(folders.archive / delivery_type / day, name, sha256)


def quarantine_path(name: str, folders: Folders, delivery_type: str, sha256: str) -> Path:
    folders.guard(folders.quarantine / delivery_type)
    return free_name(folders.quarantine / delivery_type, name, sha256)

"""Crash-safe, conflict-aware replacement of a note file.

A note is the user's own document, so a write-back must never leave it half written
(power loss, full disk, Ctrl-C) and must never overwrite an edit the user made in their
editor after studyapp read the file.  Hence: write a temporary file in the same folder
(same filesystem, so ``os.replace`` is atomic), fsync it, swap it in, fsync the folder,
and check that the current file is still the one the caller read (its hash, or its
``file_identity`` compared again just before the swap).
The check-then-replace window is a few syscalls wide; closing it fully would need
locks that editors do not honour.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
import time
from pathlib import Path

__all__ = [
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "DiskFullError",
    "FileIdentity",
    "NotRegularFileError",
    "NoteWriteError",
    "ReadOnlyNoteError",
    "WriteConflict",
    "atomic_write",
    "cleanup_temp_files",
    "file_identity",
    "is_own_temp_name",
    "read_regular",
]

TEMP_PREFIX = ".studyapp-"
TEMP_SUFFIX = ".tmp"
#: Temp files are ``.studyapp-<32 hex>.tmp``: only names of exactly this shape are ever
#: deleted as leftovers, so a user's ``.studyapp-my-backup.tmp`` is never touched.
_TEMP_NAME = re.compile(r"\.studyapp-[0-9a-f]{32}\.tmp")
_NEW_FILE_MODE = 0o644
#: Windows refuses to replace a file another program has open (sharing violation);
#: virus scanners and sync tools hold notes for a few ms, so retry briefly.
_REPLACE_RETRIES = 10
_REPLACE_PAUSE_S = 0.05
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


class WriteConflict(Exception):
    """The file's content is not what the caller read: the user edited (or deleted) it meanwhile."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class NotRegularFileError(OSError):
    """A FIFO, socket, device or folder sits at a note's path: it is never opened for reading."""


class NoteWriteError(OSError):
    """A write-back failed for an OS reason; the note on disk is unchanged."""


class DiskFullError(NoteWriteError):
    """No space left (or quota exceeded) while writing the temporary copy."""


class ReadOnlyNoteError(NoteWriteError):
    """The note or its folder is read-only; studyapp respects that and does not write."""


#: What must be unchanged for a file to be "the bytes I read": device, inode, size,
#: mtime and ctime in ns.  ctime cannot be set from user space, so even a sync tool that
#: restores size and mtime after writing changes it.
FileIdentity = tuple[int, int, int, int, int]


def file_identity(st: os.stat_result) -> FileIdentity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def is_own_temp_name(name: str) -> bool:
    """Whether ``name`` is a temp file name this module creates (and may delete)."""
    return _TEMP_NAME.fullmatch(name) is not None


def read_regular(
    path: Path | str, limit: int | None = None, *, st: os.stat_result | None = None
) -> bytes:
    """The bytes of a regular file; never blocks on a FIFO or device at that path.

    ``open()`` of a FIFO waits forever for a writer, so the path is ``stat``-ed first,
    opened with ``O_NONBLOCK`` (closing the race where it is swapped for a FIFO after
    the check) and the open descriptor is ``fstat``-ed again.  With ``limit``, at most
    ``limit + 1`` bytes are read, so a huge file costs no more than the size check.
    ``st``: the caller's ``os.stat(path)`` of a moment ago, used as that first look.
    """
    if not stat.S_ISREG((os.stat(path) if st is None else st).st_mode):
        raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
        chunks: list[bytes] = []
        remaining = -1 if limit is None else limit + 1
        while remaining != 0:
            chunk = os.read(fd, 1 << 20 if remaining < 0 else min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            if remaining > 0:
                remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(read_regular(path)).hexdigest()


def _replace(src: Path | str, dst: Path | str) -> None:
    """``os.replace``, retried on Windows while another program holds ``dst`` open."""
    for attempt in range(_REPLACE_RETRIES):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if os.name != "nt" or attempt == _REPLACE_RETRIES - 1:
                raise
            time.sleep(_REPLACE_PAUSE_S)


def _make_temp(folder: str) -> tuple[int, str]:
    """Create ``.studyapp-<random>.tmp`` exclusively (0600, like ``mkstemp``)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(16)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def _translate(exc: OSError, path: Path | str) -> OSError:
    """Map the errno of a failed write to an exception whose message says what to do."""
    if exc.errno in _DISK_FULL:
        msg = "disk full (no space left on device); the note was not changed"
        return DiskFullError(exc.errno, msg, str(path))
    if exc.errno in _READ_ONLY:
        msg = "permission denied (file or folder is read-only); the note was not changed"
        return ReadOnlyNoteError(exc.errno, msg, str(path))
    return exc


def _fsync_dir(folder: Path | str) -> None:
    """Persist the rename itself; unsupported on some platforms (Windows), where it is skipped."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: Path | str,
    data: bytes,
    expected_sha256: str | None,
    *,
    expected_identity: FileIdentity | None = None,
    resolved: bool = False,
) -> os.stat_result:
    """Replace the file at ``path`` (the symlink's target, if it is one) with ``data``.

    ``expected_sha256`` is the hash of the bytes the caller based ``data`` on; when
    given, the current file is re-hashed first and :class:`WriteConflict` is raised if
    it differs or the file vanished.  ``expected_identity`` (:func:`file_identity` of
    the ``fstat`` taken when the caller read the bytes) replaces that re-read: it is
    compared once more right before the swap, after the temp file is written and
    fsynced, so any write by another program since the caller's read - an editor saving
    in place included - is a :class:`WriteConflict` and nothing is replaced.  A file
    without any write permission bit is treated as read-only even for root, because
    chmod 444 is how a user says "hands off".  ``resolved``: ``path`` is already the
    real path (the caller resolved it to check where it points); it is not walked again.
    Returns the ``fstat`` of the new file, taken after its fsync: its size and mtime
    are those of the bytes written (a rename keeps them), whatever another program
    does to the path afterwards.  (Paths are plain strings inside: this runs once per
    answer, and ``pathlib`` objects cost more than the syscalls' own Python.)
    """
    target = os.fspath(path) if resolved else os.path.realpath(path)
    folder = os.path.dirname(target)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(errno.EINVAL, "not a regular file", target)
    if expected_identity is not None and (st is None or file_identity(st) != expected_identity):
        raise WriteConflict(Path(target), "the file was changed since it was read")
    if expected_sha256 is not None and expected_identity is None:
        if st is None:
            raise WriteConflict(Path(target), "the file was deleted since it was read")
        if _sha256_file(Path(target)) != expected_sha256:
            raise WriteConflict(Path(target), "the file was changed since it was read")
    if st is not None and not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise ReadOnlyNoteError(
            errno.EACCES, "the note is read-only; the note was not changed", target
        )
    mode = stat.S_IMODE(st.st_mode) if st is not None else _NEW_FILE_MODE
    try:
        fd, tmp = _make_temp(folder)
    except OSError as exc:
        raise _translate(exc, target) from exc
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            if hasattr(os, "fchmod"):  # not on Windows, where the mode is only read-only or not
                os.fchmod(fd, mode)
            new_file = os.fstat(fd)
        finally:
            os.close(fd)
        if expected_identity is not None:
            # The second look, a temp write and an fsync after the first: the window in
            # which another program's write goes unnoticed is this stat and the rename.
            try:
                now = file_identity(os.stat(target))
            except FileNotFoundError:
                now = None
            if now != expected_identity:
                raise WriteConflict(Path(target), "the file was changed while it was being written")
        _replace(tmp, target)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _translate(exc, target) from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(folder)
    return new_file


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def cleanup_temp_files(folder: Path, *, recursive: bool = True) -> list[Path]:
    """Delete temporary files left by a write-back that was killed before ``os.replace``.

    Call it at start-up, while no other write-back of this notes folder can be running:
    a live temp file of a concurrent writer would be removed too.  Symlinks,
    directories and any name not of the exact ``.studyapp-<32 hex>.tmp`` shape are
    left alone.
    """
    pattern = f"{TEMP_PREFIX}*{TEMP_SUFFIX}"
    found = folder.rglob(pattern) if recursive else folder.glob(pattern)
    removed: list[Path] = []
    for candidate in sorted(found):
        if not is_own_temp_name(candidate.name):
            continue
        if candidate.is_symlink() or not candidate.is_file():
            continue
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue
        removed.append(candidate)
    return removed

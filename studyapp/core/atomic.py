"""Crash-safe, conflict-aware replacement of a note file.

A note is the user's own document, so a write-back must never leave it half written
(power loss, full disk, Ctrl-C) and must never overwrite an edit the user made in their
editor after studyapp read the file.  Hence: write a temporary file in the same folder
(same filesystem, so ``os.replace`` is atomic), fsync it, swap it in, fsync the folder,
and compare the current file's hash with the one the caller read just before swapping.
The check-then-replace window is a few syscalls wide; closing it fully would need
locks that editors do not honour.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = [
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "DiskFullError",
    "NoteWriteError",
    "ReadOnlyNoteError",
    "WriteConflict",
    "atomic_write",
    "cleanup_temp_files",
]

TEMP_PREFIX = ".studyapp-"
TEMP_SUFFIX = ".tmp"
_NEW_FILE_MODE = 0o644
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


class WriteConflict(Exception):
    """The file's content is not what the caller read: the user edited (or deleted) it meanwhile."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class NoteWriteError(OSError):
    """A write-back failed for an OS reason; the note on disk is unchanged."""


class DiskFullError(NoteWriteError):
    """No space left (or quota exceeded) while writing the temporary copy."""


class ReadOnlyNoteError(NoteWriteError):
    """The note or its folder is read-only; studyapp respects that and does not write."""


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _translate(exc: OSError, path: Path) -> OSError:
    """Map the errno of a failed write to an exception whose message says what to do."""
    if exc.errno in _DISK_FULL:
        msg = "disk full (no space left on device); the note was not changed"
        return DiskFullError(exc.errno, msg, str(path))
    if exc.errno in _READ_ONLY:
        msg = "permission denied (file or folder is read-only); the note was not changed"
        return ReadOnlyNoteError(exc.errno, msg, str(path))
    return exc


def _fsync_dir(folder: Path) -> None:
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


def atomic_write(path: Path, data: bytes, expected_sha256: str | None) -> None:
    """Replace the file at ``path`` (the symlink's target, if it is one) with ``data``.

    ``expected_sha256`` is the hash of the bytes the caller based ``data`` on; when
    given, the current file is re-hashed first and :class:`WriteConflict` is raised if
    it differs or the file vanished.  A file without any write permission bit is
    treated as read-only even for root, because chmod 444 is how a user says "hands off".
    """
    target = Path(os.path.realpath(path))
    try:
        st: os.stat_result | None = target.stat()
    except FileNotFoundError:
        st = None
    if expected_sha256 is not None:
        if st is None:
            raise WriteConflict(target, "the file was deleted since it was read")
        if _sha256_file(target) != expected_sha256:
            raise WriteConflict(target, "the file was changed since it was read")
    if st is not None and not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise ReadOnlyNoteError(
            errno.EACCES, "the note is read-only; the note was not changed", str(target)
        )
    mode = stat.S_IMODE(st.st_mode) if st is not None else _NEW_FILE_MODE
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise _translate(exc, target) from exc
    tmp = Path(tmp_name)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _translate(exc, target) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def cleanup_temp_files(folder: Path, *, recursive: bool = True) -> list[Path]:
    """Delete temporary files left by a write-back that was killed before ``os.replace``.

    Call it at start-up, while no other write-back of this notes folder can be running:
    a live temp file of a concurrent writer would be removed too.  Symlinks and
    directories with a matching name are left alone.
    """
    pattern = f"{TEMP_PREFIX}*{TEMP_SUFFIX}"
    found = folder.rglob(pattern) if recursive else folder.glob(pattern)
    removed: list[Path] = []
    for candidate in sorted(found):
        if candidate.is_symlink() or not candidate.is_file():
            continue
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue
        removed.append(candidate)
    return removed

"""One writer per collection.

Two studyapp processes answering cards on the same database would both write the
same notes.  The writer takes an exclusive lock on ``<db>.lock`` for its whole life;
a second writer fails at once with a message naming the holder, instead of waiting
silently.  Readers (``due``, ``stats``) need no lock: SQLite's WAL lets them read
while the writer writes.

POSIX uses ``flock`` on the lock file, which also holds the holder's pid.  Where
``fcntl`` does not exist (Windows) the maintained cross-platform ``filelock`` takes
the same role, with the pid beside it in ``<db>.lock.pid`` (filelock truncates its
own file when it tries, which would erase the holder's pid).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class CollectionLocked(Exception):
    """Another studyapp process holds the writer lock."""


class WriterLock:
    def __init__(self, db_path: Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self._handle: IO[str] | None = None
        self._portable: Any = None

    def _locked(self, holder: str) -> CollectionLocked:
        return CollectionLocked(
            f"{self.path.with_suffix('')}: in use by another studyapp (pid {holder or 'unknown'}); "
            "close it and try again"
        )

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            self._acquire_portable()
            return
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise self._locked(holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def _acquire_portable(self) -> None:
        from filelock import FileLock, Timeout

        pid_file = Path(f"{self.path}.pid")
        lock = FileLock(str(self.path), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            try:
                holder = pid_file.read_text(encoding="utf-8").strip()
            except OSError:
                holder = ""
            raise self._locked(holder) from None
        pid_file.write_text(str(os.getpid()), encoding="utf-8")
        self._portable = lock

    def release(self) -> None:
        if self._handle is not None:
            if fcntl is not None:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
        if self._portable is not None:
            self._portable.release()
            self._portable = None

"""One writer per collection.

Two studyapp processes answering cards on the same database would both write the
same notes.  The writer takes an exclusive ``flock`` on ``<db>.lock`` for its whole
life; a second writer fails at once with a message naming the holder, instead of
waiting silently.  Readers (``due``, ``stats``) need no lock: SQLite's WAL lets them
read while the writer writes.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class CollectionLocked(Exception):
    """Another studyapp process holds the writer lock."""


class WriterLock:
    def __init__(self, db_path: Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise CollectionLocked(
                f"{self.path.with_suffix('')}: in use by another studyapp (pid {holder}); "
                "close it and try again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

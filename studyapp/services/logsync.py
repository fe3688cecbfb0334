"""The event log's fsync, off the answer path: one fdatasync per burst of appends.

Kept apart from :mod:`studyapp.services.eventlog` (what a line says and when it is
written) because it is a small concurrent component of its own: a daemon thread,
a condition variable and the promise that :meth:`_Syncer.flush` returns only once
every appended line is on disk.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading

__all__ = ["SYNCER"]


class _Syncer:
    """fdatasyncs appended log files on a writer thread, shortly after the appends.

    The answer path pays only ``write()`` (the line is then in the page cache: it
    survives the process being killed); the fsync that makes it survive a power loss
    follows off the path.  A line lost to a power cut before its fsync is re-appended
    from the database at the next start (``eventsync``): the answer's own commit, with
    the line in ``events``, is FULL.  So the thread waits ``COALESCE_S`` after the
    first append before syncing, and one fdatasync covers every append of a burst;
    only the first append of a burst wakes it (each wake-up took the GIL and the disk
    from the answer in progress).  :meth:`flush` syncs at once.
    """

    #: How long the thread lets appends gather before one fdatasync covers them all.
    COALESCE_S = 0.02

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._dirty: set[str] = set()
        self._busy = 0
        self._urgent = 0  # flush() calls waiting: sync without the gathering pause
        self._thread: threading.Thread | None = None

    def request(self, path: str) -> None:
        with self._cond:
            first = not self._dirty
            self._dirty.add(path)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="studyapp-log-fsync", daemon=True
                )
                self._thread.start()
                atexit.register(self.flush)
            if first:
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._dirty:
                    self._cond.wait()
                self._cond.wait_for(lambda: self._urgent > 0, self.COALESCE_S)
                paths, self._dirty = self._dirty, set()
                self._busy += 1
            try:
                for path in paths:
                    _fsync_path(path)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every appended line has been fsync'd (tests, close, exit)."""
        with self._cond:
            self._urgent += 1
            self._cond.notify_all()
            try:
                self._cond.wait_for(lambda: not self._dirty and not self._busy, timeout)
            finally:
                self._urgent -= 1


def _fsync_path(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            (getattr(os, "fdatasync", None) or os.fsync)(fd)
        finally:
            os.close(fd)


SYNCER = _Syncer()

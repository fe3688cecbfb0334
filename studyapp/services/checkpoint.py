"""WAL checkpoints off the answer path (issue 13).

SQLite's automatic checkpoint (every 1,000 WAL frames, ~30 answers) runs inside the
commit that crosses the limit: that answer pays ~9 ms for copying the WAL into the
database and fsyncing it, which is what the review loop's p95 is made of.  A
:class:`Checkpointer` runs the same PASSIVE checkpoint on a thread with a connection of
its own, asked for every :attr:`Checkpointer.EVERY` answers: the WAL is copied back
(and restarts from its beginning) long before it reaches the automatic limit, so no
answer crosses it.

Durability is unchanged: every answer's commit is still ``synchronous = FULL`` and on
disk when it returns; a checkpoint only moves committed frames into the database file,
with the fsyncs SQLite always does (the thread's connection is FULL as well).  The
automatic checkpoint stays on for every connection as the backstop: if the thread
falls behind (or is gone), the WAL is bounded exactly as before.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote


class Checkpointer:
    """PASSIVE ``wal_checkpoint`` on a daemon thread, asked for by :meth:`poke`."""

    #: Answers between two checkpoints: ~30 WAL frames each, so ~500 frames, half the
    #: automatic limit (the backstop), and a few ms of disk work on the thread.
    EVERY = 16

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._count = 0
        self._wake = threading.Event()
        self._stop = False
        self._pending = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Checkpoints run (tests and the benchmark read it).
        self.runs = 0

    def poke(self) -> None:
        """One answer was committed; every :attr:`EVERY` answers the thread checkpoints."""
        self._count += 1
        if self._count < self.EVERY:
            return
        self._count = 0
        with self._lock:
            if self._stop:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="studyapp-wal-checkpoint", daemon=True
                )
                self._thread.start()
            self._pending = True
        self._wake.set()

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.db_path.resolve()))}?mode=rw"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        # FULL as everywhere: the checkpoint fsyncs the WAL before copying it and the
        # database after, so restarting the WAL can never lose a committed answer.
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                with self._lock:
                    pending, self._pending = self._pending, False
                if not pending:
                    if self._stop:
                        return
                    continue
                try:
                    if conn is None:
                        conn = self._connect()
                    # PASSIVE never waits for readers or writers (no busy handler): an
                    # answer committing meanwhile is not held up, and what this pass
                    # could not copy the next one (or the automatic backstop) does.
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:
                    # The database went away or is being replaced: the answer path
                    # reports that; the automatic checkpoint remains the backstop.
                    if conn is not None:
                        conn.close()
                        conn = None
                if self._stop:
                    return
        finally:
            if conn is not None:
                conn.close()

    def close(self) -> None:
        """Stop the thread and close its connection; a checkpoint already asked for runs first."""
        with self._lock:
            self._stop = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()

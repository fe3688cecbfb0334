"""WAL checkpoints off the answer path (issue 13).

SQLite's automatic checkpoint (every 1,000 WAL frames, ~30 answers) runs inside the
commit that crosses the limit: that answer pays ~9 ms for copying the WAL into the
database and fsyncing it, which is what the review loop's p95 was made of.  A
:class:`Checkpointer` runs the same PASSIVE checkpoint on a thread with a connection of
its own: once :attr:`~Checkpointer.EVERY` answers have been committed since the last
one, as soon as answering pauses for :attr:`~Checkpointer.IDLE_S` (a person reading the
next card), and at the latest after :attr:`~Checkpointer.FORCE` answers even without a
pause (a burst), so the WAL restarts from its beginning long before the automatic
limit and no answer ever crosses it.

Durability is unchanged: every answer's commit is still ``synchronous = FULL`` and on
disk when it returns; a checkpoint only moves committed frames into the database file,
with the fsyncs SQLite always does (the thread's connection is FULL as well).  The
automatic checkpoint stays on for every connection as the backstop: if the thread
falls behind (or is gone), the WAL is bounded exactly as before.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import quote


class Checkpointer:
    """PASSIVE ``wal_checkpoint`` on a daemon thread, asked for by :meth:`poke`."""

    #: Answers (~30 WAL frames each) before a checkpoint is wanted.
    EVERY = 8
    #: Seconds without an answer after which a wanted checkpoint runs.
    IDLE_S = 0.2
    #: Answers after which it runs even while answers keep coming (~500 frames: half the
    #: automatic limit, the backstop).
    FORCE = 16

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._since = 0  # answers since the last checkpoint began
        self._last = 0.0  # monotonic time of the last answer
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        #: Checkpoints run (tests and the benchmark read it).
        self.runs = 0

    def poke(self) -> None:
        """One answer was committed (called after its write-back)."""
        with self._cond:
            self._since += 1
            self._last = time.monotonic()
            if self._since < self.EVERY or self._stop:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="studyapp-wal-checkpoint", daemon=True
                )
                self._thread.start()
            if self._since in (self.EVERY, self.FORCE):
                self._cond.notify_all()

    def _due(self) -> float | None:
        """0 when a checkpoint should run now, else seconds to wait (None: until poked)."""
        if self._since < self.EVERY:
            return 0.0 if self._stop and self._since else None
        if self._stop or self._since >= self.FORCE:
            return 0.0
        return max(0.0, self.IDLE_S - (time.monotonic() - self._last))

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
                with self._cond:
                    while (wait := self._due()) != 0.0:
                        if wait is None and self._stop:
                            return
                        self._cond.wait(wait)
                    self._since = 0
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
        finally:
            if conn is not None:
                conn.close()

    def close(self) -> None:
        """Stop the thread and close its connection; answers not yet checkpointed are
        checkpointed first (as closing the database's last connection does anyway)."""
        with self._cond:
            self._stop = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join()

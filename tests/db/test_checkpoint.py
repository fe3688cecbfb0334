"""WAL checkpoints run on their own thread, not inside an answer (issue 13)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from studyapp.services.checkpoint import Checkpointer
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id


def _wal_frames(db: Path) -> int:
    """Frames in the WAL (a PASSIVE checkpoint on a connection of its own reports them)."""
    conn = sqlite3.connect(db)
    try:
        _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    return int(frames)


def test_answers_ask_the_thread_for_checkpoints(coll: Collection) -> None:
    import_notes(coll)
    checkpointer = coll.checkpointer
    assert checkpointer is not None
    svc = ReviewService(coll)
    queue = [item.card_id for item in svc.due_items()]
    assert len(queue) > Checkpointer.EVERY
    sid = new_session_id()
    for card_id in queue[: Checkpointer.EVERY - 1]:
        svc.record(card_id, 4, session_id=sid)
    assert checkpointer.runs == 0 and checkpointer._thread is None
    svc.record(queue[Checkpointer.EVERY - 1], 4, session_id=sid)
    thread = checkpointer._thread
    assert thread is not None and thread.daemon
    coll.close()  # waits for the checkpoint in progress and stops the thread
    assert not thread.is_alive()
    assert checkpointer.runs == 1


def test_checkpoint_copies_the_wal_back(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (v TEXT)")
    for i in range(50):
        conn.execute("INSERT INTO t VALUES (?)", (str(i),))
    checkpointer = Checkpointer(db)
    checkpointer.EVERY = 1
    checkpointer.poke()
    checkpointer.close()
    assert checkpointer.runs == 1
    # Everything was copied back: the next write restarts the WAL from its beginning.
    conn.execute("INSERT INTO t VALUES ('after')")
    assert _wal_frames(db) <= 2
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 51
    conn.close()


def _wal_db(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    db = tmp_path / "w.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES ('x')")
    return db, conn


def _wait_for_runs(checkpointer: Checkpointer, runs: int) -> None:
    deadline = time.monotonic() + 30  # a generous bound for a loaded machine, not a timing
    while checkpointer.runs < runs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.runs == runs


def test_a_pause_in_answering_runs_the_wanted_checkpoint(tmp_path: Path) -> None:
    db, conn = _wal_db(tmp_path)
    checkpointer = Checkpointer(db)
    checkpointer.EVERY, checkpointer.IDLE_S, checkpointer.FORCE = 2, 0.01, 10**6
    checkpointer.poke()
    time.sleep(0.05)
    assert checkpointer.runs == 0  # not wanted yet: one answer
    checkpointer.poke()
    _wait_for_runs(checkpointer, 1)  # wanted, and answering paused
    checkpointer.close()
    conn.close()


def test_a_burst_of_answers_does_not_postpone_it_past_force(tmp_path: Path) -> None:
    db, conn = _wal_db(tmp_path)
    checkpointer = Checkpointer(db)
    checkpointer.EVERY, checkpointer.IDLE_S, checkpointer.FORCE = 1, 10**6, 3
    for _ in range(3):
        checkpointer.poke()  # never idle for IDLE_S
    _wait_for_runs(checkpointer, 1)
    checkpointer.close()
    assert checkpointer.runs == 1  # nothing answered since: close adds none
    conn.close()


def test_a_closed_checkpointer_starts_no_thread(tmp_path: Path) -> None:
    checkpointer = Checkpointer(tmp_path / "none.sqlite3")
    checkpointer.close()
    checkpointer.EVERY = 1
    checkpointer.poke()
    assert checkpointer._thread is None


def test_a_vanished_database_does_not_kill_the_thread(tmp_path: Path) -> None:
    checkpointer = Checkpointer(tmp_path / "missing.sqlite3")  # mode=rw: never created
    checkpointer.EVERY = 1
    checkpointer.poke()
    checkpointer.close()
    assert checkpointer.runs == 0
    assert not (tmp_path / "missing.sqlite3").exists()

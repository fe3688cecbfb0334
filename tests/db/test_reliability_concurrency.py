"""Concurrency (issue "Proof"): the user's editor and a second studyapp during a session.

(a) The user saves a note between the moment the queue is built and the answer (or
    even while the write-back runs): the edit survives and the schedule is written
    into the edited file.
(b) Two studyapp processes on one database: the second writer fails at once with a
    message naming the lock, nothing is corrupted, and readers keep working while the
    writer holds the lock (and even while it is inside a write transaction).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import studyapp.db.engine as db_engine
from studyapp.core.frontmatter_io import load_meta, split_note
from studyapp.core.schedule_edit import ScheduleEdit
from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services import lock as lock_mod
from studyapp.services import writeback
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.lock import CollectionLocked
from studyapp.services.review import ReviewService, new_session_id
from tests.conftest import REPO
from tests.db.conftest import TODAY, fixed_clock

# --------------------------------------------------------------------- helpers


def _first_note_in_queue(coll: Collection) -> tuple[ReviewService, int, Path]:
    """Build today's queue the way a session does; its first note card and the note's path."""
    svc = ReviewService(coll)
    queue = svc.due_items(kind="note")
    assert queue
    view = svc.card(queue[0].card_id)
    assert view.note_path
    return svc, view.id, coll.notes_dir / view.note_path


def _user_edit(path: Path, *, keep_size_and_mtime: bool = False) -> bytes:
    """What the user's editor saves: a frontmatter key changed, the body extended (or, for a
    sync tool, one body character replaced with mtime and size preserved)."""
    data = path.read_bytes()
    st = path.stat()
    if keep_size_and_mtime:
        parts = split_note(data)
        body = data[parts.body_start :]
        i = body.index(b"#")
        edited = data[: parts.body_start] + body[:i] + b"%" + body[i + 1 :]  # '# T' -> '% T'
        assert len(edited) == len(data)
        path.write_bytes(edited)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        return edited
    edited = re.sub(rb"(?m)^difficulty: .*$", b"difficulty: hard  # changed by me", data, count=1)
    assert edited != data
    edited += "\n## 我刚加的补充\n\n用户在复习途中写下的新段落。\n".encode()
    path.write_bytes(edited)
    return edited


def _assert_schedule_in_edited_file(
    coll: Collection, card_id: int, path: Path, edited: bytes
) -> None:
    data = path.read_bytes()
    meta, _, parts = load_meta(path.name, data)
    old_meta, _, old_parts = load_meta(path.name, edited)
    assert data[parts.body_start :] == edited[old_parts.body_start :], (
        "the user's body edit was lost"
    )
    assert meta.difficulty == old_meta.difficulty and meta.extra == old_meta.extra
    assert meta.review_count == old_meta.review_count + 1 and meta.last_reviewed == TODAY
    with coll.session() as s:
        card = s.get(Card, card_id)
        assert card is not None
        note = s.get(Note, card.note_id)
        assert note is not None
        assert meta.next_review == card.due == note.next_review
        assert note.body == data[parts.body_start :].decode()  # the database saw the edit too
        assert (
            s.scalar(
                select(func.count())
                .select_from(ReviewLog)
                .where(ReviewLog.writeback.in_(writeback.OWED))
            )
            == 0
        )


# --------------------------------------------------------------------- (a) user edits


def test_edit_between_queue_and_answer_survives(coll: Collection) -> None:
    import_notes(coll)
    svc, card_id, path = _first_note_in_queue(coll)
    edited = _user_edit(path)
    result = svc.record(card_id, 4, session_id=new_session_id())
    assert result.writeback == "done", result.message
    _assert_schedule_in_edited_file(coll, card_id, path, edited)
    assert b"difficulty: hard  # changed by me" in path.read_bytes()


def test_same_size_edit_with_preserved_mtime_is_never_overwritten(coll: Collection) -> None:
    """Whatever else happens, the sync tool's edit is not overwritten and the answer is kept."""
    import_notes(coll)
    svc, card_id, path = _first_note_in_queue(coll)
    edited = _user_edit(path, keep_size_and_mtime=True)
    result = svc.record(card_id, 3, session_id=new_session_id())
    data = path.read_bytes()
    parts = split_note(data)
    assert data[parts.body_start :] == edited[split_note(edited).body_start :]
    with coll.session() as s:
        assert s.get(Card, card_id).due == result.after.due  # type: ignore[union-attr]


def test_same_size_edit_with_preserved_mtime_survives(coll: Collection) -> None:
    """A sync tool keeps mtime and size: the hash, not the stat, must notice the edit."""
    import_notes(coll)
    svc, card_id, path = _first_note_in_queue(coll)
    edited = _user_edit(path, keep_size_and_mtime=True)
    result = svc.record(card_id, 3, session_id=new_session_id())
    assert result.writeback == "done", result.message
    _assert_schedule_in_edited_file(coll, card_id, path, edited)


def test_edit_while_the_write_back_runs_survives(
    coll: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor saves after studyapp read the note but before it swapped the new bytes in."""
    import_notes(coll)
    svc, card_id, path = _first_note_in_queue(coll)
    real_edit_schedule = writeback.edit_schedule
    saved: list[bytes] = []

    def user_saves_meanwhile(data: bytes, values: dict) -> ScheduleEdit:  # type: ignore[type-arg]
        new = real_edit_schedule(data, values)
        if not saved:
            saved.append(_user_edit(path))
        return new

    monkeypatch.setattr(writeback, "edit_schedule", user_saves_meanwhile)
    result = svc.record(card_id, 5, session_id=new_session_id())
    assert result.writeback == "done", result.message
    _assert_schedule_in_edited_file(coll, card_id, path, saved[0])


def test_note_deleted_during_session_keeps_the_answer(coll: Collection) -> None:
    import_notes(coll)
    svc, card_id, path = _first_note_in_queue(coll)
    original = path.read_bytes()
    path.unlink()
    result = svc.record(card_id, 4, session_id=new_session_id())
    assert result.writeback == "deferred" and result.message
    assert "later" in result.message and "\n" not in result.message
    assert not path.exists()  # never re-created behind the user's back
    with coll.session() as s:
        assert s.get(Card, card_id).due == result.after.due  # type: ignore[union-attr]
    path.write_bytes(original)  # restored from the trash
    assert writeback.finish_pending(coll) == []
    meta, _, _ = load_meta(path.name, path.read_bytes())
    assert meta.review_count == 1 and meta.next_review == result.after.due


def test_user_rescheduling_edit_during_session_leaves_db_and_note_agreeing(
    coll: Collection,
) -> None:
    """The user edits next_review by hand mid-session, then answers: whichever wins, the card's
    due date, the database's note row and the note's frontmatter must agree."""
    import_notes(coll)
    svc, card_id, path = _first_note_in_queue(coll)
    data = path.read_bytes()
    edited = re.sub(rb"(?m)^next_review: .*$", b"next_review: '2027-01-01'", data, count=1)
    path.write_bytes(edited + "\n用户的新段落\n".encode())
    result = svc.record(card_id, 4, session_id=new_session_id())
    assert result.writeback == "done"
    meta, _, _ = load_meta(path.name, path.read_bytes())
    with coll.session() as s:
        card = s.get(Card, card_id)
        note = s.get(Note, card.note_id)  # type: ignore[union-attr]
        assert card.due == note.next_review == meta.next_review  # type: ignore[union-attr]


# --------------------------------------------------------------------- (b) two processes

HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    from datetime import date
    from studyapp.services.collection import Collection
    from studyapp.services.importer import import_notes

    db, notes, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    coll = Collection.open(db, notes, today_override=date(2026, 11, 25))
    coll.acquire_writer()
    import_notes(coll)
    if mode == "in_transaction":  # the writer is in the middle of writing
        con = sqlite3.connect(db, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE cards SET reps = reps WHERE id = 1")
    print("held", flush=True)
    sys.stdin.readline()
    """
)


@pytest.fixture
def holder(tmp_path: Path, notes_dir: Path) -> Iterator[object]:
    """Start another studyapp process that holds the writer lock (optionally mid-transaction)."""
    procs: list[subprocess.Popen[str]] = []

    def start(mode: str = "idle") -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(tmp_path / "db.sqlite3"), str(notes_dir), mode],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "held", proc.stderr.read() if proc.stderr else ""
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.md"))}


def test_second_writer_fails_at_once_naming_the_lock(
    holder, tmp_path: Path, notes_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    proc = holder()
    before = _snapshot(notes_dir)
    coll = Collection.open(
        tmp_path / "db.sqlite3", notes_dir, today_override=TODAY, clock=fixed_clock
    )
    try:
        # "At once", without a clock: the lock is tried once, non-blocking (LOCK_NB), so
        # there is nothing to wait on.
        fcntl = lock_mod.fcntl  # None on Windows: filelock with timeout=0 (see lock.py)
        tries: list[int] = []
        with pytest.MonkeyPatch.context() as patch, pytest.raises(CollectionLocked) as info:
            if fcntl is not None:
                real_flock = fcntl.flock

                def trying(fd: int, operation: int) -> None:
                    tries.append(operation)
                    real_flock(fd, operation)

                patch.setattr(fcntl, "flock", trying)
            coll.acquire_writer()
        if fcntl is not None:
            assert tries == [fcntl.LOCK_EX | fcntl.LOCK_NB]
        message = str(info.value)
        assert "in use by another studyapp" in message and f"pid {proc.pid}" in message
        assert str(tmp_path / "db.sqlite3") in message and "\n" not in message
        assert not coll.is_writer
        # a reader still works while the other process writes
        assert ReviewService(coll).due_items(kind="note")
    finally:
        coll.close()
    proc.stdin.write("\n")  # type: ignore[union-attr]
    proc.stdin.flush()  # type: ignore[union-attr]
    assert proc.wait(30) == 0
    assert _snapshot(notes_dir) == before
    with sqlite3.connect(tmp_path / "db.sqlite3") as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # the lock is free again: the next writer gets it
    coll = Collection.open(
        tmp_path / "db.sqlite3", notes_dir, today_override=TODAY, clock=fixed_clock
    )
    try:
        coll.acquire_writer()
        assert coll.is_writer
    finally:
        coll.close()


def test_killed_writer_releases_the_lock(holder, tmp_path: Path, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A SIGKILLed writer leaves its pid in the lock file but not the lock: no stale-lock dance."""
    proc = holder()
    proc.kill()
    proc.wait()
    coll = Collection.open(
        tmp_path / "db.sqlite3", notes_dir, today_override=TODAY, clock=fixed_clock
    )
    try:
        coll.acquire_writer()
        assert Path(f"{tmp_path / 'db.sqlite3'}.lock").read_text() == str(os.getpid())
    finally:
        coll.close()


def test_reader_works_while_the_writer_is_mid_transaction(
    holder, tmp_path: Path, notes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    holder("in_transaction")
    # WAL: the reader never waits for the writer.  Checked without a clock: with no busy
    # timeout at all, any statement that had to wait for the writer's lock would fail at
    # once with "database is locked" instead of waiting.
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_MS", 0)
    coll = Collection.open(
        tmp_path / "db.sqlite3", notes_dir, today_override=TODAY, clock=fixed_clock
    )
    try:
        items = ReviewService(coll).due_items()
        assert items
        with coll.session() as s:
            assert s.scalar(select(func.count()).select_from(Note)) == len(_snapshot(notes_dir))
            assert s.scalar(text("PRAGMA busy_timeout")) == 0
            assert s.scalar(text("PRAGMA journal_mode")) == "wal"
        # ...as a statement that needs the writer's lock does here:
        with pytest.raises(Exception, match="locked"), coll.session() as s, s.begin():
            s.execute(text("UPDATE cards SET reps = reps WHERE id = 1"))
    finally:
        coll.close()

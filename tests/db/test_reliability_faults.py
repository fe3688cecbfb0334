"""Faults during a review (issue "Proof"): each gives a clear one-line message, keeps the
review in the database, leaves the note as it was, and once the fault is gone
``finish_pending`` writes what is owed.

Covered: read-only note, read-only folder, disk full (in ``write`` and in ``fsync``),
quota exceeded, notes folder missing (unmounted / renamed), database locked by another
program (one wait of the busy timeout, no retry), database file deleted mid-session.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import studyapp.db.engine as db_engine
from studyapp.core import atomic
from studyapp.core.frontmatter_io import load_meta
from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services import collection as collection_mod
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id
from studyapp.services.writeback import finish_pending
from tests.db.conftest import TODAY, fixed_clock

# --------------------------------------------------------------------- helpers


class _OsWithFault:
    """``studyapp.core.atomic.os`` with one function failing with an errno (the rest is real)."""

    def __init__(self, name: str, err: int) -> None:
        self._name, self._err = name, err

    def __getattr__(self, attr: str) -> Any:
        if attr == self._name:

            def fail(*_args: Any, **_kwargs: Any) -> Any:
                raise OSError(self._err, os.strerror(self._err))

            return fail
        return getattr(os, attr)


def _note_card(coll: Collection) -> tuple[int, Path]:
    with coll.session() as s:
        card_id, rel = s.execute(
            select(Card.id, Note.path).join(Note).where(Card.kind == "note").order_by(Note.path)
        ).first()  # type: ignore[misc]
    return card_id, coll.notes_dir / rel


def _log_count(coll: Collection) -> int:
    with coll.session() as s:
        return int(s.scalar(select(func.count()).select_from(ReviewLog)) or 0)


Fault = Callable[[Path, Path, pytest.MonkeyPatch], Callable[[], None]]  # install -> remove


def _read_only_note(path: Path, _notes: Path, _mp: pytest.MonkeyPatch) -> Callable[[], None]:
    path.chmod(0o444)
    return lambda: path.chmod(0o644)


def _read_only_folder(path: Path, _notes: Path, _mp: pytest.MonkeyPatch) -> Callable[[], None]:
    path.parent.chmod(0o555)
    return lambda: path.parent.chmod(0o755)


def _os_fault(name: str, err: int) -> Fault:
    def install(_path: Path, _notes: Path, mp: pytest.MonkeyPatch) -> Callable[[], None]:
        mp.setattr(atomic, "os", _OsWithFault(name, err))
        return mp.undo

    return install


def _folder_missing(_path: Path, notes: Path, _mp: pytest.MonkeyPatch) -> Callable[[], None]:
    away = notes.with_name("notes-unmounted")
    notes.rename(away)
    return lambda: away.rename(notes)


FAULTS: dict[str, tuple[Fault, str]] = {
    "read_only_note": (_read_only_note, "read-only"),
    "read_only_folder": (_read_only_folder, "read-only"),
    "disk_full_in_write": (_os_fault("write", errno.ENOSPC), "disk full"),
    "disk_full_in_fsync": (_os_fault("fsync", errno.ENOSPC), "disk full"),
    "quota_exceeded": (_os_fault("write", errno.EDQUOT), "disk full"),
    "notes_folder_missing": (_folder_missing, "No such file"),
}


# --------------------------------------------------------------------- file faults


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_keeps_the_review_and_finish_pending_writes_it_later(
    fault: str, coll: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fault == "read_only_folder" and os.geteuid() == 0:
        pytest.skip("root ignores folder permissions (the read-only *note* case covers root)")
    install, expected = FAULTS[fault]
    import_notes(coll)
    card_id, path = _note_card(coll)
    original = path.read_bytes()
    remove = install(path, coll.notes_dir, monkeypatch)
    try:
        result = ReviewService(coll).record(card_id, 4, session_id=new_session_id())
        assert result.writeback == "deferred"
        assert result.message and "\n" not in result.message
        assert expected in result.message and "kept" in result.message and "later" in result.message
        # a later start while the fault is still there: still owed, said again, nothing lost
        again = finish_pending(coll)
        assert len(again) == 1 and expected in again[0]
    finally:
        remove()
    assert path.read_bytes() == original  # untouched while the fault lasted
    assert not list(coll.notes_dir.rglob(".studyapp-*.tmp"))
    with coll.session() as s:
        log = s.scalars(select(ReviewLog)).one()
        assert log.writeback == "deferred" and log.writeback_error
        assert s.get(Card, card_id).due == result.after.due  # type: ignore[union-attr]

    assert finish_pending(coll) == []  # the fault is gone: the owed review is written
    meta, _, _ = load_meta(path.name, path.read_bytes())
    assert meta.review_count == 1 and meta.next_review == result.after.due
    assert meta.last_reviewed == TODAY
    with coll.session() as s:
        log = s.scalars(select(ReviewLog)).one()
        assert log.writeback == "done" and log.writeback_error is None
        assert s.scalar(select(Note.review_count).where(Note.id == log.note_id)) == 1


def test_import_of_a_missing_notes_folder_is_refused_and_marks_nothing_missing(
    coll: Collection,
) -> None:
    import_notes(coll)
    away = coll.notes_dir.with_name("away")
    coll.notes_dir.rename(away)
    try:
        with pytest.raises(FileNotFoundError, match="notes folder not found"):
            import_notes(coll)
    finally:
        away.rename(coll.notes_dir)
    with coll.session() as s:
        assert not s.scalar(select(func.count()).select_from(Note).where(Note.missing.is_(True)))


# --------------------------------------------------------------------- database locked


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> int:
    """The real timeout is 5 s; the behaviour is the same with 300 ms and the suite stays fast."""
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_MS", 300)
    return 300


def _exclusive(db: Path) -> sqlite3.Connection:
    """Another program (a sqlite3 shell, a backup tool) holding an exclusive transaction."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    return con


def _count_locked_errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQLite "locked"/"busy" error the collection turns into its one-line message.

    Each is one statement that waited out the busy timeout and gave up: their number, not
    a clock, says how long an answer can wait.
    """
    seen: list[str] = []
    real = db_engine.translate_error

    def counting(db_path: str, original: BaseException) -> Any:
        error = real(db_path, original)
        if error is not None and "locked" in str(error):
            seen.append(str(original))
        return error

    monkeypatch.setattr(db_engine, "translate_error", counting)  # the engine's hook
    monkeypatch.setattr(collection_mod, "translate_error", counting)  # the hot path
    return seen


def test_database_locked_fails_within_the_busy_timeout_and_changes_nothing(
    short_busy_timeout: int, coll: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_notes(coll)
    card_id, path = _note_card(coll)
    original = path.read_bytes()
    con = _exclusive(coll.db_path)
    try:
        locked = _count_locked_errors(monkeypatch)
        with pytest.raises(Exception, match="locked"):
            ReviewService(coll).record(card_id, 4, session_id=new_session_id())
        # No hang, without a clock: SQLite waits at most the busy timeout per statement,
        # the connection has the short one, and the answer gives up after one such wait
        # (no retry loop).
        assert len(locked) == 1, locked
        with coll.engine.connect() as connection:
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout == short_busy_timeout
    finally:
        con.rollback()
        con.close()
    assert path.read_bytes() == original  # neither: not in the note...
    assert _log_count(coll) == 0  # ...nor in the database
    result = ReviewService(coll).record(card_id, 4, session_id=new_session_id())
    assert result.writeback == "done"  # and the same answer goes through once it is free


def test_database_locked_after_the_note_was_written_is_reconciled_at_next_start(
    short_busy_timeout: int,
    open_coll: Callable[[Path], Collection],
    notes_dir: Path,
) -> None:
    """The lock arrives between the file write and the 'done' mark: the next start agrees.

    The mark is owed to the collection and commits with the next answer (issue 13), so
    the lock meets that answer, then the close; the row stays pending in the database
    and the next start rolls it forward.
    """
    coll = open_coll(notes_dir)
    import_notes(coll)
    card_id, path = _note_card(coll)
    result = ReviewService(coll).record(card_id, 5, session_id=new_session_id())
    assert result.writeback == "done"  # the note is written; its mark is owed
    con = _exclusive(coll.db_path)
    try:
        with pytest.raises(Exception, match="locked"):
            ReviewService(coll).record(card_id, 4, session_id=new_session_id())
        coll.close()  # cannot commit the owed mark either; it does not fail
    finally:
        con.rollback()
        con.close()
    raw = sqlite3.connect(coll.db_path)
    try:
        assert raw.execute("SELECT writeback FROM review_log").fetchall() == [("pending",)]
    finally:
        raw.close()
    coll = open_coll(notes_dir)  # the next start
    assert finish_pending(coll) == []
    import_notes(coll)
    meta, _, _ = load_meta(path.name, path.read_bytes())
    with coll.session() as s:
        card = s.get(Card, card_id)
        note = s.get(Note, card.note_id)  # type: ignore[union-attr]
        log = s.scalars(select(ReviewLog)).one()
        assert log.writeback == "done"
        assert meta.review_count == note.review_count == 1  # type: ignore[union-attr]
        assert meta.next_review == card.due == note.next_review  # type: ignore[union-attr]


def test_owed_done_mark_commits_with_the_next_answer(coll: Collection) -> None:
    """Issue 13: a fresh answer's 'done' mark is not a commit of its own.

    Until the next answer (or any session) it is owed to the collection; the next
    answer's transaction commits it together with that answer, and a session opened
    in between runs it first, so no reader sees the row pending.
    """
    import_notes(coll)
    card_id, _path = _note_card(coll)
    svc = ReviewService(coll)
    first = svc.record(card_id, 5, session_id=new_session_id())
    raw = sqlite3.connect(coll.db_path)
    try:
        status = "SELECT writeback FROM review_log ORDER BY id"
        assert raw.execute(status).fetchall() == [("pending",)]  # owed, not committed
        svc.record(card_id, 4, session_id=new_session_id())
        # the first answer's mark committed with the second answer; the second one's is owed
        assert raw.execute(status).fetchall() == [("done",), ("pending",)]
        with coll.session() as s:  # any session runs the owed mark first
            rows = s.execute(select(ReviewLog.id, ReviewLog.writeback).order_by(ReviewLog.id))
            assert [w for _id, w in rows] == ["done", "done"]
        assert raw.execute(status).fetchall() == [("done",), ("done",)]
        log = raw.execute(
            "SELECT fm_before, fm_after FROM review_log WHERE id = ?", (first.log_id,)
        )
        before, after = log.fetchone()
        assert before and after and before != after  # the undo heads came with the mark
    finally:
        raw.close()


def test_database_locked_is_a_clear_one_line_error(
    short_busy_timeout: int, coll: Collection
) -> None:
    import_notes(coll)
    card_id, _path = _note_card(coll)
    con = _exclusive(coll.db_path)
    try:
        with pytest.raises(db_engine.DatabaseError) as info:
            ReviewService(coll).record(card_id, 4, session_id=new_session_id())
    finally:
        con.rollback()
        con.close()
    message = str(info.value)
    assert "locked" in message and "\n" not in message and "[SQL" not in message


# --------------------------------------------------------------------- database deleted


def test_database_deleted_mid_session_loses_no_note_and_restarts(
    tmp_path: Path, open_coll: Callable[..., Collection], notes_dir: Path
) -> None:
    """rm db.sqlite3 while a session runs: the next answer fails, the notes are intact, and a
    restart rebuilds the database with every written schedule restored from the notes."""
    coll = open_coll(notes_dir)
    import_notes(coll)
    svc = ReviewService(coll)
    with coll.session() as s:
        rows = s.execute(
            select(Card.id, Note.path).join(Note).where(Card.kind == "note").order_by(Note.path)
        ).all()
    first = svc.record(rows[0].id, 5, session_id="s")
    assert first.writeback == "done"
    snapshot = {p: p.read_bytes() for p in notes_dir.rglob("*.md")}
    os.unlink(coll.db_path)
    with pytest.raises(db_engine.DatabaseError):
        svc.record(rows[1].id, 4, session_id="s")
    assert {p: p.read_bytes() for p in notes_dir.rglob("*.md")} == snapshot
    coll.close()
    coll = Collection.open(
        tmp_path / "db.sqlite3", notes_dir, today_override=TODAY, clock=fixed_clock
    )
    try:
        coll.acquire_writer()
        assert finish_pending(coll) == []
        import_notes(coll)
        with coll.session() as s:
            card = s.scalars(
                select(Card).join(Note).where(Note.path == rows[0].path, Card.kind == "note")
            ).one()
            assert card.due == first.after.due and card.reps == 1
            other = s.scalars(
                select(Card).join(Note).where(Note.path == rows[1].path, Card.kind == "note")
            ).one()
            assert other.reps == 0  # the failed answer is in neither place
    finally:
        coll.close()
    assert {p: p.read_bytes() for p in notes_dir.rglob("*.md")} == snapshot


def test_database_deleted_mid_session_is_a_clear_error(coll: Collection) -> None:
    import_notes(coll)
    card_id, _path = _note_card(coll)
    os.unlink(coll.db_path)
    with pytest.raises(db_engine.DatabaseError) as info:
        ReviewService(coll).record(card_id, 4, session_id=new_session_id())
    message = str(info.value)
    assert str(coll.db_path) in message and "\n" not in message and "[SQL" not in message
    assert not coll.db_path.exists()  # no empty database created behind the user's back


def test_notes_folder_restored_from_a_copy_gets_the_owed_reviews(coll: Collection) -> None:
    """Folder gone mid-session, then a copy put back (restored from backup, remounted)."""
    import_notes(coll)
    svc = ReviewService(coll)
    with coll.session() as s:
        card_ids = list(s.scalars(select(Card.id).where(Card.kind == "note").order_by(Card.id)))[:3]
    backup = coll.notes_dir.with_name("backup")
    shutil.copytree(coll.notes_dir, backup)
    shutil.rmtree(coll.notes_dir)
    results = [svc.record(c, 4, session_id="s") for c in card_ids]
    assert all(r.writeback == "deferred" for r in results)
    assert not coll.notes_dir.exists()  # never re-created empty
    backup.rename(coll.notes_dir)
    assert finish_pending(coll) == []
    with coll.session() as s:
        for r in results:
            card = s.get(Card, r.card_id)
            note = s.get(Note, card.note_id)  # type: ignore[union-attr]
            meta, _, _ = load_meta(note.path, (coll.notes_dir / note.path).read_bytes())  # type: ignore[union-attr]
            assert meta.review_count == 1 and meta.next_review == card.due  # type: ignore[union-attr]

"""Regression tests of issue 10 at the services layer.

One bad note never blocks the others; a FIFO never hangs anything; an editor's in-place
save is never cut short by a write-back; only studyapp's own temp files are removed;
two writers on a new database meet the lock, not a SQL error; no ``fcntl`` on Windows.
"""

from __future__ import annotations

import faulthandler
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from studyapp.core.frontmatter_io import load_meta
from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services import writeback
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.lock import CollectionLocked, WriterLock
from studyapp.services.review import ReviewService, new_session_id
from tests.conftest import REPO
from tests.db.conftest import TODAY, fixed_clock

GOOD = b"---\nreview_count: 0\nnext_review: '2026-11-01'\n---\n# Good %d\n\n## A\n\ntext\n"


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A blocking read of a FIFO would hang the suite: fail loudly instead."""
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _folder(tmp_path: Path, bad: dict[str, bytes]) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(3):
        (folder / f"good{i}.md").write_bytes(GOOD % i)
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    return folder


def _note_card(coll: Collection, rel: str) -> int:
    with coll.session() as s:
        card_id = s.scalar(select(Card.id).join(Note).where(Note.path == rel, Card.kind == "note"))
    assert card_id is not None
    return card_id


BAD_VALUES = [
    "!!int abc",
    "!!float abc",
    "!!bool maybe",
    "!!timestamp garbage",
    "!!int 0xZZ",
]


def test_each_bad_note_is_one_problem_and_the_rest_imports(open_coll, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = {
        f"bad{i}.md": f"---\nreview_count: {v}\n---\n# B\n".encode()
        for i, v in enumerate(BAD_VALUES)
    }
    bad["huge.md"] = b"---\nreview_count: 99999999999999999999\n---\n# H\n"
    bad["int64.md"] = b"---\nreview_count: 9223372036854775807\n---\n# I\n"
    folder = _folder(tmp_path, bad)
    coll = open_coll(folder)
    report = import_notes(coll)
    rejected = {p.path: p for p in report.rejected}
    assert set(rejected) == {f"bad{i}.md" for i in range(len(BAD_VALUES))}
    assert all("\n" not in p.line() for p in report.rejected)
    assert {p.exception for p in report.rejected} == {"NoteError"}
    assert report.imported == 5  # three good notes, and the two huge counts as 0 with a warning
    warned = {p.path for p in report.warnings}
    assert {"huge.md", "int64.md"} <= warned


def test_a_clamped_huge_count_can_be_answered(open_coll, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path, {"int64.md": b"---\nreview_count: 9223372036854775807\n---\n# I\n"})
    coll = open_coll(folder)
    import_notes(coll)
    result = ReviewService(coll).record(
        _note_card(coll, "int64.md"), 4, session_id=new_session_id()
    )
    assert result.writeback == "done"
    meta, _, _ = load_meta("int64.md", (folder / "int64.md").read_bytes())
    assert meta.review_count == 1


def test_a_failure_while_storing_one_note_rejects_only_that_note(
    open_coll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.import_writer import NoteWriter

    folder = _folder(tmp_path, {})
    original = NoteWriter.insert_note

    def flaky(self, parsed, item):  # type: ignore[no-untyped-def]
        if parsed.rel_path == "good1.md":
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return original(self, parsed, item)

    monkeypatch.setattr(NoteWriter, "insert_note", flaky)
    report = import_notes(open_coll(folder))
    assert report.imported == 2
    assert [(p.path, p.exception) for p in report.rejected] == [("good1.md", "OverflowError")]


def test_per_note_savepoints_keep_the_import_one_transaction(
    open_coll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Python's sqlite3 lets a first SAVEPOINT open, and its RELEASE commit, a transaction."""
    from studyapp.services.import_writer import NoteWriter

    folder = _folder(tmp_path, {})
    coll = open_coll(folder)
    import_notes(coll)
    for i in range(3):
        (folder / f"good{i}.md").write_bytes(GOOD % (10 + i))
    original = NoteWriter.update_note

    def interrupted(self, note_id, parsed, item, *, revived):  # type: ignore[no-untyped-def]
        if parsed.rel_path == "good2.md":
            raise KeyboardInterrupt  # Ctrl-C half way through the import
        return original(self, note_id, parsed, item, revived=revived)

    monkeypatch.setattr(NoteWriter, "update_note", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_notes(coll)
    with coll.session() as s:
        titles = sorted(s.scalars(select(Note.title)))
    assert titles == ["Good 0", "Good 1", "Good 2"]  # nothing of the interrupted import


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_is_one_escaped_problem(open_coll, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path, {})
    try:
        with open(os.path.join(os.fsencode(folder), b"\xff\xfebad.md"), "wb") as handle:
            handle.write(GOOD % 9)
    except OSError:
        pytest.skip("this file system refuses non-UTF-8 names")
    report = import_notes(open_coll(folder))
    assert report.imported == 3
    assert [p.line() for p in report.rejected] == [
        "\\xff\\xfebad.md: file name is not valid UTF-8; rename the file"
    ]


# ------------------------------------------------------------------------------ FIFOs


def _fifo(path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(path)


def test_a_fifo_is_reported_never_opened(open_coll, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path, {})
    _fifo(folder / "pipe.md")
    report = import_notes(open_coll(folder))
    assert report.imported == 3
    assert [p.line() for p in report.rejected] == ["pipe.md: not a regular file"]


def test_a_note_replaced_by_a_fifo_hangs_neither_review_nor_undo_nor_restart(
    open_coll, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path, {})
    coll = open_coll(folder)
    import_notes(coll)
    card_id = _note_card(coll, "good0.md")
    (folder / "good0.md").unlink()
    _fifo(folder / "good0.md")
    svc = ReviewService(coll)
    sid = new_session_id()
    result = svc.record(card_id, 4, session_id=sid)
    assert result.writeback == "deferred" and "not a regular file" in (result.message or "")
    assert any("not a regular file" in m for m in writeback.finish_pending(coll))
    undone = svc.undo_last(sid)
    assert undone is not None and not undone.restored_file
    report = import_notes(coll)
    assert [p.line() for p in report.rejected] == ["good0.md: not a regular file"]


# ------------------------------------------------------------------ temp files


def test_import_keeps_a_users_file_that_only_looks_like_a_temp_file(
    open_coll, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path, {})
    mine = folder / ".studyapp-my-backup.tmp"
    mine.write_bytes(b"precious")
    ours = folder / f".studyapp-{'ab' * 16}.tmp"
    ours.write_bytes(b"left by a killed write-back")
    import_notes(open_coll(folder))
    assert mine.read_bytes() == b"precious"
    assert not ours.exists()


# ------------------------------------------------------------------ in-place editors


@pytest.fixture
def real_quiet_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite turns the 2 s quiet period off (tests/conftest.py); these tests need it."""
    monkeypatch.delenv("STUDYAPP_TEST_WRITE_QUIET_S", raising=False)  # writeback.QUIET_ENV


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_note_saved_moments_ago_is_not_written_until_it_settles(
    open_coll, tmp_path: Path, real_quiet_period: None
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path, {})
    coll = open_coll(folder)
    import_notes(coll)
    note = folder / "good0.md"
    _age(note, 0)  # just saved by the user's editor
    before = note.read_bytes()
    result = ReviewService(coll).record(
        _note_card(coll, "good0.md"), 4, session_id=new_session_id()
    )
    assert result.writeback == "deferred" and "moments ago" in (result.message or "")
    assert note.read_bytes() == before
    _age(note, 10)
    assert writeback.finish_pending(coll) == []
    assert load_meta("good0.md", note.read_bytes())[0].review_count == 1


def test_an_editor_saving_in_place_in_chunks_loses_nothing(
    open_coll, tmp_path: Path, real_quiet_period: None
) -> None:  # type: ignore[no-untyped-def]
    """Truncate, write 4 KB, pause, write the rest, while the user grades the card."""
    folder = _folder(tmp_path, {})
    coll = open_coll(folder)
    import_notes(coll)
    note = folder / "good0.md"
    _age(note, 10)
    card_id = _note_card(coll, "good0.md")
    edited = (GOOD % 0).replace(
        b"text\n", b"".join(b"line %05d of the user's edit\n" % i for i in range(2000))
    )
    assert len(edited) > 8192
    started = threading.Event()

    def editor() -> None:
        with open(note, "r+b") as handle:  # in place: same inode
            handle.truncate(0)
            handle.write(edited[:4096])
            handle.flush()
            started.set()
            time.sleep(0.5)
            handle.write(edited[4096:])
            handle.flush()

    thread = threading.Thread(target=editor)
    thread.start()
    started.wait()
    result = ReviewService(coll).record(card_id, 4, session_id=new_session_id())
    thread.join()
    assert result.writeback == "deferred"
    assert note.read_bytes() == edited  # the whole edit is there
    _age(note, 10)
    writeback.finish_pending(coll)  # next chance: the answer lands in the finished edit
    data = note.read_bytes()
    assert data.endswith(edited[edited.index(b"---\n#") + 4 :])
    assert load_meta("good0.md", data)[0].review_count == 1
    with coll.session() as s:
        assert s.scalar(select(ReviewLog.writeback)) == "done"


# ------------------------------------------------------------------ writer lock and migrations


def test_a_second_writer_on_a_new_database_meets_the_lock_not_a_sql_error(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    holder = WriterLock(db)
    holder.acquire()  # the first process, still migrating
    try:
        with pytest.raises(CollectionLocked, match="in use by another studyapp"):
            Collection.open(db, tmp_path, today_override=TODAY, clock=fixed_clock)
    finally:
        holder.release()
    coll = Collection.open(db, tmp_path, today_override=TODAY, clock=fixed_clock)
    coll.close()


def test_racing_writers_on_a_new_database_never_print_sql(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for attempt in range(3):
        db = tmp_path / f"race{attempt}.sqlite3"
        cmd = [
            sys.executable,
            "-m",
            "studyapp.cli.main",
            "--db",
            str(db),
            "--notes",
            str(notes),
            "import",
        ]
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        for proc in procs:
            _out, err = proc.communicate(timeout=60)
            text = err.decode()
            assert "Traceback" not in text and "already exists" not in text, text
            # The loser meets the writer lock, or (on a loaded machine, while the winner's
            # first transaction runs past the 5 s busy timeout) SQLite's lock: either
            # way one line naming the lock, never SQL.
            assert proc.returncode == 0 or (
                proc.returncode == 2
                and text.count("\n") == 1
                and ("in use by another studyapp" in text or "database is locked" in text)
            ), text


# ------------------------------------------------------------------ Windows: no fcntl

_NO_FCNTL = """
import importlib, pkgutil, sys
sys.modules["fcntl"] = None  # as on Windows: import fcntl raises ImportError
import studyapp
for info in pkgutil.walk_packages(studyapp.__path__, "studyapp."):
    if not info.name.endswith("__main__"):  # importing it would run the CLI
        importlib.import_module(info.name)
from pathlib import Path
from studyapp.services.lock import CollectionLocked, WriterLock, fcntl
assert fcntl is None
db = Path(sys.argv[1])
first, second = WriterLock(db), WriterLock(db)
first.acquire()
try:
    second.acquire()
except CollectionLocked as exc:
    assert "in use by another studyapp" in str(exc), exc
else:
    raise SystemExit("second writer got the lock")
first.release()
second.acquire()
second.release()
print("ok")
"""


def test_every_module_imports_and_the_lock_works_without_fcntl(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _NO_FCNTL, str(tmp_path / "db.sqlite3")],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


# ------------------------------------------------------------------ the test-only clock


def test_the_test_clock_offset_moves_only_the_system_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from studyapp.services.collection import CLOCK_OFFSET_ENV, system_clock

    monkeypatch.setenv(CLOCK_OFFSET_ENV, "365")
    ahead = system_clock() - datetime.now(UTC)
    assert timedelta(days=364) < ahead < timedelta(days=366)
    monkeypatch.delenv(CLOCK_OFFSET_ENV)
    assert abs(system_clock() - datetime.now(UTC)) < timedelta(minutes=1)

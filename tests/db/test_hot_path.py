"""The review hot path's shortcuts keep every guarantee (issue 13, target 2).

The collection holds one driver connection for its transactions; the write-back reuses
what the answer already computed.  Each shortcut is checked against what it replaced:
durability of the answer's commit, rollback on error, a nested or concurrent
transaction, the note's bytes and the refusal of a note changed on disk.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from studyapp.db.models import Card, Note
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id

NOTE = (
    "---\n"
    "created: '2026-11-01'\n"
    "last_reviewed: null\n"
    "next_review: '2026-11-25'\n"
    "review_count: 0\n"
    "difficulty: medium  # the user's comment\n"
    "mastery_level: 0.0\n"
    "tags:\n"
    "- a\n"
    "---\n"
    "# {title}\n\n## 面试回答\n\nAn answer.\n"
)


def _notes(tmp_path: Path, count: int = 3) -> Path:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    for i in range(count):
        (folder / "sub" / f"n{i}.md").write_text(NOTE.format(title=f"Note {i}"), encoding="utf-8")
    return folder


def _note_cards(coll: Collection) -> list[int]:
    with coll.session() as s:
        return list(
            s.scalars(select(Card.id).join(Note).where(Card.kind == "note").order_by(Card.id))
        )


def test_answer_commits_at_full_sync_after_the_bookkeeping_lowered_it(
    tmp_path: Path, open_coll
) -> None:  # type: ignore[no-untyped-def]
    coll = open_coll(_notes(tmp_path))
    import_notes(coll)
    svc = ReviewService(coll)
    first, second, *_ = _note_cards(coll)
    svc.record(first, 4, session_id=new_session_id())  # owes its "done" mark
    used: list[sqlite3.Connection] = []
    coll.defer(used.append)
    coll.flush_owed()  # commits the mark with synchronous = NORMAL
    with coll.transaction() as conn:
        assert conn is used[0]  # the held connection ran the bookkeeping...
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # ...and is FULL again
    outcome = svc.record(second, 4, session_id=new_session_id())
    assert outcome.writeback == "done"


def test_failed_transaction_rolls_back_and_the_next_one_works(tmp_path: Path, open_coll) -> None:  # type: ignore[no-untyped-def]
    coll = open_coll(_notes(tmp_path))
    import_notes(coll)
    card_id = _note_cards(coll)[0]
    with pytest.raises(RuntimeError), coll.transaction() as conn:
        conn.execute("UPDATE cards SET reps = 99 WHERE id = ?", (card_id,))
        raise RuntimeError("boom")
    with coll.transaction() as conn:
        assert conn.execute("SELECT reps FROM cards WHERE id = ?", (card_id,)).fetchone()[0] == 0
        assert not conn.in_transaction
    outcome = ReviewService(coll).record(card_id, 5, session_id=new_session_id())
    assert outcome.writeback == "done" and outcome.after.reps == 1


def test_nested_and_concurrent_transactions_take_pooled_connections(
    tmp_path: Path, open_coll
) -> None:  # type: ignore[no-untyped-def]
    coll = open_coll(_notes(tmp_path))
    import_notes(coll)
    seen: list[sqlite3.Connection] = []
    with coll.transaction() as outer:
        with coll.transaction() as inner:
            assert inner is not outer
            inner.execute("SELECT 1").fetchone()

        def other_thread() -> None:
            with coll.transaction() as conn:
                seen.append(conn)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert seen and seen[0] is not outer
    with coll.transaction() as again:
        assert again is outer  # still the held one


def test_close_gives_the_held_connection_back(tmp_path: Path) -> None:
    coll = Collection.open(tmp_path / "db.sqlite3", _notes(tmp_path))
    coll.acquire_writer()
    import_notes(coll)
    with coll.transaction() as conn:
        conn.execute("SELECT 1").fetchone()
    pool = coll.engine.pool
    assert pool.checkedout() == 1  # type: ignore[attr-defined]
    coll.close()
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_path_guard_shortcut_agrees_with_realpath(tmp_path: Path) -> None:
    """The lstat walk gives realpath's answer or steps aside; what was refused stays refused."""
    from studyapp.services.writeback import _plain_real_path, resolve_note_path

    real_root = _notes(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_text("x", encoding="utf-8")
    (real_root / "sub" / "out.md").symlink_to(outside / "x.md")
    (real_root / "linked").symlink_to(outside, target_is_directory=True)
    (real_root / "inner").symlink_to(real_root / "sub", target_is_directory=True)
    link = tmp_path / "link"
    link.symlink_to(real_root, target_is_directory=True)
    coll = Collection(None, tmp_path / "db.sqlite3", link)  # type: ignore[arg-type]
    root = coll.notes_root()
    assert root == str(real_root.resolve())
    assert _plain_real_path(coll, root, "sub/n0.md") == f"{root}/sub/n0.md"
    assert str(resolve_note_path(coll, "sub/n0.md")) == f"{link}/sub/n0.md"
    for stepped_aside in ("sub/out.md", "linked/x.md", "inner/n0.md", "../x.md", "sub//n0.md"):
        assert _plain_real_path(coll, root, stepped_aside) is None
    assert str(resolve_note_path(coll, "inner/n0.md")) == f"{link}/inner/n0.md"  # inside: fine
    for refused in ("sub/out.md", "linked/x.md", "../outside/x.md"):
        with pytest.raises(PermissionError):
            resolve_note_path(coll, refused)
    # The folder's link retargeted after open: notes resolve outside the remembered root.
    other = tmp_path / "other"
    (other / "sub").mkdir(parents=True)
    (other / "sub" / "n0.md").write_text("other", encoding="utf-8")
    link.unlink()
    link.symlink_to(other, target_is_directory=True)
    assert _plain_real_path(coll, root, "sub/n0.md") is None
    with pytest.raises(PermissionError):
        resolve_note_path(coll, "sub/n0.md")


def test_write_back_records_the_written_file_and_refuses_an_edit_on_disk(
    tmp_path: Path, open_coll
) -> None:  # type: ignore[no-untyped-def]
    """The file state stored after a write-back is the file's; an edit after it is seen."""
    import os

    from studyapp.core.frontmatter_io import sha256_hex

    folder = _notes(tmp_path)
    coll = open_coll(folder)
    import_notes(coll)
    svc = ReviewService(coll)
    first, second, _third = _note_cards(coll)
    assert svc.record(first, 4, session_id=new_session_id()).writeback == "done"
    svc.card(second)
    coll.flush_owed()
    with coll.session() as s:
        note = s.scalars(select(Note).join(Card).where(Card.id == first)).one()
        path = folder / note.path
        st = os.stat(path)
        assert (note.content_sha256, note.mtime_ns, note.size) == (
            sha256_hex(path.read_bytes()),
            st.st_mtime_ns,
            st.st_size,
        )
    # The user edits the second note in their editor between two answers: the
    # write-back re-imports it and keeps the edit, never writing over it.
    second_path = folder / "sub" / "n1.md"
    edited = second_path.read_bytes().replace(b"An answer.", b"An edited answer.")
    second_path.write_bytes(edited)
    outcome = svc.record(second, 4, session_id=new_session_id())
    assert outcome.writeback == "done"
    after = second_path.read_bytes()
    assert b"An edited answer." in after and b"review_count: 1" in after


def test_sm2_mastery_reads_only_the_cards_that_count_and_agrees_with_the_definition(
    tmp_path: Path, open_coll
) -> None:  # type: ignore[no-untyped-def]
    """Unread cards are live fact cards never reviewed: the result is the definition's,
    to the last bit, whatever mix of retired, reviewed and new cards the note has."""
    import random
    import shutil

    from studyapp.core.mastery import note_mastery_level
    from studyapp.core.srs import SrsState
    from tests.conftest import REPO

    notes = tmp_path / "notes"
    shutil.copytree(REPO / "notes", notes)
    coll = open_coll(notes)
    import_notes(coll)
    svc = ReviewService(coll)
    with coll.session() as s:
        note_id = s.scalars(
            select(Card.note_id)
            .where(Card.kind == "table")
            .group_by(Card.note_id)
            .order_by(func.count().desc())
        ).first()
    assert note_id is not None
    rng = random.Random(13)
    for trial in range(40):
        with coll.transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM cards WHERE note_id = ?", (note_id,))]
            assert len(ids) > 10
            for card_id in ids:
                interval = rng.choice([0, 0, 0, 1, 3, 17, 200]) if trial else 0
                conn.execute(
                    "UPDATE cards SET interval = ?, ef_milli = ?, lapses = ?, retired = ?"
                    " WHERE id = ?",
                    (
                        interval,
                        rng.randint(1300, 3000),
                        rng.randint(0, 6),
                        rng.random() < 0.2,
                        card_id,
                    ),
                )
        with coll.transaction() as conn:
            got = svc._note_mastery(conn, note_id)
            live = conn.execute(
                "SELECT kind, interval, ef_milli, lapses FROM cards WHERE note_id = ?"
                " AND retired = 0 ORDER BY id",
                (note_id,),
            ).fetchall()
        states = [
            (kind, SrsState(ef_milli=ef, interval=i, reps=0, lapses=lapses, due=None))
            for kind, i, ef, lapses in live
        ]
        note_states = [st for kind, st in states if kind == "note"]
        facts = [st for kind, st in states if kind != "note"]
        assert got == note_mastery_level(note_states[-1] if note_states else None, facts)

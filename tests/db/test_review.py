"""The review service: SM-2 through the database, byte-exact write-back, undo."""

from __future__ import annotations

import difflib
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from studyapp.core.frontmatter_io import load_meta
from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id

SCHEDULE_KEYS = ("last_reviewed", "next_review", "review_count", "mastery_level")


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    a = before.decode("utf-8-sig").splitlines(keepends=True)
    b = after.decode("utf-8-sig").splitlines(keepends=True)
    return [
        line
        for line in difflib.unified_diff(a, b, n=0, lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _note_card(coll, rel: str) -> int:  # type: ignore[no-untyped-def]
    with coll.session() as s:
        card_id = s.scalar(select(Card.id).join(Note).where(Note.path == rel, Card.kind == "note"))
    assert card_id is not None
    return card_id


def _single_note(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / name).write_bytes(data)
    return folder


def _five_days(open_coll, folder: Path, rel: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Review the note card on each due date with grade 4; returns the intervals."""
    day = date(2026, 11, 25)
    intervals = []
    path = folder / rel
    for _ in range(5):
        coll = open_coll(folder, day)
        import_notes(coll)
        before = path.read_bytes()
        result = ReviewService(coll).record(_note_card(coll, rel), 4, session_id=new_session_id())
        after = path.read_bytes()
        assert result.writeback == "done"
        changed = _changed_lines(before, after)
        assert changed and all(line[1:].split(":")[0] in SCHEDULE_KEYS for line in changed), changed
        meta, _w, _p = load_meta(rel, after)
        assert meta.last_reviewed == day and meta.next_review == result.after.due
        intervals.append(result.after.interval)
        coll.close()
        assert result.after.due is not None
        day = result.after.due
    return intervals


def test_five_day_review_of_the_seed(seed_note: Path, tmp_path: Path, open_coll) -> None:  # type: ignore[no-untyped-def]
    folder = _single_note(tmp_path, seed_note.name, seed_note.read_bytes())
    original = seed_note.read_bytes()
    assert _five_days(open_coll, folder, seed_note.name)[:3] == [1, 6, 15]
    final = (folder / seed_note.name).read_bytes()
    meta, _w, _p = load_meta(seed_note.name, final)
    assert meta.review_count == 5
    body_start = original.index(b"\n---\n", 4)
    assert final[final.index(b"\n---\n", 4) :] == original[body_start:]


CRLF_NOTE = (
    "\ufeff---\r\n"
    "# 我的笔记\r\n"
    "created: '2025-10-01'  # 创建日期\r\n"
    "last_reviewed: null\r\n"
    'next_review: "2025-10-02" # due\r\n'
    "review_count: 0\r\n"
    "difficulty: hard\r\n"
    "mastery_level: 0.0\r\n"
    "tags: [量化, 'a[b]']\r\n"
    "custom_key: {x: 1}\r\n"
    "---\r\n"
    "# KV cache 怎么估算？\r\n\r\n## 面试标准答案\r\n\r\n2 × L × n_kv × d × bytes × S。[注意] GQA。\r\n"
).encode()


def test_five_day_review_keeps_crlf_bom_comments(tmp_path: Path, open_coll) -> None:  # type: ignore[no-untyped-def]
    folder = _single_note(tmp_path, "crlf.md", CRLF_NOTE)
    _five_days(open_coll, folder, "crlf.md")
    final = (folder / "crlf.md").read_bytes()
    assert final.startswith(b"\xef\xbb\xbf---\r\n")
    assert b"\n" not in final.replace(b"\r\n", b"")
    assert b"# \xe5\x88\x9b\xe5\xbb\xba\xe6\x97\xa5\xe6\x9c\x9f" in final  # the comment survived
    assert b"# due\r\n" in final and b'next_review: "' in final  # quoting style kept
    assert b"custom_key: {x: 1}\r\n" in final
    assert final.endswith(CRLF_NOTE[CRLF_NOTE.index(b"---\r\n# KV") :])


def test_undo_restores_exact_bytes_in_reverse_order(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    paths = sorted(notes_dir.rglob("*.md"))[:3]
    originals = [p.read_bytes() for p in paths]
    svc = ReviewService(coll)
    sid = new_session_id()
    states = []
    for p in paths:
        card_id = _note_card(coll, p.relative_to(notes_dir).as_posix())
        states.append((card_id, svc.card(card_id).state))
        svc.record(card_id, 5, session_id=sid)
    assert all(p.read_bytes() != o for p, o in zip(paths, originals, strict=True))
    for p, original, (card_id, state) in reversed(list(zip(paths, originals, states, strict=True))):
        result = svc.undo_last()
        assert result is not None and result.restored_file and result.card_id == card_id
        assert p.read_bytes() == original
        assert svc.card(card_id).state == state
    assert svc.undo_last() is None


def test_user_edit_between_import_and_review_survives(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    path = sorted(notes_dir.rglob("*.md"))[0]
    rel = path.relative_to(notes_dir).as_posix()
    card_id = _note_card(coll, rel)
    edited = path.read_bytes() + "\n## 我的补充\n\n用户刚刚写的内容。\n".encode()
    path.write_bytes(edited)
    result = ReviewService(coll).record(card_id, 4, session_id=new_session_id())
    assert result.writeback == "done"
    final = path.read_bytes()
    assert "用户刚刚写的内容。".encode() in final
    assert _changed_lines(edited, final) and all(
        line[1:].split(":")[0] in SCHEDULE_KEYS for line in _changed_lines(edited, final)
    )


def test_relearning_repeat_is_logged_but_does_not_reschedule(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    path = sorted(notes_dir.rglob("*.md"))[0]
    card_id = _note_card(coll, path.relative_to(notes_dir).as_posix())
    svc = ReviewService(coll)
    sid = new_session_id()
    first = svc.record(card_id, 2, session_id=sid)
    written = path.read_bytes()
    repeat = svc.record(card_id, 4, session_id=sid, rescheduled=False)
    assert first.rescheduled and not repeat.rescheduled
    assert svc.card(card_id).state == first.after
    assert path.read_bytes() == written
    with coll.session() as s:
        assert len(s.scalars(select(ReviewLog).where(ReviewLog.card_id == card_id)).all()) == 2


def test_read_only_note_defers_and_retries(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.writeback import finish_pending

    import_notes(coll)
    path = sorted(notes_dir.rglob("*.md"))[0]
    card_id = _note_card(coll, path.relative_to(notes_dir).as_posix())
    original = path.read_bytes()
    path.chmod(0o444)  # the user's way of saying "hands off", honoured even for root
    try:
        result = ReviewService(coll).record(card_id, 4, session_id=new_session_id())
        assert result.writeback == "deferred" and result.message
        assert "read-only" in result.message
        assert path.read_bytes() == original
        assert finish_pending(coll)  # still owed, still refused, still said
    finally:
        path.chmod(0o644)
    assert finish_pending(coll) == []
    assert path.read_bytes() != original


def test_due_queue_orders_overdue_first_and_limits_new(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    svc = ReviewService(coll)
    with coll.session() as s, s.begin():
        cards = s.scalars(select(Card).where(Card.kind == "note").order_by(Card.id)).all()
        cards[0].due = coll.today() - timedelta(days=3)
        cards[1].due = coll.today() - timedelta(days=9)
        cards[0].reps = cards[1].reps = 1
    queue = svc.due_items()
    assert [q.card_id for q in queue[:2]] == [cards[1].id, cards[0].id]
    new = [q for q in queue if q.due is None]
    assert len(new) == coll.settings.new_per_day

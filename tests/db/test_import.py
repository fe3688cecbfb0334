"""Importing a notes folder: incremental, tolerant of bad notes, never writing a file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import func, select

from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services.importer import import_notes
from tests.conftest import DATA


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_cold_then_warm_import(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(notes_dir)
    report = import_notes(coll)
    count = len(list(notes_dir.rglob("*.md")))
    assert report.imported == count and not report.rejected
    again = import_notes(coll)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, count)
    assert _snapshot(notes_dir) == before  # import never writes a note


def test_every_note_has_a_note_card_and_tables_give_cards(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    with coll.session() as s:
        notes = s.scalar(select(func.count()).select_from(Note))
        note_cards = s.scalar(select(func.count()).select_from(Card).where(Card.kind == "note"))
        table_cards = s.scalar(select(func.count()).select_from(Card).where(Card.kind == "table"))
        calc_cards = s.scalar(select(func.count()).select_from(Card).where(Card.kind == "calc"))
    assert notes == note_cards
    assert table_cards and table_cards > notes  # the samples are full of comparison tables
    assert calc_cards and calc_cards >= 5


def test_touched_file_is_unchanged_edited_file_updated(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    first = sorted(notes_dir.rglob("*.md"))[0]
    st = first.stat()
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
    assert import_notes(coll).unchanged == len(list(notes_dir.rglob("*.md")))
    first.write_bytes(first.read_bytes() + "\n补充一行。\n".encode())
    report = import_notes(coll)
    assert report.updated == 1


def test_deleted_note_is_missing_with_history_kept(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.review import ReviewService, new_session_id

    import_notes(coll)
    victim = sorted(notes_dir.rglob("*.md"))[0]
    rel = victim.relative_to(notes_dir).as_posix()
    with coll.session() as s:
        card_id = s.scalar(select(Card.id).join(Note).where(Note.path == rel, Card.kind == "note"))
    ReviewService(coll).record(card_id, 4, session_id=new_session_id())
    victim.unlink()
    assert import_notes(coll).missing == 1
    with coll.session() as s:
        note = s.scalar(select(Note).where(Note.path == rel))
        assert note is not None and note.missing
        assert (
            s.scalar(
                select(func.count()).select_from(ReviewLog).where(ReviewLog.card_id == card_id)
            )
            == 1
        )
    due_ids = {i.card_id for i in ReviewService(coll).due_items()}
    assert card_id not in due_ids


def test_moved_note_keeps_its_history(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.review import ReviewService, new_session_id

    import_notes(coll)
    victim = sorted(notes_dir.rglob("*.md"))[0]
    rel = victim.relative_to(notes_dir).as_posix()
    with coll.session() as s:
        note_id = s.scalar(select(Note.id).where(Note.path == rel))
        card_id = s.scalar(select(Card.id).where(Card.note_id == note_id, Card.kind == "note"))
    ReviewService(coll).record(card_id, 5, session_id=new_session_id())
    (notes_dir / "新文件夹").mkdir()
    victim.rename(notes_dir / "新文件夹" / "moved.md")
    report = import_notes(coll)
    assert report.moved == 1 and report.missing == 0
    with coll.session() as s:
        note = s.get(Note, note_id)
        assert note is not None and note.path == "新文件夹/moved.md"
        card = s.get(Card, card_id)
        assert card is not None and card.reps == 1


def test_bad_notes_are_reported_and_the_rest_imports(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    bad = notes_dir / "bad"
    shutil.copytree(DATA / "notes_bad", bad)
    before = _snapshot(bad)
    report = import_notes(coll)
    bad_count = len([p for p in bad.rglob("*.md")])
    rejected = {p.path for p in report.rejected}
    assert rejected and all(p.startswith("bad/") for p in rejected)
    assert (
        len(rejected) + len({w.path for w in report.warnings if w.path.startswith("bad/")})
        >= bad_count - 1
    )
    for problem in report.rejected:
        assert "\n" not in problem.error and problem.error
    assert report.imported >= len(list((notes_dir).glob("*/*.md"))) - bad_count
    assert _snapshot(bad) == before


def test_hidden_folders_and_symlinks_out_are_ignored(coll, notes_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (notes_dir / ".obsidian").mkdir()
    (notes_dir / ".obsidian" / "x.md").write_text("# hidden\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# outside\n", encoding="utf-8")
    (notes_dir / "link-out").symlink_to(outside, target_is_directory=True)
    (notes_dir / "loop").symlink_to(notes_dir, target_is_directory=True)
    import_notes(coll)
    with coll.session() as s:
        paths = set(s.scalars(select(Note.path)))
    assert not any(
        "hidden" in p or "outside" in p or "secret" in p or p.startswith(".") for p in paths
    )
    assert not any(p.startswith("loop/") for p in paths)


def test_deleted_database_restores_schedule_from_frontmatter(
    open_coll, notes_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.review import ReviewService, new_session_id

    coll = open_coll(notes_dir)
    import_notes(coll)
    rel = sorted(p.relative_to(notes_dir).as_posix() for p in notes_dir.rglob("*.md"))[0]
    with coll.session() as s:
        card_id = s.scalar(select(Card.id).join(Note).where(Note.path == rel, Card.kind == "note"))
    svc = ReviewService(coll)
    sid = new_session_id()
    svc.record(card_id, 4, session_id=sid)
    after = svc.card(card_id).state
    coll.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / 'db.sqlite3'}{suffix}").unlink(missing_ok=True)
    fresh = open_coll(notes_dir)
    import_notes(fresh)
    with fresh.session() as s:
        card = s.scalar(select(Card).join(Note).where(Note.path == rel, Card.kind == "note"))
        assert card is not None
        assert (card.reps, card.interval, card.due) == (after.reps, after.interval, after.due)


def test_calc_cards_are_linked_to_deployment_notes(coll) -> None:  # type: ignore[no-untyped-def]
    from studyapp.db.models import CardLink

    import_notes(coll)
    import_notes(coll)  # a second import must not duplicate links
    with coll.session() as s:
        calc = s.scalar(select(func.count()).select_from(Card).where(Card.kind == "calc"))
        linked_notes = s.scalar(select(func.count(func.distinct(CardLink.note_id))))
        links = s.scalar(select(func.count()).select_from(CardLink))
    assert linked_notes and linked_notes >= 5  # the samples are all about deployment/compression
    assert links == calc * linked_notes

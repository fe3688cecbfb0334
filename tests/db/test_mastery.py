"""Mastery: one value in the file, in ``notes --json`` and in the database; written when it moves."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from studyapp.core.frontmatter_io import load_meta
from studyapp.core.mastery import note_mastery_level
from studyapp.core.srs import SrsState
from studyapp.db.models import Card, Note
from studyapp.services import queries
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id
from tests.conftest import REPO

REL = "压缩/int8-vs-int4-量化.md"


def _file_mastery(notes: Path, rel: str) -> float:
    meta, _w, _p = load_meta(rel, (notes / rel).read_bytes())
    return meta.mastery_level


def _cards(coll, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    with coll.session() as s:
        return list(
            s.scalars(
                select(Card.id)
                .join(Note)
                .where(Note.path == REL, Card.kind == kind, Card.retired.is_(False))
                .order_by(Card.id)
            )
        )


def test_definition() -> None:
    new = SrsState(ef_milli=2500, interval=0, reps=0, lapses=0, due=None, last_review=None)
    first = SrsState(ef_milli=2600, interval=1, reps=1, lapses=0, due=None, last_review=None)
    assert note_mastery_level(new, [new] * 20) == 0.0
    assert note_mastery_level(first, [new] * 20) == 0.02  # a perfect first review shows
    assert note_mastery_level(new, [first] + [new] * 30) == 0.01  # floor once reviewed
    assert note_mastery_level(first, []) == 0.04
    long = SrsState(ef_milli=2500, interval=60, reps=4, lapses=0, due=None, last_review=None)
    assert 0.8 < note_mastery_level(long, [long] * 5) <= 1.0


def test_file_notes_json_and_db_agree_and_move_together(tmp_path: Path, open_coll) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes"
    shutil.copytree(REPO / "notes", notes)
    coll = open_coll(notes)
    import_notes(coll)
    svc = ReviewService(coll)
    sid = new_session_id()
    note_card = _cards(coll, "note")[0]
    result = svc.record(note_card, 5, session_id=sid)
    assert result.note_mastery is not None and result.note_mastery > 0
    assert _file_mastery(notes, REL) == result.note_mastery == 0.02

    # Table answers: the file follows every change of >= 0.01, at the end of the answer.
    # Both kinds of answer occur: some move mastery enough to write the file, some do not
    # (what each costs is measured by bench/bench_review.py, not timed here).
    answers = {True: 0, False: 0}  # wrote the file -> answers
    for card_id in _cards(coll, "table"):
        before = (notes / REL).read_bytes()
        res = svc.record(card_id, 5, session_id=sid)
        wrote = (notes / REL).read_bytes() != before
        assert wrote == (res.writeback == "done")
        answers[wrote] += 1
        row = next(n for n in queries.notes(coll) if n.path == REL)
        assert _file_mastery(notes, REL) == row.mastery_level == res.note_mastery
    assert answers[True] and answers[False], answers
    # Undo of a write-back answer restores the previous mastery in the file and the DB.
    last_written = svc.undo_last(sid)
    assert last_written is not None
    row = next(n for n in queries.notes(coll) if n.path == REL)
    assert _file_mastery(notes, REL) == row.mastery_level

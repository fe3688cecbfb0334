"""FSRS and exams through the database: switching, undo, optimize, caps, migration 0004."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, text

from studyapp.core import srs
from studyapp.core.fsrs_model import DEFAULT_PARAMS, state_from_sm2
from studyapp.db.engine import SCHEMA_HEAD, make_engine, upgrade_schema
from studyapp.db.models import Card, FsrsParams, Note, ReviewLog
from studyapp.services import exams
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id
from studyapp.services.scheduler import (
    active_scheduler,
    card_schedule,
    evaluate,
    optimize,
    set_scheduler,
)
from tests.db.old_schema import engine_at
from tests.sim_log import write_simulated_log

DAY = date(2026, 11, 25)


def _note_cards(coll, n: int = 3) -> list[int]:  # type: ignore[no-untyped-def]
    with coll.session() as s:
        return list(
            s.scalars(select(Card.id).where(Card.kind == "note").order_by(Card.id).limit(n))
        )


def _answer_on(open_coll, notes: Path, day: date, card_id: int, grade: int):  # type: ignore[no-untyped-def]
    coll = open_coll(notes, day)
    result = ReviewService(coll).record(card_id, grade, session_id=new_session_id())
    coll.close()
    return result


def _state(coll, card_id: int):  # type: ignore[no-untyped-def]
    with coll.session() as s:
        return card_schedule(s.get(Card, card_id))


def test_fsrs_answer_stores_memory_state_and_undo_restores_it(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    set_scheduler(coll, "fsrs")
    card_id = _note_cards(coll, 1)[0]
    service = ReviewService(coll)
    first = service.record(card_id, 4, session_id="s1")
    after_first = _state(coll, card_id)
    assert after_first.fsrs is not None and first.after.due == DAY + timedelta(
        days=first.after.interval
    )
    with coll.session() as s:
        log = s.scalars(select(ReviewLog).order_by(ReviewLog.id.desc())).first()
        assert log.scheduler == "fsrs" and log.fsrs_stability_before is None
    service.undo_last("s1")
    restored = _state(coll, card_id)
    assert restored.fsrs is None and restored.srs.due is None


def test_switch_to_fsrs_and_back_restores_sm2_exactly(open_coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    coll = open_coll(notes_dir, DAY)
    import_notes(coll)
    ids = _note_cards(coll)
    coll.close()
    day = DAY
    for grade in (4, 5, 3):
        for cid in ids:
            _answer_on(open_coll, notes_dir, day, cid, grade)
        day += timedelta(days=7)
    coll = open_coll(notes_dir, day)
    sm2_states = {cid: _state(coll, cid).srs for cid in ids}
    report = set_scheduler(coll, "fsrs")
    assert report.from_log == len(ids)
    fsrs_states = {cid: _state(coll, cid) for cid in ids}
    assert all(s.fsrs is not None for s in fsrs_states.values())
    back = set_scheduler(coll, "sm2")
    assert back.scheduler == "sm2"
    assert {cid: _state(coll, cid).srs for cid in ids} == sm2_states


def test_card_without_log_converts_from_sm2(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    cid = _note_cards(coll, 1)[0]
    with coll.session() as s, s.begin():
        card = s.get(Card, cid)
        card.ef_milli, card.interval, card.reps = 2500, 20, 4
        card.last_review, card.due = DAY - timedelta(days=5), DAY + timedelta(days=15)
    report = set_scheduler(coll, "fsrs")
    assert report.converted_from_sm2 == 1
    assert _state(coll, cid).fsrs == state_from_sm2(2500, 20)


def test_fsrs_mastery_in_frontmatter_is_retrievability(coll, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    set_scheduler(coll, "fsrs")
    cid = _note_cards(coll, 1)[0]
    result = ReviewService(coll).record(cid, 4, session_id="m")
    assert result.writeback == "done"
    # Just reviewed: retrievability of the note card is 1.0 today; table cards are new (0).
    with coll.session() as s:
        card = s.get(Card, cid)
        note = s.get(Note, card.note_id)
        n_tables = s.scalar(
            select(text("count(*)"))
            .select_from(Card)
            .where(Card.note_id == note.id, Card.kind != "note", Card.retired.is_(False))
        )
        assert n_tables > 0
        assert note.mastery_level == 0.5
        path = notes_dir / note.path
    assert f"mastery_level: {note.mastery_level}" in path.read_text(encoding="utf-8-sig")


def test_optimize_refuses_below_minimum_then_stores_params(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    result = optimize(coll)
    assert not result.ok and "at least 400" in result.message
    with coll.session() as s:
        assert s.scalar(select(FsrsParams.id)) is None
    # A simulated history written as ordinary log rows is enough to fit.
    write_simulated_log(coll, DAY)
    result = optimize(coll)
    assert result.ok and result.review_count >= 400
    with coll.session() as s:
        row = s.scalars(select(FsrsParams)).one()
        assert row.fitted_on == DAY and row.review_count == result.review_count
        assert len(json.loads(row.params_json)) == len(DEFAULT_PARAMS)
    coll.save_settings(replace(coll.settings, scheduler="fsrs"))
    assert active_scheduler(coll).params == tuple(json.loads(row.params_json))  # type: ignore[attr-defined]
    report = evaluate(coll)
    assert report is not None
    assert [m["model"] for m in report["models"]] == ["SM-2", "FSRS default", "FSRS optimized"]


def test_exam_add_pulls_far_dues_into_the_window_and_record_caps(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    ids = _note_cards(coll, 3)
    with coll.session() as s, s.begin():
        for cid in ids:
            card = s.get(Card, cid)
            card.interval, card.reps, card.last_review = 60, 3, DAY
            card.due = DAY + timedelta(days=60)
    _exam, moved = exams.add_exam(coll, DAY + timedelta(days=20), name="字节二面")
    assert moved == 3
    lo, hi = DAY + timedelta(days=17), DAY + timedelta(days=19)
    assert all(lo <= _state(coll, cid).srs.due <= hi for cid in ids)
    # An answer today whose interval would jump over the date is capped as well.
    new_card = _note_cards(coll, 4)[3]
    with coll.session() as s, s.begin():
        card = s.get(Card, new_card)
        card.ef_milli, card.interval, card.reps, card.last_review = (
            2500,
            30,
            3,
            DAY - timedelta(days=30),
        )
        card.due = DAY
    result = ReviewService(coll).record(new_card, 5, session_id="e")
    assert srs.review(card_schedule(card).srs, 5, DAY).due > hi  # uncapped SM-2 would skip it
    assert lo <= result.after.due <= hi
    status = exams.status(coll)
    assert status[0]["name"] == "字节二面" and status[0]["days_left"] == 20
    assert 0.0 < status[0]["readiness"] <= 1.0
    exams.remove_exam(coll, "字节二面")
    assert exams.list_exams(coll) == []


def test_new_cards_in_an_exam_scope_come_first(coll) -> None:  # type: ignore[no-untyped-def]
    import_notes(coll)
    with coll.session() as s:
        last_tag = s.execute(text("SELECT name FROM tags ORDER BY id DESC LIMIT 1")).scalar()
    exam, _ = exams.add_exam(coll, DAY + timedelta(days=10), tag=last_tag)
    queue = ReviewService(coll).due_items()
    with coll.session() as s:
        in_scope = set(s.scalars(exams.scope_query(exam).where(Card.due.is_(None))))
    assert in_scope
    head = [item.card_id for item in queue[: min(len(in_scope), 5)]]
    assert set(head) <= in_scope


def test_migration_0004_keeps_every_review_log_row(tmp_path: Path) -> None:

    db = tmp_path / "old.sqlite3"
    engine = engine_at(db, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cards (id, note_id, kind, anchor, title, payload_json, sibling_key, "
            "ef_milli, interval, reps, lapses, suspended, retired) "
            "VALUES (1, NULL, 'calc', 'x', 'x', '{}', '', 2500, 1, 1, 0, 0, 0)"
        )
        for i in range(5):
            conn.exec_driver_sql(
                "INSERT INTO review_log (card_id, note_id, session_id, reviewed_at, study_day, grade, "
                "kind, cram, rescheduled, duration_ms, ef_before, ef_after, interval_before, "
                "interval_after, reps_before, reps_after, lapses_before, lapses_after, writeback, "
                f"undone) VALUES (1, NULL, 's', '2026-11-2{i} 10:00:00', '2026-11-2{i}', 4, 'calc', 0, "
                "1, 0, 2500, 2500, 0, 1, 0, 1, 0, 0, 'none', 0)"
            )
    engine.dispose()
    engine = make_engine(db)
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM review_log")).scalar() == 5
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        assert {r[0] for r in conn.execute(text("SELECT scheduler FROM review_log"))} == {"sm2"}
    engine.dispose()

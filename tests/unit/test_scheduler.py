"""The scheduler abstraction: grade mapping, FSRS via py-fsrs, conversion from the log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import fsrs
import pytest

from studyapp.core import fsrs_model, srs
from studyapp.core.fsrs_model import DEFAULT_PARAMS, GRADE_TO_RATING, FsrsState
from studyapp.core.scheduler import (
    CardSchedule,
    FsrsScheduler,
    LoggedAnswer,
    Sm2Scheduler,
    convert,
    make_scheduler,
    sm2_recall_probability,
)
from studyapp.core.srs import SrsState

DAY = date(2026, 1, 1)


def test_grade_mapping_table() -> None:
    assert dict(GRADE_TO_RATING) == {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
    with pytest.raises(ValueError):
        fsrs_model.rating_for(6)


def _review_all(scheduler, grades_and_gaps):  # type: ignore[no-untyped-def]
    card, day = CardSchedule(SrsState()), DAY
    log = []
    for grade, gap in grades_and_gaps:
        day += timedelta(days=gap)
        log.append(LoggedAnswer(day, grade, card.srs))
        card = scheduler.review(card, grade, day)
    return card, log


def test_fsrs_review_matches_py_fsrs_directly() -> None:
    """Same states as py-fsrs's own Scheduler without steps or fuzz, answering on each due day."""
    sched = FsrsScheduler()
    ref = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card, ref_card, day = CardSchedule(SrsState()), fsrs.Card(), DAY
    for grade in (4, 4, 3, 1, 5, 4):
        card = sched.review(card, grade, day)
        ref_card, _ = ref.review_card(
            ref_card,
            fsrs.Rating(GRADE_TO_RATING[grade]),
            datetime.combine(day, time(12), tzinfo=UTC),
        )
        assert card.fsrs is not None
        assert card.fsrs.stability == pytest.approx(ref_card.stability)
        assert card.fsrs.difficulty == pytest.approx(ref_card.difficulty)
        assert card.srs.due == ref_card.due.date()
        day = card.srs.due


def test_fsrs_keeps_sm2_counts_and_fails_with_again() -> None:
    card, _ = _review_all(FsrsScheduler(), [(4, 0), (4, 3), (1, 10)])
    assert card.srs.reps == 0 and card.srs.lapses == 1  # SM-2's bookkeeping
    assert card.srs.interval >= 1 and card.fsrs is not None


def test_higher_retention_gives_shorter_intervals() -> None:
    low, _ = _review_all(FsrsScheduler(desired_retention=0.8), [(4, 0), (4, 3)])
    high, _ = _review_all(FsrsScheduler(desired_retention=0.95), [(4, 0), (4, 3)])
    assert high.srs.interval < low.srs.interval


def test_switching_back_is_lossless() -> None:
    """SM-2 -> FSRS -> more answers -> SM-2 equals SM-2 replayed over all answers."""
    plan = [(4, 0), (5, 1), (3, 6), (2, 9), (4, 1), (5, 2)]
    sm2_card, log1 = _review_all(Sm2Scheduler(), plan[:3])
    fsrs_card = convert(sm2_card, log1, FsrsScheduler())
    assert fsrs_card.fsrs is not None
    day = log1[-1].day
    log = list(log1)
    for grade, gap in plan[3:]:
        day += timedelta(days=gap)
        log.append(LoggedAnswer(day, grade, fsrs_card.srs))
        fsrs_card = FsrsScheduler().review(fsrs_card, grade, day)
    back = convert(fsrs_card, log, Sm2Scheduler())
    expected = SrsState()
    for a in log:
        expected = srs.review(expected, a.grade, a.day)
    assert back.srs == expected


def test_replay_equals_live_fsrs() -> None:
    card, log = _review_all(FsrsScheduler(), [(4, 0), (4, 2), (3, 5), (1, 12), (4, 1)])
    converted = convert(CardSchedule(SrsState()), log, FsrsScheduler())
    assert converted.fsrs is not None and card.fsrs is not None
    assert converted.fsrs.stability == pytest.approx(card.fsrs.stability, rel=1e-4)
    assert converted.srs.due == card.srs.due


def test_no_log_converts_from_sm2_ease_and_interval() -> None:
    state = SrsState(
        ef_milli=2500, interval=20, reps=4, due=DAY + timedelta(days=20), last_review=DAY
    )
    converted = convert(CardSchedule(state), [], FsrsScheduler())
    assert converted.fsrs == fsrs_model.state_from_sm2(2500, 20)
    assert converted.fsrs is not None
    # R = 0.9 at the SM-2 interval, so at retention 0.9 the interval stays about the same.
    assert abs(converted.srs.interval - 20) <= 1


def test_new_cards_stay_new() -> None:
    assert convert(CardSchedule(SrsState()), [], FsrsScheduler()) == CardSchedule(SrsState())
    assert FsrsScheduler().recall_probability(CardSchedule(SrsState()), DAY) == 0.0


def test_sm2_probability_is_ninety_percent_at_its_interval() -> None:
    assert sm2_recall_probability(10, 10) == pytest.approx(0.9)
    assert sm2_recall_probability(10, 0) == pytest.approx(1.0)
    assert sm2_recall_probability(10, 30) < 0.9
    assert sm2_recall_probability(0, 3) == 0.0


def test_fsrs_mastery_is_retrievability_today() -> None:
    card, _ = _review_all(FsrsScheduler(), [(4, 0), (4, 2)])
    assert card.fsrs is not None and card.srs.last_review is not None
    later = card.srs.last_review + timedelta(days=5)
    expected = fsrs_model.retrievability(card.fsrs, card.srs.last_review, later, DEFAULT_PARAMS)
    assert FsrsScheduler().mastery(card, later) == pytest.approx(expected)
    assert 0 < expected < 1


def test_make_scheduler_and_validation() -> None:
    assert make_scheduler("sm2").name == "sm2"
    assert make_scheduler("fsrs", desired_retention=0.85).name == "fsrs"
    with pytest.raises(ValueError):
        make_scheduler("anki")
    with pytest.raises(ValueError):
        FsrsScheduler(desired_retention=1.5)
    with pytest.raises(ValueError):
        FsrsState(stability=0.0, difficulty=5.0)

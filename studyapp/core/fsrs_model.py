"""FSRS-6 through the maintained libraries: py-fsrs schedules, fsrs-rs replays and converts.

Why two libraries: ``fsrs`` (py-fsrs) is the reference scheduler in pure Python, but its
optimizer needs torch; ``fsrs_rs_python`` (the Rust core Anki uses) fits parameters on
the CPU, computes memory states from a review history and converts an SM-2 ease and
interval into a memory state.  Both implement the same 21-parameter FSRS-6 model, so a
state replayed by one is scheduled by the other without a jump.

studyapp works in whole study days (``due`` is a date, same-day repeats do not
reschedule), so the py-fsrs scheduler runs without learning or relearning steps and
without fuzz: every rescheduling answer is one long-term FSRS review, and the same log
gives the same schedule on every machine.  Reviews are placed at noon UTC of their study
day, which makes py-fsrs's elapsed days exactly the gap between study days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import fsrs
import fsrs_rs_python as fsrs_rs

__all__ = [
    "DEFAULT_PARAMS",
    "GRADE_TO_RATING",
    "FsrsState",
    "forgetting_curve",
    "next_interval",
    "rating_for",
    "replay",
    "retrievability",
    "review",
    "state_from_sm2",
]

#: FSRS-6 default parameters (fitted by the FSRS authors on ~10k Anki collections).
DEFAULT_PARAMS: tuple[float, ...] = tuple(float(w) for w in fsrs_rs.DEFAULT_PARAMETERS)

#: SM-2 grade (0-5) -> FSRS rating (1 Again, 2 Hard, 3 Good, 4 Easy).  Grades below SM-2's
#: pass mark are failures in both models; 3 "correct with difficulty" is Hard, 4 "after
#: hesitation" is Good, 5 "perfect" is Easy.  README documents the same table.
GRADE_TO_RATING: Mapping[int, int] = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}

#: Retention SM-2 is assumed to reach at its scheduled interval (srs-benchmark's assumption).
SM2_RETENTION = 0.9
#: Longest interval, as py-fsrs's default (100 years): FSRS, not a cap, decides.
MAX_INTERVAL = 36500


@dataclass(frozen=True)
class FsrsState:
    """FSRS memory state: stability (days until R falls to 90%) and difficulty (1-10)."""

    stability: float
    difficulty: float

    def __post_init__(self) -> None:
        if not (self.stability > 0 and math.isfinite(self.stability)):
            raise ValueError(f"stability must be > 0, got {self.stability!r}")
        if not 1.0 <= self.difficulty <= 10.0:
            raise ValueError(f"difficulty must be within 1..10, got {self.difficulty!r}")


def rating_for(grade: int) -> int:
    """The FSRS rating of an SM-2 grade (see :data:`GRADE_TO_RATING`)."""
    try:
        return GRADE_TO_RATING[grade]
    except KeyError:
        raise ValueError(f"grade must be an integer 0..5, got {grade!r}") from None


def _at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@lru_cache(maxsize=32)
def _scheduler(params: tuple[float, ...], desired_retention: float) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        parameters=params,
        desired_retention=desired_retention,
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=MAX_INTERVAL,
        enable_fuzzing=False,
    )


@lru_cache(maxsize=32)
def _model(params: tuple[float, ...]) -> fsrs_rs.FSRS:
    return fsrs_rs.FSRS(list(params))


def _decay(params: Sequence[float]) -> float:
    return float(params[20])


def forgetting_curve(elapsed_days: float, stability: float, params: Sequence[float]) -> float:
    """FSRS-6's power forgetting curve: R = (1 + f * t / S) ** -d, with R(S) = 0.9."""
    decay = _decay(params)
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return float((1.0 + factor * max(0.0, elapsed_days) / stability) ** -decay)


def retrievability(
    state: FsrsState, last_review: date, on_day: date, params: Sequence[float] = DEFAULT_PARAMS
) -> float:
    """Predicted probability of recall on ``on_day`` for a card last reviewed on ``last_review``."""
    return forgetting_curve((on_day - last_review).days, state.stability, params)


def next_interval(
    stability: float, desired_retention: float, params: Sequence[float] = DEFAULT_PARAMS
) -> int:
    """Whole days until R falls to ``desired_retention`` (py-fsrs's rounding, at least 1)."""
    return int(_scheduler(tuple(params), desired_retention)._next_interval(stability=stability))


def review(
    state: FsrsState | None,
    last_review: date | None,
    grade: int,
    today: date,
    *,
    params: Sequence[float] = DEFAULT_PARAMS,
    desired_retention: float = 0.9,
) -> tuple[FsrsState, int]:
    """One rescheduling answer: the new memory state and the interval in days.

    ``state is None`` is a new card (its first rating sets the initial stability).
    """
    scheduler = _scheduler(tuple(params), desired_retention)
    if state is None or last_review is None:
        card = fsrs.Card(card_id=0)
    else:
        card = fsrs.Card(
            card_id=0,
            state=fsrs.State.Review,
            stability=state.stability,
            difficulty=state.difficulty,
            last_review=_at_noon(last_review),
            due=_at_noon(last_review),
        )
    now = _at_noon(today)
    card, _log = scheduler.review_card(card, fsrs.Rating(rating_for(grade)), now)
    assert card.stability is not None and card.difficulty is not None
    new_state = FsrsState(float(card.stability), float(card.difficulty))
    interval = max(1, (card.due.date() - today).days)
    return new_state, interval


def state_from_sm2(
    ef_milli: int, interval: int, params: Sequence[float] = DEFAULT_PARAMS
) -> FsrsState:
    """fsrs-rs's conversion of an SM-2 ease and interval (R = 0.9 at the interval)."""
    memory = _model(tuple(params)).memory_state_from_sm2(
        ef_milli / 1000.0, float(max(1, interval)), SM2_RETENTION
    )
    return FsrsState(float(memory.stability), float(memory.difficulty))


def replay(
    days_and_grades: Sequence[tuple[date, int]],
    params: Sequence[float] = DEFAULT_PARAMS,
    starting: FsrsState | None = None,
    starting_day: date | None = None,
) -> FsrsState | None:
    """The memory state after a card's rescheduling answers, by fsrs-rs (``None`` if none).

    ``starting`` is the state before the first answer when the history does not begin
    with the card's first review (converted from SM-2 by :func:`state_from_sm2`), and
    ``starting_day`` the day of the review that produced it.
    """
    if not days_and_grades:
        return starting
    reviews = []
    previous: date | None = starting_day if starting is not None else None
    for day, grade in days_and_grades:
        delta = 0 if previous is None else (day - previous).days
        reviews.append(fsrs_rs.FSRSReview(rating_for(grade), max(0, delta)))
        previous = day
    start = (
        None if starting is None else fsrs_rs.MemoryState(starting.stability, starting.difficulty)
    )
    memory = _model(tuple(params)).memory_state(fsrs_rs.FSRSItem(reviews), start)
    return FsrsState(float(memory.stability), min(10.0, max(1.0, float(memory.difficulty))))


def due_after(last_review: date, interval: int) -> date:
    """The due date ``interval`` days after ``last_review``."""
    return last_review + timedelta(days=interval)

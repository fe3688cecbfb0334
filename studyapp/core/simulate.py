"""A simulated learner and a day-by-day study loop, for tests and ``bench/``.

No review dataset can be downloaded here, so the claims of issue 14 (the optimizer
beats the defaults, FSRS hits its desired retention, exam mode covers the scope) are
checked against a learner whose memory we know: each card has its own difficulty, and
recall follows FSRS-6's model with *true* parameters that differ from the defaults
(this learner forgets faster at first and gains stability more slowly).  The learner
answers whatever the scheduler asks; the loop shows every due card each day, like a
user who does all reviews, and introduces a fixed number of new cards per day.

Everything is seeded: the same arguments give the same log.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import fsrs_rs_python as fsrs_rs

from studyapp.core import exam as exam_mode
from studyapp.core import fsrs_model
from studyapp.core.fsrs_model import DEFAULT_PARAMS
from studyapp.core.scheduler import CardSchedule, LoggedAnswer, Scheduler
from studyapp.core.srs import SrsState

__all__ = ["TRUE_PARAMS", "Learner", "SimResult", "run"]


def _true_params() -> tuple[float, ...]:
    w = list(DEFAULT_PARAMS)
    w[0:4] = [0.4, 0.9, 1.6, 5.0]  # initial stability per first rating: shorter memories
    w[8] = 1.3  # slower stability growth after a success
    w[20] = 0.3  # a steeper forgetting curve
    return tuple(w)


#: The learner's real memory model (FSRS-6 with these parameters).
TRUE_PARAMS: tuple[float, ...] = _true_params()


@dataclass
class _Memory:
    stability: float
    difficulty: float
    last_day: date


@dataclass
class Learner:
    """``n_cards`` cards, each with a difficulty offset; answers from the true model."""

    n_cards: int
    seed: int = 0
    params: tuple[float, ...] = TRUE_PARAMS
    _rng: random.Random = field(init=False, repr=False)
    _offset: list[float] = field(init=False, repr=False)
    _memory: dict[int, _Memory] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._offset = [self._rng.gauss(0.0, 1.0) for _ in range(self.n_cards)]
        self._model = fsrs_rs.FSRS(list(self.params))

    def recall_probability(self, card: int, day: date) -> float:
        memory = self._memory.get(card)
        if memory is None:
            return 0.0
        return fsrs_model.forgetting_curve(
            (day - memory.last_day).days, memory.stability, self.params
        )

    def answer(self, card: int, day: date) -> tuple[int, bool]:
        """SM-2 grade (0-5) and whether it was a recall, for a review of ``card`` on ``day``."""
        rng = self._rng
        hard_card = self._offset[card]
        memory = self._memory.get(card)
        if memory is None:
            recalled = rng.random() < 0.6 - 0.1 * hard_card
            elapsed = 0
        else:
            recalled = rng.random() < self.recall_probability(card, day)
            elapsed = (day - memory.last_day).days
        if not recalled:
            rating = 1
        else:
            u = rng.random() + 0.1 * hard_card
            rating = 4 if u < 0.15 else (2 if u > 0.85 else 3)
        state = None if memory is None else fsrs_rs.MemoryState(memory.stability, memory.difficulty)
        nxt = self._model.next_states(state, 0.9, elapsed)
        chosen = (nxt.again, nxt.hard, nxt.good, nxt.easy)[rating - 1].memory
        difficulty = min(10.0, max(1.0, chosen.difficulty + (hard_card if memory is None else 0.0)))
        self._memory[card] = _Memory(chosen.stability, difficulty, day)
        grade = {1: rng.choice((0, 1, 2)), 2: 3, 3: 4, 4: 5}[rating]
        return grade, recalled


@dataclass(frozen=True)
class SimReview:
    card: int
    day: date
    grade: int
    recalled: bool
    first: bool  # the card's first review (not a retention test)
    elapsed: int  # days since the card's previous review (0 for the first)


@dataclass
class SimResult:
    reviews: list[SimReview]
    cards: dict[int, CardSchedule]
    start: date
    days: int

    def histories(self, before: date | None = None) -> dict[int, list[LoggedAnswer]]:
        """The log in the shape the fitting code reads (the SM-2 state before is a new card's)."""
        out: dict[int, list[LoggedAnswer]] = {}
        for r in self.reviews:
            if before is None or r.day < before:
                out.setdefault(r.card, []).append(LoggedAnswer(r.day, r.grade, SrsState()))
        return out

    def retention(self, since: date | None = None, min_elapsed: int = 1) -> float:
        """Share of recalls among reviews of cards already seen (the measured retention).

        ``min_elapsed=2`` leaves out reviews one day after the previous one: at day
        granularity one day is the shortest interval, so after a lapse of a fast-forgetting
        card no scheduler can wait only until recall falls to the target.
        """
        tests = [
            r
            for r in self.reviews
            if not r.first and r.elapsed >= min_elapsed and (since is None or r.day >= since)
        ]
        return sum(r.recalled for r in tests) / len(tests) if tests else 0.0

    def reviews_per_day(self) -> list[int]:
        counts = [0] * self.days
        for r in self.reviews:
            counts[(r.day - self.start).days] += 1
        return counts


def run(
    scheduler: Scheduler,
    learner: Learner,
    *,
    days: int = 120,
    new_per_day: int = 10,
    start: date = date(2026, 1, 1),
    exam_date: date | None = None,
    exam_scope: Sequence[int] | None = None,
    daily_cap: int = 150,
    cards: dict[int, CardSchedule] | None = None,
) -> SimResult:
    """Study every day for ``days`` days; with ``exam_date``, exam mode caps in-scope dues."""
    state = dict(cards) if cards is not None else {}
    for c in range(learner.n_cards):
        state.setdefault(c, CardSchedule(SrsState()))
    scope = set(range(learner.n_cards) if exam_scope is None else exam_scope)
    reviews: list[SimReview] = []
    load: dict[date, int] = {}
    for schedule in state.values():
        if schedule.srs.due is not None:
            load[schedule.srs.due] = load.get(schedule.srs.due, 0) + 1
    for offset in range(days):
        day = start + timedelta(days=offset)
        due = sorted(
            (c for c, s in state.items() if s.srs.due is not None and s.srs.due <= day),
            key=lambda c: (state[c].srs.due, c),
        )
        new = [c for c, s in state.items() if s.srs.due is None]
        if exam_date is not None:
            new.sort(key=lambda c: (c not in scope, c))  # in-scope new cards first
        for card in due + new[:new_per_day]:
            before = state[card]
            grade, recalled = learner.answer(card, day)
            after = scheduler.review(before, grade, day)
            assert after.srs.due is not None
            if before.srs.due is not None:
                load[before.srs.due] = load.get(before.srs.due, 0) - 1
            new_due = after.srs.due
            if exam_date is not None and card in scope and day < exam_date:
                new_due = exam_mode.cap_due(new_due, day, exam_date, load, daily_cap)
                if new_due != after.srs.due:
                    interval = (new_due - day).days
                    after = CardSchedule(
                        SrsState(
                            after.srs.ef_milli,
                            interval,
                            after.srs.reps,
                            after.srs.lapses,
                            new_due,
                            day,
                        ),
                        after.fsrs,
                    )
            load[new_due] = load.get(new_due, 0) + 1
            state[card] = after
            last = before.srs.last_review
            elapsed = 0 if last is None else (day - last).days
            reviews.append(SimReview(card, day, grade, recalled, last is None, elapsed))
    return SimResult(reviews, state, start, days)

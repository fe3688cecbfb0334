"""The scheduler abstraction: SM-2 (default) or FSRS, chosen per collection.

Why an abstraction instead of two code paths in the review service: the service, the
exam mode, the simulation and the evaluation all need "apply an answer", "probability of
recall on a day" and "mastery today" without caring which model answers.  Both
schedulers keep SM-2's ease, repetition and lapse counts up to date (they are cheap and
make a later switch back exact even for cards whose log is incomplete); FSRS adds a
memory state (stability, difficulty) and decides the interval.

Switching converts each card from its review log (the log is the truth, so switching back
and forth loses nothing); a card with no usable log is converted from its SM-2 ease and
interval by fsrs-rs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, Protocol

from studyapp.core import fsrs_model, srs
from studyapp.core.fsrs_model import DEFAULT_PARAMS, FsrsState
from studyapp.core.srs import SrsState

__all__ = [
    "SCHEDULERS",
    "CardSchedule",
    "FsrsScheduler",
    "LoggedAnswer",
    "Scheduler",
    "SchedulerName",
    "Sm2Scheduler",
    "convert",
    "make_scheduler",
    "sm2_recall_probability",
]

SchedulerName = Literal["sm2", "fsrs"]
SCHEDULERS: tuple[SchedulerName, ...] = ("sm2", "fsrs")


@dataclass(frozen=True)
class CardSchedule:
    """A card's whole schedule: SM-2's state (whose ``due`` drives the queue) and FSRS's."""

    srs: SrsState
    fsrs: FsrsState | None = None


@dataclass(frozen=True)
class LoggedAnswer:
    """One rescheduling answer of the review log: its study day, grade and the state before."""

    day: date
    grade: int
    before: SrsState


class Scheduler(Protocol):
    @property
    def name(self) -> SchedulerName:
        """``sm2`` or ``fsrs`` (stored with each answer in the log)."""
        ...

    def review(self, card: CardSchedule, grade: int, today: date) -> CardSchedule:
        """Apply one rescheduling answer given on ``today``."""
        ...

    def recall_probability(self, card: CardSchedule, on_day: date) -> float:
        """Predicted probability of recall on ``on_day`` (0 for a card never reviewed)."""
        ...

    def mastery(self, card: CardSchedule, today: date) -> float:
        """How well the card is known today, in [0, 1] (written to ``mastery_level``)."""
        ...


def sm2_recall_probability(interval: int, elapsed_days: int) -> float:
    """srs-benchmark's reading of SM-2: R = 0.9 at the scheduled interval on FSRS-6's curve.

    SM-2 predicts no probability; the benchmark assumes the interval is where recall has
    fallen to 90% and uses the FSRS forgetting curve (default decay) for other times.
    """
    if interval <= 0:
        return 0.0
    return fsrs_model.forgetting_curve(elapsed_days, float(interval), DEFAULT_PARAMS)


class Sm2Scheduler:
    """SM-2 exactly as :mod:`studyapp.core.srs`; the FSRS state is left as it was."""

    name: SchedulerName = "sm2"

    def review(self, card: CardSchedule, grade: int, today: date) -> CardSchedule:
        return replace(card, srs=srs.review(card.srs, grade, today))

    def recall_probability(self, card: CardSchedule, on_day: date) -> float:
        last = card.srs.last_review
        if last is None:
            return 0.0
        return sm2_recall_probability(card.srs.interval, (on_day - last).days)

    def mastery(self, card: CardSchedule, today: date) -> float:
        return srs.card_mastery(card.srs)


@dataclass(frozen=True)
class FsrsScheduler:
    """FSRS-6 via py-fsrs with the collection's parameters and desired retention."""

    params: tuple[float, ...] = DEFAULT_PARAMS
    desired_retention: float = 0.9
    name: SchedulerName = "fsrs"

    def __post_init__(self) -> None:
        if not 0.5 <= self.desired_retention <= 0.99:
            raise ValueError(
                f"desired_retention must be within 0.5..0.99, got {self.desired_retention}"
            )
        if len(self.params) != len(DEFAULT_PARAMS):
            raise ValueError(
                f"FSRS-6 needs {len(DEFAULT_PARAMS)} parameters, got {len(self.params)}"
            )

    def _memory(self, card: CardSchedule) -> FsrsState | None:
        if card.fsrs is not None or card.srs.last_review is None:
            return card.fsrs
        # Reviewed before FSRS knew it (e.g. restored from frontmatter): convert.
        return fsrs_model.state_from_sm2(card.srs.ef_milli, card.srs.interval, self.params)

    def review(self, card: CardSchedule, grade: int, today: date) -> CardSchedule:
        shadow = srs.review(card.srs, grade, today)  # ease, reps and lapses by SM-2's rules
        memory, interval = fsrs_model.review(
            self._memory(card),
            card.srs.last_review,
            grade,
            today,
            params=self.params,
            desired_retention=self.desired_retention,
        )
        return CardSchedule(
            srs=replace(shadow, interval=interval, due=today + timedelta(days=interval)),
            fsrs=memory,
        )

    def recall_probability(self, card: CardSchedule, on_day: date) -> float:
        memory, last = self._memory(card), card.srs.last_review
        if memory is None or last is None:
            return 0.0
        return fsrs_model.retrievability(memory, last, on_day, self.params)

    def mastery(self, card: CardSchedule, today: date) -> float:
        """FSRS mastery is the card's retrievability today (documented in README)."""
        return self.recall_probability(card, today)


def make_scheduler(
    name: str,
    *,
    params: Sequence[float] | None = None,
    desired_retention: float = 0.9,
) -> Scheduler:
    """The scheduler a collection's settings name (``sm2`` or ``fsrs``)."""
    if name == "sm2":
        return Sm2Scheduler()
    if name == "fsrs":
        chosen = tuple(float(w) for w in params) if params else DEFAULT_PARAMS
        return FsrsScheduler(params=chosen, desired_retention=desired_retention)
    raise ValueError(f"unknown scheduler {name!r}; known: {', '.join(SCHEDULERS)}")


def _is_new(state: SrsState) -> bool:
    return state.last_review is None and state.reps == 0


def convert(card: CardSchedule, history: Sequence[LoggedAnswer], target: Scheduler) -> CardSchedule:
    """The card's schedule under ``target``, rebuilt from its log when it has one.

    ``history`` holds the card's rescheduling, not-undone answers in order.  SM-2 replays
    its grades from the state before the first answer (exact when that answer was the
    card's first); FSRS replays them with fsrs-rs, starting from the SM-2 conversion when
    the log begins mid-life.  Without a log, SM-2 keeps the card as it is and FSRS
    converts its ease and interval.  New cards stay new.
    """
    if isinstance(target, FsrsScheduler):
        return _to_fsrs(card, history, target)
    if not history:
        return card
    state = history[0].before
    for answer in history:
        state = srs.review(state, answer.grade, answer.day)
    return replace(card, srs=state)


def _to_fsrs(
    card: CardSchedule, history: Sequence[LoggedAnswer], target: FsrsScheduler
) -> CardSchedule:
    if history:
        first = history[0].before
        starting = None
        if not _is_new(first):
            starting = fsrs_model.state_from_sm2(first.ef_milli, first.interval, target.params)
        memory = fsrs_model.replay(
            [(a.day, a.grade) for a in history],
            target.params,
            starting=starting,
            starting_day=first.last_review,
        )
        last: date | None = history[-1].day
    elif _is_new(card.srs):
        return replace(card, fsrs=None)
    else:
        memory = fsrs_model.state_from_sm2(card.srs.ef_milli, card.srs.interval, target.params)
        last = card.srs.last_review
    assert memory is not None
    if last is None:  # reviewed state without a date (frontmatter): keep its due date
        return CardSchedule(srs=card.srs, fsrs=memory)
    interval = fsrs_model.next_interval(memory.stability, target.desired_retention, target.params)
    new_srs = replace(
        card.srs, interval=interval, due=last + timedelta(days=interval), last_review=last
    )
    return CardSchedule(srs=new_srs, fsrs=memory)

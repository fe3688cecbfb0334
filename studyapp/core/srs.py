"""SM-2 scheduling, mastery and the small statistics built on review history.

The scheduler is SuperMemo-2 exactly as described in ``shared/reference/srs.md``,
with one deliberate implementation choice: the easiness factor (EF) is stored as
integer thousandths (``ef_milli``, 2500 == 2.5).  A float EF accumulates error
(``2.5 + 0.1 * 5 == 3.0000000000000004``) and ``ceil()`` then adds a whole day to
an interval; integers make every interval reproducible from the review log.

Order of operations (the reading of the open-spaced-repetition ``sm-2`` package):
the EF is updated first (only for grades >= 3), then the interval is computed from
the *new* EF.  Everything here is pure: ``today`` is always a parameter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import IntEnum
from typing import Any

__all__ = [
    "DEFAULT_EF",
    "GRADE_LABELS",
    "MIN_EF",
    "Grade",
    "SrsState",
    "card_mastery",
    "forecast",
    "initial_ef",
    "is_due",
    "retention",
    "review",
    "state_from_frontmatter",
    "streak",
]

#: EF of a fresh card (2.5), in thousandths.
DEFAULT_EF = 2500
#: SM-2's EF floor (1.3): below it intervals would shrink towards a daily review forever.
MIN_EF = 1300
#: Grades at or above this count as a successful recall (the card keeps its repetition count).
PASS_GRADE = 3


class Grade(IntEnum):
    """SM-2 answer quality, 0 (worst) to 5 (best)."""

    BLACKOUT = 0
    WRONG = 1
    WRONG_FAMILIAR = 2
    HARD = 3
    HESITANT = 4
    PERFECT = 5


#: Short bilingual labels for footers and grade buttons; the notes are mostly Chinese.
GRADE_LABELS: Mapping[int, str] = {
    Grade.BLACKOUT: "blackout / 完全忘记",
    Grade.WRONG: "wrong / 答错",
    Grade.WRONG_FAMILIAR: "wrong, familiar / 答错但眼熟",
    Grade.HARD: "correct, hard / 费力想起",
    Grade.HESITANT: "correct, hesitant / 犹豫后答对",
    Grade.PERFECT: "perfect / 完美",
}


@dataclass(frozen=True)
class SrsState:
    """The schedule of one card.

    ``due is None`` means the card is new (never scheduled).  ``lapses`` counts
    failures of a card that had been learned; it survives the reset of ``reps``
    so mastery and leech detection can see a card's troubled history.
    """

    ef_milli: int = DEFAULT_EF
    interval: int = 0  # days
    reps: int = 0
    lapses: int = 0
    due: date | None = None
    last_review: date | None = None

    def __post_init__(self) -> None:
        # Fail loudly on corrupt stored state instead of scheduling nonsense.
        if self.ef_milli < MIN_EF:
            raise ValueError(f"ef_milli {self.ef_milli} below the SM-2 floor {MIN_EF}")
        if self.interval < 0 or self.reps < 0 or self.lapses < 0:
            raise ValueError(f"negative interval/reps/lapses in {self!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (dates as ISO strings) for the review log's before/after snapshots."""
        return {
            "ef_milli": self.ef_milli,
            "interval": self.interval,
            "reps": self.reps,
            "lapses": self.lapses,
            "due": self.due.isoformat() if self.due else None,
            "last_review": self.last_review.isoformat() if self.last_review else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SrsState:
        """Inverse of :meth:`to_dict`; missing keys take the defaults so older logs still load."""

        def _date(value: Any) -> date | None:
            return None if value is None else date.fromisoformat(str(value))

        return cls(
            ef_milli=int(data.get("ef_milli", DEFAULT_EF)),
            interval=int(data.get("interval", 0)),
            reps=int(data.get("reps", 0)),
            lapses=int(data.get("lapses", 0)),
            due=_date(data.get("due")),
            last_review=_date(data.get("last_review")),
        )


def _check_grade(grade: int) -> int:
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"grade must be an integer 0..5, got {grade!r}")
    return int(grade)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def review(state: SrsState, grade: int, today: date) -> SrsState:
    """Apply one graded review on ``today`` and return the new state.

    SM-2: for ``grade >= 3`` the EF changes by ``100 - (5-q)*(80 + (5-q)*20)``
    thousandths (+100, 0, -140 for 5, 4, 3; floor 1300), then the interval is 1, 6,
    then ``ceil(prev * EF / 1000)`` in integer arithmetic.  For ``grade < 3`` the
    repetition count restarts (next interval 1 day), the EF is unchanged and, if
    the card had been learned, a lapse is counted.  Lateness is ignored, as in SM-2.
    """
    q = _check_grade(grade)
    if q < PASS_GRADE:
        return replace(
            state,
            interval=1,
            reps=0,
            lapses=state.lapses + (1 if state.reps > 0 else 0),
            due=today + timedelta(days=1),
            last_review=today,
        )
    miss = 5 - q
    ef = max(MIN_EF, state.ef_milli + 100 - miss * (80 + miss * 20))
    reps = state.reps + 1
    if reps == 1:
        interval = 1
    elif reps == 2:
        interval = 6
    else:
        # max(1, ...): a state rebuilt from frontmatter may carry reps > 2 with no
        # known interval; never schedule a reviewed card for the same day.
        interval = max(1, _ceil_div(state.interval * ef, 1000))
    return SrsState(
        ef_milli=ef,
        interval=interval,
        reps=reps,
        lapses=state.lapses,
        due=today + timedelta(days=interval),
        last_review=today,
    )


def is_due(state: SrsState, today: date) -> bool:
    """A scheduled card whose due date has come (new cards are queued separately)."""
    return state.due is not None and state.due <= today


_INITIAL_EF: Mapping[str, int] = {"easy": 2700, "medium": DEFAULT_EF, "hard": 2100}


def initial_ef(difficulty: str) -> int:
    """Starting EF (thousandths) for a note's declared ``difficulty``.

    SM-2 fixes the first two intervals (1 and 6 days), so the starting EF only
    matters from the third review on, where it scales every later interval:

    * ``medium`` 2500 — SM-2's own default.
    * ``easy`` 2700 — the EF two "perfect" answers would reach; third interval 17
      days instead of 15.
    * ``hard`` 2100 — about three "correct, hard" answers below the default; third
      interval 13 days, fourth 28 instead of 38, so material the user marked hard
      comes back sooner without being stuck at the 1.3 floor.

    Raises ``ValueError`` for anything else (``NoteMeta`` has already validated it).
    """
    try:
        return _INITIAL_EF[difficulty]
    except KeyError:
        raise ValueError(f"unknown difficulty {difficulty!r}") from None


def state_from_frontmatter(
    review_count: int,
    last_reviewed: date | None,
    next_review: date | None,
    difficulty: str,
) -> SrsState:
    """Rebuild a schedule from a note's frontmatter (the database was deleted or is new).

    ``reps`` is ``review_count``; the interval is the gap between the two dates
    when both are present (0 otherwise or if negative); ``due`` is ``next_review``.
    The EF is not in the frontmatter, so it restarts from :func:`initial_ef` of the
    difficulty — the one piece of history that a re-import loses.  A note with
    ``review_count`` 0 and a ``next_review`` is a new card that waits until that date.
    """
    interval = 0
    if last_reviewed is not None and next_review is not None:
        interval = max(0, (next_review - last_reviewed).days)
    return SrsState(
        ef_milli=initial_ef(difficulty),
        interval=interval,
        reps=max(0, review_count),
        lapses=0,
        due=next_review,
        last_review=last_reviewed,
    )


# --- mastery -------------------------------------------------------------------------------

#: Interval (days) at which the interval part of mastery reaches 1 - 1/e (~63%).
MASTERY_INTERVAL_SCALE = 21.0
#: EF range mapped onto 0..1 for mastery: the floor to a few "perfect" answers above default.
_EF_LOW, _EF_HIGH = MIN_EF, 3000
#: Share of mastery decided by EF; the rest is carried by the interval alone.
_EF_WEIGHT = 0.25
#: Each lapse multiplies mastery by this, counting at most ``_MAX_LAPSES`` of them.
LAPSE_FACTOR = 0.85
_MAX_LAPSES = 4


def card_mastery(state: SrsState) -> float:
    """How well a card is known, in [0, 1]; 0 for a card never reviewed.

    ``(1 - exp(-interval / 21)) * (0.75 + 0.25 * ef_norm) * 0.85 ** min(lapses, 4)``
    where ``ef_norm`` maps EF 1.3..3.0 onto 0..1 (clamped).  The interval carries
    most of the signal: it is SM-2's own estimate of how long the memory lasts, and
    a 3-week interval reads as ~63%.  EF separates cards with the same interval
    that were hard-won from easy ones.  Lapses are a lasting penalty (capped, since
    the state has no lapse dates to tell recent from old ones).  The function is
    increasing in interval, non-decreasing in EF and decreasing in lapses.
    """
    if state.interval <= 0:
        return 0.0
    by_interval = 1.0 - math.exp(-state.interval / MASTERY_INTERVAL_SCALE)
    ef_norm = min(1.0, max(0.0, (state.ef_milli - _EF_LOW) / (_EF_HIGH - _EF_LOW)))
    by_ef = (1.0 - _EF_WEIGHT) + _EF_WEIGHT * ef_norm
    penalty = LAPSE_FACTOR ** min(state.lapses, _MAX_LAPSES)
    return min(1.0, max(0.0, by_interval * by_ef * penalty))


# --- statistics ----------------------------------------------------------------------------


def forecast(dues: Iterable[date | None], today: date, days: int = 14) -> list[int]:
    """Cards due on each day from ``today`` to ``today + days - 1``.

    Overdue cards are counted on ``today`` (that is when they will be shown); new
    cards (``None``) and dates beyond the window are left out.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    counts = [0] * days
    if days == 0:
        return counts
    for due in dues:
        if due is None:
            continue
        offset = max(0, (due - today).days)
        if offset < days:
            counts[offset] += 1
    return counts


def retention(grades: Iterable[int]) -> float | None:
    """Share of grades >= 3 (SM-2's pass mark); ``None`` when there were no reviews."""
    total = passed = 0
    for grade in grades:
        total += 1
        passed += _check_grade(grade) >= PASS_GRADE
    return None if total == 0 else passed / total


def streak(days_with_reviews: set[date], today: date) -> int:
    """Consecutive study days ending today.

    If nothing has been reviewed yet today the streak still counts up to
    yesterday: it is not broken until the study day is over, and the user should
    see "5 days" rather than 0 when they open the app in the morning.
    """
    day = today if today in days_with_reviews else today - timedelta(days=1)
    count = 0
    while day in days_with_reviews:
        count += 1
        day -= timedelta(days=1)
    return count

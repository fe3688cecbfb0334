"""The in-session review queue: ordering, same-session relearning, skip and undo.

Pure and deterministic: the services layer builds the queue from the database,
feeds grades in and persists what :class:`AnswerOutcome` tells it to.  Only the
first grade of a card in a session reschedules it (SM-2); a card graded below 4
comes back later in the same session until it is answered with 4 or 5, as
``shared/reference/srs.md`` prescribes, without touching its schedule again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

__all__ = [
    "RELEARN_GRADE",
    "AnswerOutcome",
    "QueueItem",
    "ReviewSession",
    "SessionSummary",
    "build_queue",
]

#: A card answered below this grade is shown again in the same session.
RELEARN_GRADE = 4


@dataclass(frozen=True)
class QueueItem:
    """One card in the session queue.

    ``sibling_key`` groups cards that give each other away (e.g. cells of the same
    table row); "" means the card has no siblings.
    """

    card_id: int
    note_id: int | None
    kind: str
    due: date | None
    sibling_key: str = ""


def _spread(items: Sequence[QueueItem], prev_key: str = "") -> list[QueueItem]:
    """Reorder ``items`` so no two siblings are adjacent where that is possible.

    Greedy and order-preserving: at each position take the earliest remaining item
    whose key differs from the previous one *and* leaves the rest arrangeable
    (every key's count at most one more than the number of other items, and the
    previous key's count at most the number of other items).  When no candidate
    qualifies the arrangement is impossible and the earliest item is taken.
    """
    remaining = list(items)
    counts = Counter(i.sibling_key for i in remaining if i.sibling_key)
    out: list[QueueItem] = []
    while remaining:
        pick = 0
        for idx, item in enumerate(remaining):
            key = item.sibling_key
            if key and key == prev_key:
                continue
            if _arrangeable(counts, len(remaining) - 1, key):
                pick = idx
                break
        else:
            pick = next(
                (
                    i
                    for i, it in enumerate(remaining)
                    if not it.sibling_key or it.sibling_key != prev_key
                ),
                0,
            )
        item = remaining.pop(pick)
        if item.sibling_key:
            counts[item.sibling_key] -= 1
        out.append(item)
        prev_key = item.sibling_key
    return out


def _arrangeable(counts: Counter[str], rest: int, taken_key: str) -> bool:
    """Whether the items left after taking one with ``taken_key`` can avoid adjacent siblings."""
    for key, count in counts.items():
        left = count - 1 if key == taken_key else count
        others = rest - left
        # The key just placed needs a separator before each of its items; others may lead.
        if left > (others if key == taken_key else others + 1):
            return False
    return True


def build_queue(
    due: Sequence[QueueItem],
    new: Sequence[QueueItem],
    new_limit: int,
    new_done_today: int = 0,
) -> list[QueueItem]:
    """Order a session: due reviews oldest-due first, then up to the day's new cards.

    Reviews come first (Anki's default): they are the cards about to be forgotten,
    and a session cut short should have spent its time on them.  New cards keep the
    caller's order (e.g. by note) and are limited to ``new_limit - new_done_today``.
    Siblings are then spread apart within each part (and across the seam), so the
    answer to one cell is not on screen just before its neighbour is asked.
    """
    reviews = sorted(due, key=lambda i: (i.due or date.min, i.card_id))
    fresh = list(new[: max(0, new_limit - new_done_today)])
    spread_reviews = _spread(reviews)
    seam = spread_reviews[-1].sibling_key if spread_reviews else ""
    return spread_reviews + _spread(fresh, seam)


@dataclass(frozen=True)
class AnswerOutcome:
    """What the services layer must do after a grade.

    ``rescheduled``: this was the card's first grade in the session, so it must be
    passed to ``srs.review`` and written back.  ``requeued``: the grade was below 4
    and the card will be shown again later in this session.
    """

    card_id: int
    rescheduled: bool
    requeued: bool


@dataclass(frozen=True)
class SessionSummary:
    """End-of-session numbers.

    ``answered``: distinct cards graded; ``answers``: all grades given, relearning
    repeats included; ``relearned``: cards that came back at least once;
    ``grade_counts[q]``: first (scheduling) grades equal to ``q``; ``cards``: ids of
    the graded cards in the order of their first answer.
    """

    answered: int
    answers: int
    relearned: int
    skipped: int
    grade_counts: tuple[int, ...]
    cards: tuple[int, ...]


@dataclass(frozen=True)
class _State:
    """Everything that changes during a session, immutable so undo is a stack of these."""

    queue: tuple[QueueItem, ...]
    graded: tuple[int, ...] = ()  # card ids in order of their first grade
    relearning: frozenset[int] = frozenset()  # ids that were requeued at least once
    done: int = 0  # cards finished (last grade >= 4)
    answers: int = 0
    skipped: int = 0
    grade_counts: tuple[int, ...] = (0, 0, 0, 0, 0, 0)


class ReviewSession:
    """A review session over a fixed queue (see :func:`build_queue`).

    Each card is in the queue at most once; a relearning card is reinserted after
    ``relearn_gap`` other cards (or at the end when fewer remain), so it counts
    once in ``remaining``.  Every answer and skip can be undone, any number of
    levels, restoring the queue and all counters exactly.
    """

    def __init__(self, queue: Sequence[QueueItem], relearn_gap: int = 3) -> None:
        ids = [item.card_id for item in queue]
        if len(set(ids)) != len(ids):
            raise ValueError("a card appears twice in the session queue")
        if relearn_gap < 0:
            raise ValueError(f"relearn_gap must be >= 0, got {relearn_gap}")
        self.relearn_gap = relearn_gap
        self._state = _State(queue=tuple(queue))
        self._history: list[_State] = []

    def current(self) -> QueueItem | None:
        """The card to show now, or ``None`` when the session is finished."""
        return self._state.queue[0] if self._state.queue else None

    @property
    def upcoming(self) -> tuple[QueueItem, ...]:
        """The remaining queue in order, current card first (for an "up next" view)."""
        return self._state.queue

    def _require_current(self) -> QueueItem:
        item = self.current()
        if item is None:
            raise RuntimeError("the session is finished")
        return item

    def answer(self, grade: int) -> AnswerOutcome:
        """Grade the current card (0..5) and move on."""
        if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
            raise ValueError(f"grade must be an integer 0..5, got {grade!r}")
        item = self._require_current()
        st = self._state
        first = item.card_id not in st.graded
        rest = list(st.queue[1:])
        requeued = grade < RELEARN_GRADE
        if requeued:
            rest.insert(min(self.relearn_gap, len(rest)), item)
        counts = list(st.grade_counts)
        if first:
            counts[grade] += 1
        self._push(
            _State(
                queue=tuple(rest),
                graded=(*st.graded, item.card_id) if first else st.graded,
                relearning=st.relearning | {item.card_id} if requeued else st.relearning,
                done=st.done + (0 if requeued else 1),
                answers=st.answers + 1,
                skipped=st.skipped,
                grade_counts=tuple(counts),
            )
        )
        return AnswerOutcome(card_id=item.card_id, rescheduled=first, requeued=requeued)

    def skip(self) -> QueueItem:
        """Bury the current card for this session without grading it; returns it."""
        item = self._require_current()
        st = self._state
        self._push(replace(st, queue=st.queue[1:], skipped=st.skipped + 1))
        return item

    def _push(self, new_state: _State) -> None:
        self._history.append(self._state)
        self._state = new_state

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def undo(self) -> QueueItem | None:
        """Revert the last answer or skip; returns the card that is current again.

        ``None`` when there is nothing to undo.  The caller reverts its own side
        effects (e.g. the persisted review if that answer had ``rescheduled``).
        """
        if not self._history:
            return None
        self._state = self._history.pop()
        return self.current()

    @property
    def progress(self) -> tuple[int, int]:
        """``(done, remaining)``: finished cards and distinct cards still queued.

        Skipped cards are in neither number.
        """
        return self._state.done, len(self._state.queue)

    @property
    def finished(self) -> bool:
        return not self._state.queue

    def summary(self) -> SessionSummary:
        st = self._state
        return SessionSummary(
            answered=len(st.graded),
            answers=st.answers,
            relearned=len(st.relearning),
            skipped=st.skipped,
            grade_counts=st.grade_counts,
            cards=st.graded,
        )

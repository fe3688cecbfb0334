"""The in-session review queue: ordering, same-session relearning, skip and undo.

Pure and deterministic: the services layer builds the queue from the database,
feeds grades in and persists what :class:`AnswerOutcome` tells it to.  Only the
first grade of a card in a session reschedules it (SM-2); a card graded below 4
comes back later in the same session until it is answered with 4 or 5, as
``shared/reference/srs.md`` prescribes, without touching its schedule again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from studyapp.core.queue_order import (
    SIBLING_MODES,
    LazySpread,
    QueueItem,
    build_queue,
    bury_into,
    bury_key,
    bury_siblings,
    interleave_new,
    note_key,
    spread,
)

__all__ = [
    "RELEARN_GRADE",
    "SIBLING_MODES",
    "AnswerOutcome",
    "LazySpread",
    "QueueItem",
    "ReviewSession",
    "SessionSummary",
    "build_queue",
    "bury_into",
    "bury_key",
    "bury_siblings",
    "interleave_new",
    "note_key",
    "spread",
]

#: A card answered below this grade is shown again in the same session.
RELEARN_GRADE = 4


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

    queue: tuple[QueueItem, ...]  # the part of the queue read from the source so far
    pos: int = 0  # source items read into ``queue`` (the rest of the queue is source[pos:])
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

    ``queue`` may be a lazy sequence (the services' windowed due queue): the session
    reads it only a few cards ahead of the current one (``len`` gives ``remaining``),
    so a 30,000-card day is not read in full to show its first card.  A list or tuple
    is checked for repeated cards; a lazy queue promises none.
    """

    def __init__(self, queue: Sequence[QueueItem], relearn_gap: int = 3) -> None:
        if isinstance(queue, (list, tuple)):
            ids = [item.card_id for item in queue]
            if len(set(ids)) != len(ids):
                raise ValueError("a card appears twice in the session queue")
        if relearn_gap < 0:
            raise ValueError(f"relearn_gap must be >= 0, got {relearn_gap}")
        self.relearn_gap = relearn_gap
        self._source: Sequence[QueueItem] = queue
        if isinstance(queue, (list, tuple)):
            items = tuple(queue)
            self._source = items
            self._state = _State(queue=items, pos=len(items))
        else:
            self._state = _State(queue=())
        self._history: list[_State] = []

    def _ahead(self, n: int | None) -> _State:
        """The current state with at least ``n`` cards (None: all) read from the source.

        Reading ahead changes no counter and no order, so it updates the state in place
        (the states on the undo stack read from the same source)."""
        st = self._state
        size = len(self._source)
        if st.pos < size and (n is None or len(st.queue) < n):
            stop = size if n is None else min(size, st.pos + n - len(st.queue) + 8)
            more = tuple(self._source[st.pos : stop])
            st = replace(st, queue=st.queue + more, pos=st.pos + len(more) if more else size)
            self._state = st
        return st

    def current(self) -> QueueItem | None:
        """The card to show now, or ``None`` when the session is finished."""
        st = self._ahead(1)
        return st.queue[0] if st.queue else None

    def read_all(self) -> None:
        """Read the rest of a lazy queue now (e.g. before the collection is changed in
        a way that would hide the rest of a note's cards from a later read)."""
        self._ahead(None)

    @property
    def upcoming(self) -> tuple[QueueItem, ...]:
        """The remaining queue in order, current card first (for an "up next" view)."""
        return self._ahead(None).queue

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
        st = self._ahead(self.relearn_gap + 2)
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
                pos=st.pos,
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

    def skip_note(self, note_id: int) -> int:
        """Bury the current card and every queued card of ``note_id``; returns how many.

        One step for :meth:`undo` (the review screen's "bury note", ``=``).
        """
        self._require_current()
        st = self._ahead(None)
        kept = tuple(
            item for item in st.queue[1:] if item.note_id is None or item.note_id != note_id
        )
        dropped = len(st.queue) - len(kept)
        self._push(replace(st, queue=kept, skipped=st.skipped + dropped))
        return dropped

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
        st = self._state
        return st.done, len(st.queue) + max(0, len(self._source) - st.pos)

    @property
    def finished(self) -> bool:
        return self.current() is None

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

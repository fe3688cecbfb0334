"""The in-session queue: ordering, relearning, skip, undo and progress."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyapp.core import queue_order as order_mod
from studyapp.core import session as session_mod
from studyapp.core.session import (
    AnswerOutcome,
    QueueItem,
    ReviewSession,
    build_queue,
    bury_siblings,
    interleave_new,
)
from tests.steps import lines_run

D0 = date(2025, 1, 6)


def item(card_id: int, due: date | None = None, key: str = "", kind: str = "note") -> QueueItem:
    return QueueItem(card_id=card_id, note_id=card_id // 10, kind=kind, due=due, sibling_key=key)


def ids(items: list[QueueItem] | tuple[QueueItem, ...]) -> list[int]:
    return [i.card_id for i in items]


def order_seen(session: ReviewSession) -> list[int]:
    """Answer every card with 5 and return the order they were shown."""
    seen = []
    while (cur := session.current()) is not None:
        seen.append(cur.card_id)
        session.answer(5)
    return seen


def adjacent_siblings(items: list[QueueItem]) -> int:
    return sum(
        1 for a, b in itertools.pairwise(items) if a.sibling_key and a.sibling_key == b.sibling_key
    )


# --- build_queue ---------------------------------------------------------------------------


def test_due_oldest_first_ties_by_id_then_new() -> None:
    due = [item(3, D0), item(1, D0), item(2, D0 - timedelta(4)), item(9, D0 - timedelta(1))]
    new = [item(20), item(10), item(30)]
    queue = build_queue(due, new, new_limit=10)
    assert ids(queue) == [
        2,
        9,
        1,
        3,
        20,
        10,
        30,
    ]  # new cards keep the caller's order, after reviews


def test_new_limit_counts_new_done_today() -> None:
    new = [item(i) for i in range(10, 20)]
    assert ids(build_queue([], new, new_limit=3)) == [10, 11, 12]
    assert ids(build_queue([], new, new_limit=3, new_done_today=2)) == [10]
    assert build_queue([], new, new_limit=3, new_done_today=5) == []
    assert build_queue([], new, new_limit=0) == []


def test_siblings_spread_apart() -> None:
    # Three cells of one table row would come back to back in due order.
    due = [
        item(1, D0, "row-a"),
        item(2, D0, "row-a"),
        item(3, D0, "row-a"),
        item(4, D0, "row-b"),
        item(5, D0),
    ]
    queue = build_queue(due, [], new_limit=0)
    assert sorted(ids(queue)) == [1, 2, 3, 4, 5]
    assert adjacent_siblings(queue) == 0
    assert queue[0].card_id == 1  # order disturbed only as much as needed


def test_sibling_spreading_needs_lookahead() -> None:
    # A A B B B: first-fit greedy would give A B A B B; the only fix is B A B A B.
    due = [item(1, D0, "A"), item(2, D0, "A"), item(3, D0, "B"), item(4, D0, "B"), item(5, D0, "B")]
    queue = build_queue(due, [], new_limit=0)
    assert adjacent_siblings(queue) == 0
    assert ids(queue) == [3, 1, 4, 2, 5]


def test_siblings_unavoidable_keeps_everything() -> None:
    due = [item(i, D0, "A") for i in range(1, 4)] + [item(4, D0, "B")]
    queue = build_queue(due, [], new_limit=0)
    assert sorted(ids(queue)) == [1, 2, 3, 4]
    assert adjacent_siblings(queue) == 1  # A B A A: the best possible


def test_siblings_spread_across_review_new_seam() -> None:
    queue = build_queue([item(1, D0, "row")], [item(2, None, "row"), item(3)], new_limit=5)
    assert ids(queue) == [1, 3, 2]


def test_untagged_cards_are_never_siblings() -> None:
    due = [item(i, D0) for i in range(1, 6)]
    assert ids(build_queue(due, [], new_limit=0)) == [1, 2, 3, 4, 5]


def _queue_work(due: list[QueueItem], new: list[QueueItem], new_limit: int) -> int:
    """Python lines ``build_queue`` runs (ordering and session modules), counted, not timed."""
    queue, lines = lines_run(
        lambda: build_queue(due, new, new_limit=new_limit), order_mod, session_mod
    )
    assert adjacent_siblings(queue) == 0
    return lines


def _big_collection(n: int) -> tuple[list[QueueItem], list[QueueItem]]:
    due = [item(i, D0 - timedelta(i % 30), f"row-{i // 4}") for i in range(n)]
    return due, [item(10_000_000 + i, None, f"new-{i // 3}") for i in range(n // 15)]


def test_build_queue_is_fast_on_a_big_collection() -> None:
    """Fast means linear here (speed itself is measured in bench/): 4x the cards runs at
    most 4.4x the lines of the ordering code (the former quadratic spread: 16x)."""
    due, new = _big_collection(3000)
    queue = build_queue(due, new, new_limit=50)
    assert len(queue) == 3050
    assert adjacent_siblings(queue) == 0
    small, large = _queue_work(*_big_collection(750), 12), _queue_work(due, new, 50)
    assert large <= 4.4 * small, (small, large)


def _reference_spread(items: Sequence[QueueItem], prev_key: str = "") -> list[QueueItem]:
    """The former quadratic ``_spread``, kept as an oracle for the O(n log k) one."""

    def arrangeable(counts: Counter[str], rest: int, taken_key: str) -> bool:
        for key, count in counts.items():
            left = count - 1 if key == taken_key else count
            others = rest - left
            if left > (others if key == taken_key else others + 1):
                return False
        return True

    remaining = list(items)
    counts = Counter(i.sibling_key for i in remaining if i.sibling_key)
    out: list[QueueItem] = []
    while remaining:
        pick = 0
        for idx, it in enumerate(remaining):
            if it.sibling_key and it.sibling_key == prev_key:
                continue
            if arrangeable(counts, len(remaining) - 1, it.sibling_key):
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
        chosen = remaining.pop(pick)
        if chosen.sibling_key:
            counts[chosen.sibling_key] -= 1
        out.append(chosen)
        prev_key = chosen.sibling_key
    return out


def _reference_build_queue(
    due: Sequence[QueueItem], new: Sequence[QueueItem], new_limit: int
) -> list[QueueItem]:
    reviews = _reference_spread(sorted(due, key=lambda i: (i.due or date.min, i.card_id)))
    seam = reviews[-1].sibling_key if reviews else ""
    return reviews + _reference_spread(list(new[: max(0, new_limit)]), seam)


def _feasible(keys: Sequence[str], prev_key: str = "") -> bool:
    """Whether ``keys`` can be ordered with no equal non-empty neighbours (after ``prev_key``)."""
    counts = Counter(k for k in keys if k)
    n = len(keys)
    if any(c > math.ceil(n / 2) for c in counts.values()):
        return False
    return not prev_key or 2 * counts[prev_key] <= n


# Few keys (and "") so that clashes, heavy keys and impossible inputs are all common;
# runs of one key so that the search past a clash goes beyond the look-ahead.
_keys = st.sampled_from(["", "", "a", "b", "c", "d"])
_days = st.integers(min_value=0, max_value=4)
_runs = st.lists(st.tuples(_keys, st.integers(min_value=1, max_value=12)), max_size=8).map(
    lambda runs: [k for k, length in runs for _ in range(length)]
)
_key_lists = st.one_of(st.lists(_keys, max_size=40), _runs)
_lookaheads = st.sampled_from([0, 1, 2, order_mod._LOOKAHEAD])


@st.composite
def _parts(draw: st.DrawFn) -> tuple[list[QueueItem], list[QueueItem]]:
    due_keys = draw(_key_lists)
    days = draw(st.lists(_days, min_size=len(due_keys), max_size=len(due_keys)))
    new_keys = draw(_key_lists)
    due = [
        item(i, D0 - timedelta(d), k) for i, (d, k) in enumerate(zip(days, due_keys, strict=True))
    ]
    new = [item(1000 + i, None, k) for i, k in enumerate(new_keys)]
    return due, new


@settings(max_examples=500, deadline=None)
@given(_parts(), _lookaheads)
def test_spreading_properties(
    parts: tuple[list[QueueItem], list[QueueItem]], lookahead: int
) -> None:
    due, new = parts
    with mock.patch.object(order_mod, "_LOOKAHEAD", lookahead):
        queue = build_queue(due, new, new_limit=len(new))
        again = build_queue(due, new, new_limit=len(new))
    reviews = sorted(due, key=lambda i: (i.due or date.min, i.card_id))
    # A permutation of the input, reviews still before new cards.
    assert sorted(ids(queue[: len(due)])) == sorted(ids(due))
    assert sorted(ids(queue[len(due) :])) == sorted(ids(new))
    # No adjacent siblings whenever an arrangement exists (across the seam too).
    if _feasible([i.sibling_key for i in due]):
        assert adjacent_siblings(queue[: len(due)]) == 0
        seam = queue[len(due) - 1].sibling_key if due else ""
        if _feasible([i.sibling_key for i in new], seam):
            assert adjacent_siblings(queue) == 0
    # An input with no clashes (across the seam too) comes out unchanged.
    if adjacent_siblings(reviews + new) == 0:
        assert queue == reviews + new
    # Deterministic, and exactly what the former quadratic greedy produced.
    assert again == queue
    assert queue == _reference_build_queue(due, new, len(new))


@settings(max_examples=300, deadline=None)
@given(_key_lists, _keys, _lookaheads)
def test_spreading_after_a_seam_key(keys: list[str], prev: str, lookahead: int) -> None:
    items = [item(i, None, k) for i, k in enumerate(keys)]
    with mock.patch.object(order_mod, "_LOOKAHEAD", lookahead):
        out = order_mod._spread(items, prev)
    assert out == _reference_spread(items, prev)
    if _feasible(keys, prev):
        assert adjacent_siblings([item(-1, None, prev), *out]) == 0


def _clustered(n: int) -> list[QueueItem]:
    """Keys clustered like table rows (n * 3 / 20 of them), due dates shuffled, a few untagged."""
    keys = n * 3 // 20
    return [
        item(i, D0 - timedelta((i * 7919) % 31), "" if i % 11 == 0 else f"row-{i % keys}")
        for i in range(n)
    ]


def test_spreading_scales_to_20000_items_and_3000_keys() -> None:
    # Counted, not timed (the bench times it): the former quadratic version took minutes
    # here.  4x the items (and keys) runs at most 4.4x the lines: O(n log k), not O(n^2).
    due = _clustered(20_000)
    small, large = _queue_work(_clustered(5_000), [], 0), _queue_work(due, [], 0)
    assert large <= 4.4 * small, (small, large)
    queue = build_queue(due, [], new_limit=0)
    assert sorted(ids(queue)) == list(range(20_000))
    assert adjacent_siblings(queue) == 0


def test_one_dominant_key_is_interleaved_at_scale() -> None:
    # 10,001 "A" and 10,000 others: feasible only as A x A x ... A.
    due = [item(i, D0, "A") for i in range(10_001)] + [
        item(20_000 + i, D0, f"k{i % 3000}") for i in range(10_000)
    ]
    queue = build_queue(due, [], new_limit=0)
    assert len(queue) == 20_001
    assert adjacent_siblings(queue) == 0
    assert all(q.sibling_key == "A" for q in queue[::2])


# --- ReviewSession -------------------------------------------------------------------------


def test_relearn_until_four() -> None:
    session = ReviewSession([item(1), item(2), item(3), item(4), item(5)])
    outcomes: list[AnswerOutcome] = []
    shown = []
    while (cur := session.current()) is not None:
        shown.append(cur.card_id)
        grade = [2, 3, 4][sum(1 for o in outcomes if o.card_id == 1)] if cur.card_id == 1 else 5
        outcomes.append(session.answer(grade))
    card1 = [o for o in outcomes if o.card_id == 1]
    assert [o.rescheduled for o in card1] == [True, False, False]
    assert [o.requeued for o in card1] == [True, True, False]
    assert shown.count(1) == 3
    assert all(o.rescheduled and not o.requeued for o in outcomes if o.card_id != 1)
    summary = session.summary()
    assert (summary.answered, summary.answers, summary.relearned) == (5, 7, 1)
    assert summary.grade_counts == (0, 0, 1, 0, 0, 4)  # first grades only
    assert summary.cards == (1, 2, 3, 4, 5)


def test_relearn_gap_respected() -> None:
    session = ReviewSession([item(i) for i in range(1, 7)], relearn_gap=3)
    session.answer(1)
    assert ids(session.upcoming) == [2, 3, 4, 1, 5, 6]
    assert order_seen(session) == [2, 3, 4, 1, 5, 6]


def test_relearn_at_end_when_few_remain() -> None:
    session = ReviewSession([item(1), item(2)], relearn_gap=3)
    session.answer(3)
    assert ids(session.upcoming) == [2, 1]
    session.answer(5)
    assert session.current() == item(1)
    session.answer(0)  # last card, failed again: shown again immediately
    assert session.current() == item(1)
    assert not session.finished


def test_custom_gap() -> None:
    session = ReviewSession([item(i) for i in range(1, 5)], relearn_gap=1)
    session.answer(2)
    assert ids(session.upcoming) == [2, 1, 3, 4]


def test_progress_counts_relearning_card_once() -> None:
    session = ReviewSession([item(1), item(2), item(3)])
    assert session.progress == (0, 3)
    session.answer(2)
    assert session.progress == (0, 3)  # card 1 is still to do, once
    session.answer(4)
    assert session.progress == (1, 2)
    session.answer(5)
    assert session.progress == (2, 1)
    session.answer(4)
    assert session.progress == (3, 0)
    assert session.finished and session.current() is None


def test_skip_buries_without_grading() -> None:
    session = ReviewSession([item(1), item(2), item(3)])
    assert session.skip() == item(1)
    assert session.progress == (0, 2)
    assert order_seen(session) == [2, 3]
    summary = session.summary()
    assert summary.skipped == 1
    assert summary.cards == (2, 3)


def test_undo_multi_level_restores_exact_state() -> None:
    queue = [item(i) for i in range(1, 6)]
    session = ReviewSession(queue)
    snapshots = [(session.upcoming, session.progress, session.summary())]
    session.answer(2)
    snapshots.append((session.upcoming, session.progress, session.summary()))
    session.skip()
    snapshots.append((session.upcoming, session.progress, session.summary()))
    session.answer(5)
    snapshots.append((session.upcoming, session.progress, session.summary()))
    session.answer(3)

    for expected in reversed(snapshots):
        restored = session.undo()
        assert restored == expected[0][0]
        assert (session.upcoming, session.progress, session.summary()) == expected
    assert session.undo() is None
    assert not session.can_undo
    # After undoing the first answer the card's next grade reschedules again.
    assert session.answer(4).rescheduled


def test_undo_then_answer_differently() -> None:
    session = ReviewSession([item(1), item(2)])
    assert session.answer(1).requeued
    assert session.undo() == item(1)
    outcome = session.answer(5)
    assert outcome.rescheduled and not outcome.requeued
    assert session.summary().relearned == 0
    assert session.summary().grade_counts[1] == 0


def test_invalid_use() -> None:
    with pytest.raises(ValueError):
        ReviewSession([item(1), item(1)])
    with pytest.raises(ValueError):
        ReviewSession([item(1)], relearn_gap=-1)
    session = ReviewSession([item(1)])
    for bad in (-1, 6, True):
        with pytest.raises(ValueError):
            session.answer(bad)
    session.answer(5)
    with pytest.raises(RuntimeError):
        session.answer(5)
    with pytest.raises(RuntimeError):
        session.skip()


def test_empty_session() -> None:
    session = ReviewSession([])
    assert session.finished
    assert session.progress == (0, 0)
    assert session.summary().answered == 0


# --- siblings and new-card interleaving ----------------------------------------------------


def _new(card_id: int, note: int | None, kind: str, key: str = "", folder: str = "") -> QueueItem:
    return QueueItem(card_id, note, kind, None, key, folder)


def test_bury_siblings_keeps_one_card_per_row_and_respects_today() -> None:
    items = [
        _new(1, 1, "table", "r1"),
        _new(2, 1, "table", "r1"),
        _new(3, 1, "table", "r2"),
        _new(4, 2, "table", "r1"),  # same row label in another note: not a sibling
        _new(5, 1, "note"),
        _new(6, None, "calc", "calc"),
        _new(7, None, "calc", "calc"),
    ]
    kept, taken = bury_siblings(items, "row")
    assert [i.card_id for i in kept] == [1, 3, 4, 5, 6, 7]
    assert "1|r1" in taken
    kept, _ = bury_siblings(items, "row", seen_today={"1|r2"})
    assert [i.card_id for i in kept] == [1, 4, 5, 6, 7]
    kept, _ = bury_siblings(items, "note")
    assert [i.card_id for i in kept] == [1, 4, 6]
    assert bury_siblings(items, "off")[0] == items
    with pytest.raises(ValueError):
        bury_siblings(items, "sometimes")


def test_interleave_new_round_robins_folders_notes_and_calc() -> None:
    new = [
        *(_new(10 + k, 1, "note" if k == 0 else "table", f"a{k}", "A") for k in range(5)),
        *(_new(20 + k, 2, "note" if k == 0 else "table", f"b{k}", "A") for k in range(5)),
        *(_new(30 + k, 3, "note" if k == 0 else "table", f"c{k}", "B") for k in range(5)),
        *(_new(90 + k, None, "calc", "calc") for k in range(3)),
    ]
    out = interleave_new(new, limit=10, per_note_limit=3, calc_share=0.2)
    ids = [i.card_id for i in out]
    # Folder A note 1, folder B note 3, folder A note 2, ...; every 5th place a calc card.
    assert ids == [10, 30, 20, 11, 90, 31, 21, 12, 32, 91]
    assert Counter(i.note_id for i in out if i.note_id) == {1: 3, 2: 2, 3: 3}
    # Counted from the log: a note that already had 3 new cards today gets none.
    again = interleave_new(new, limit=10, per_note_limit=3, used_per_note={1: 3, 3: 2})
    assert Counter(i.note_id for i in again) == {2: 3, 3: 1}
    # A row already seen today is skipped; its new siblings wait for another day.
    skipped = interleave_new(new, limit=3, per_note_limit=3, seen_today={"1|a0", "3|c0"})
    assert [i.card_id for i in skipped] == [11, 31, 20]
    assert interleave_new(new, limit=0, per_note_limit=3) == []
    with pytest.raises(ValueError):
        interleave_new(new, limit=3, per_note_limit=-1)


def test_interleave_new_fills_with_calc_when_notes_run_out() -> None:
    new = [_new(1, 1, "note"), *(_new(90 + k, None, "calc", "calc") for k in range(4))]
    out = interleave_new(new, limit=4, per_note_limit=3, calc_share=0.25)
    assert [i.card_id for i in out] == [1, 90, 91, 92]
    assert [i.card_id for i in interleave_new(new, limit=4, per_note_limit=3)] == [1]

"""SM-2 against the vectors of shared/reference/srs.md, plus mastery and statistics."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import pytest

from studyapp.core.srs import (
    DEFAULT_EF,
    GRADE_LABELS,
    MIN_EF,
    Grade,
    SrsState,
    card_mastery,
    forecast,
    initial_ef,
    is_due,
    retention,
    review,
    state_from_frontmatter,
    streak,
)

D0 = date(2025, 1, 6)

# (grades, intervals after each review, EF thousandths after each review) — srs.md verbatim.
VECTORS = [
    ([4, 4, 4, 4, 4], [1, 6, 15, 38, 95], [2500] * 5),
    ([5, 5, 5, 5, 5], [1, 6, 17, 50, 150], [2600, 2700, 2800, 2900, 3000]),
    ([3, 3, 3, 3, 3], [1, 6, 13, 26, 47], [2360, 2220, 2080, 1940, 1800]),
    ([5, 5, 5, 2, 5, 5], [1, 6, 17, 1, 1, 6], [2600, 2700, 2800, 2800, 2900, 3000]),
    ([5, 5, 5, 2, 4, 4, 4], [1, 6, 17, 1, 1, 6, 17], [2600, 2700, 2800, 2800, 2800, 2800, 2800]),
    ([0] * 7, [1] * 7, [2500] * 7),
]


@pytest.mark.parametrize(
    ("grades", "intervals", "efs"), VECTORS, ids=lambda v: ",".join(map(str, v))
)
def test_sm2_vectors(grades: list[int], intervals: list[int], efs: list[int]) -> None:
    state = SrsState()
    today = D0
    got_intervals, got_efs = [], []
    for q in grades:
        state = review(state, q, today)
        assert state.due == today + timedelta(days=state.interval)
        assert state.last_review == today
        got_intervals.append(state.interval)
        got_efs.append(state.ef_milli)
        today = state.due  # one review per due date
    assert got_intervals == intervals
    assert got_efs == efs


def test_ef_change_per_grade_and_floor() -> None:
    start = SrsState(ef_milli=2500, interval=10, reps=3, due=D0)
    assert review(start, 5, D0).ef_milli == 2600
    assert review(start, 4, D0).ef_milli == 2500
    assert review(start, 3, D0).ef_milli == 2360
    low = SrsState(ef_milli=1350, interval=10, reps=3, due=D0)
    assert review(low, 3, D0).ef_milli == MIN_EF
    assert review(review(low, 3, D0), 3, D0).ef_milli == MIN_EF


def test_interval_uses_new_ef_and_integer_ceiling() -> None:
    # 50 * 3.0 is exactly 150; a float EF would give 151.
    state = SrsState(ef_milli=2900, interval=50, reps=4, due=D0)
    assert review(state, 5, D0).interval == 150
    # EF updated before the interval: 10 * 2.36 = 23.6 -> 24 (not 10 * 2.5 = 25).
    assert review(SrsState(interval=10, reps=3), 3, D0).interval == 24


def test_lapse_counts_only_learned_cards() -> None:
    learned = review(review(SrsState(), 4, D0), 4, D0)
    lapsed = review(learned, 1, D0)
    assert (lapsed.reps, lapsed.interval, lapsed.lapses) == (0, 1, 1)
    assert lapsed.ef_milli == learned.ef_milli
    assert lapsed.due == D0 + timedelta(days=1)
    # Failing again before it is relearned, or failing a new card, is not another lapse.
    assert review(lapsed, 0, D0).lapses == 1
    assert review(SrsState(), 2, D0).lapses == 0


@pytest.mark.parametrize("bad", [-1, 6, True, 2.5])
def test_grade_out_of_range(bad: object) -> None:
    with pytest.raises(ValueError, match="grade"):
        review(SrsState(), bad, D0)  # type: ignore[arg-type]


def test_grade_labels_cover_all_grades() -> None:
    assert set(GRADE_LABELS) == set(range(6)) == set(Grade)
    assert "完美" in GRADE_LABELS[5] and "perfect" in GRADE_LABELS[5]
    assert "完全忘记" in GRADE_LABELS[0]


def test_state_validation() -> None:
    with pytest.raises(ValueError):
        SrsState(ef_milli=1299)
    with pytest.raises(ValueError):
        SrsState(interval=-1)


def test_to_dict_round_trip_is_json() -> None:
    state = SrsState(
        ef_milli=2360, interval=13, reps=3, lapses=1, due=D0, last_review=D0 - timedelta(13)
    )
    data = json.loads(json.dumps(state.to_dict()))
    assert data["due"] == "2025-01-06"
    assert SrsState.from_dict(data) == state
    assert SrsState.from_dict(SrsState().to_dict()) == SrsState()
    assert SrsState.from_dict({}) == SrsState()


def test_is_due() -> None:
    assert not is_due(SrsState(), D0)
    assert is_due(SrsState(due=D0), D0)
    assert is_due(SrsState(due=D0 - timedelta(3)), D0)
    assert not is_due(SrsState(due=D0 + timedelta(1)), D0)


def test_initial_ef() -> None:
    assert initial_ef("medium") == DEFAULT_EF
    assert initial_ef("hard") < DEFAULT_EF < initial_ef("easy")
    assert initial_ef("hard") >= MIN_EF
    with pytest.raises(ValueError):
        initial_ef("brutal")


def test_hard_notes_come_back_sooner_from_third_review() -> None:
    def intervals(difficulty: str) -> list[int]:
        state, out = SrsState(ef_milli=initial_ef(difficulty)), []
        for _ in range(4):
            state = review(state, 4, D0)
            out.append(state.interval)
        return out

    hard, medium, easy = intervals("hard"), intervals("medium"), intervals("easy")
    assert hard[:2] == medium[:2] == easy[:2] == [1, 6]
    assert hard[2] < medium[2] < easy[2]
    assert hard[3] < medium[3] < easy[3]


def test_state_from_frontmatter() -> None:
    last, nxt = date(2025, 3, 1), date(2025, 3, 16)
    state = state_from_frontmatter(3, last, nxt, "hard")
    assert state == SrsState(ef_milli=2100, interval=15, reps=3, due=nxt, last_review=last)
    # The rebuilt card continues where the frontmatter left off.
    assert review(state, 4, nxt).interval == 32  # ceil(15 * 2.1)


def test_state_from_frontmatter_edge_cases() -> None:
    nxt = date(2025, 3, 16)
    fresh = state_from_frontmatter(0, None, nxt, "medium")
    assert (fresh.reps, fresh.interval, fresh.due) == (0, 0, nxt)
    assert not is_due(fresh, nxt - timedelta(1)) and is_due(fresh, nxt)
    assert state_from_frontmatter(0, None, None, "easy") == SrsState(ef_milli=2700)
    # next_review before last_reviewed (hand-edited): interval clamps to 0, never negative.
    odd = state_from_frontmatter(2, nxt, nxt - timedelta(5), "medium")
    assert odd.interval == 0
    # A third review of such a card still moves it at least a day ahead.
    assert review(odd, 4, nxt).interval >= 1


# --- mastery -------------------------------------------------------------------------------


def test_mastery_new_card_is_zero_and_bounds() -> None:
    assert card_mastery(SrsState()) == 0.0
    for interval in (1, 6, 30, 365, 10_000):
        for ef in (MIN_EF, 2500, 5000):
            for lapses in (0, 3, 50):
                m = card_mastery(SrsState(ef_milli=ef, interval=interval, reps=5, lapses=lapses))
                assert 0.0 < m <= 1.0


def test_mastery_monotone_in_interval() -> None:
    values = [card_mastery(SrsState(interval=i, reps=3)) for i in range(1, 400, 7)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_mastery_monotone_in_ef() -> None:
    values = [
        card_mastery(SrsState(ef_milli=ef, interval=20, reps=3)) for ef in range(1300, 3600, 50)
    ]
    assert all(a <= b for a, b in itertools.pairwise(values))
    assert values[0] < values[-1]


def test_lapse_lowers_mastery() -> None:
    base = SrsState(interval=40, reps=4)
    assert card_mastery(SrsState(interval=40, reps=4, lapses=1)) < card_mastery(base)
    # Through review: the failed card loses the interval and gains a lapse.
    assert card_mastery(review(base, 1, D0)) < card_mastery(base)


def test_mastery_reference_points() -> None:
    # Documented shape: a 3-week interval at default EF reads as roughly half mastered.
    m = card_mastery(SrsState(interval=21, reps=4))
    assert 0.5 < m < 0.63


# --- statistics ----------------------------------------------------------------------------


def test_forecast() -> None:
    dues = [
        None,
        D0 - timedelta(5),
        D0,
        D0 + timedelta(1),
        D0 + timedelta(1),
        D0 + timedelta(13),
        D0 + timedelta(14),
    ]
    counts = forecast(dues, D0)
    assert len(counts) == 14
    assert counts[0] == 2  # overdue + due today
    assert counts[1] == 2
    assert counts[13] == 1
    assert sum(counts) == 5  # new and out-of-window cards excluded
    assert forecast(dues, D0, days=0) == []
    with pytest.raises(ValueError):
        forecast(dues, D0, days=-1)


def test_retention() -> None:
    assert retention([]) is None
    assert retention([5, 4, 3, 2]) == 0.75
    assert retention(iter([0, 1])) == 0.0


def test_streak() -> None:
    days = {D0 - timedelta(i) for i in range(5)}
    assert streak(days, D0) == 5
    # Nothing yet today: the streak up to yesterday still stands.
    assert streak(days, D0 + timedelta(1)) == 5
    # A whole day missed breaks it.
    assert streak(days, D0 + timedelta(2)) == 0
    assert streak(days - {D0 - timedelta(2)}, D0) == 2
    assert streak(set(), D0) == 0

"""The exam cap: dues past the final window move into it, under the daily cap."""

from __future__ import annotations

from datetime import date, timedelta

from studyapp.core.exam import cap_due, window

EXAM = date(2026, 12, 20)
START, END = window(EXAM)
TODAY = date(2026, 12, 1)


def test_window_is_the_three_days_before() -> None:
    assert (date(2026, 12, 17), date(2026, 12, 19)) == (START, END)


def test_due_before_the_window_end_is_kept() -> None:
    assert cap_due(date(2026, 12, 10), TODAY, EXAM, {}, 10) == date(2026, 12, 10)
    assert cap_due(date(2026, 12, 18), TODAY, EXAM, {}, 10) == date(2026, 12, 18)


def test_due_past_the_date_moves_to_the_least_loaded_window_day() -> None:
    load = {START: 3, START + timedelta(days=1): 1, END: 2}
    assert cap_due(date(2027, 1, 30), TODAY, EXAM, load, 10) == START + timedelta(days=1)
    assert cap_due(date(2027, 1, 30), TODAY, EXAM, {}, 10) == END  # ties: the later day


def test_full_window_overflows_to_the_latest_earlier_day_under_the_cap() -> None:
    load = {START: 5, START + timedelta(days=1): 5, END: 5, START - timedelta(days=1): 5}
    assert cap_due(date(2027, 1, 30), TODAY, EXAM, load, 5) == START - timedelta(days=2)


def test_answer_inside_the_window_or_after_the_date_is_not_capped() -> None:
    far = date(2027, 3, 1)
    assert cap_due(far, START, EXAM, {}, 5) == far
    assert cap_due(far, EXAM, EXAM, {}, 5) == far


def test_repeat_inside_the_window_onto_a_full_day_waits_for_the_date() -> None:
    tomorrow = START + timedelta(days=1)
    assert cap_due(tomorrow, START, EXAM, {tomorrow: 5}, 5) == EXAM
    assert cap_due(tomorrow, START, EXAM, {tomorrow: 4}, 5) == tomorrow

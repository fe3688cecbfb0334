"""Interview-date mode: land every in-scope card in the last days before the date.

Why capping instead of a separate cram schedule: the normal scheduler (SM-2 or FSRS)
keeps deciding intervals; only an interval that would jump over the final window is
shortened to land inside it, so the log stays an ordinary log and normal scheduling
resumes after the date by itself.

Rule for an answer given on ``today`` before the exam, whose scheduler proposes ``due``:

* ``today`` already inside the window (the last :data:`WINDOW_DAYS` days before the
  date): the card is covered, ``due`` is kept, unless it lands on a window day that is
  full, in which case it waits until the exam day (normal scheduling from then on).
* ``due`` before the window's end: kept (the card comes back before the date anyway).
* otherwise it moves into the window, onto the least loaded day whose load is under the
  daily cap (ties: the later day, the longer interval); when the whole window is full the
  overflow goes to the latest earlier day under the cap, so each card is still seen once
  more before the date.  Only when every day is full does it land on the window's last day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

__all__ = ["WINDOW_DAYS", "cap_due", "in_window", "window"]

#: Every in-scope card should be reviewed at least once in this many days before the date.
WINDOW_DAYS = 3


def window(exam_date: date) -> tuple[date, date]:
    """First and last day of the final review window (the exam day itself excluded)."""
    return exam_date - timedelta(days=WINDOW_DAYS), exam_date - timedelta(days=1)


def in_window(day: date, exam_date: date) -> bool:
    start, end = window(exam_date)
    return start <= day <= end


def cap_due(
    due: date, today: date, exam_date: date, load: Mapping[date, int], daily_cap: int
) -> date:
    """The due date to store for an answer given on ``today`` (see the module rule).

    ``load`` is how many cards are already due on each day (missing days: 0).
    """
    start, end = window(exam_date)
    if today >= exam_date:
        return due
    if today >= start:
        # Covered already; a repeat landing on a full window day waits until the date.
        return exam_date if due <= end and load.get(due, 0) >= daily_cap else due
    if due <= end:
        return due
    window_days = [start + timedelta(days=i) for i in range(WINDOW_DAYS)]
    free = [d for d in window_days if load.get(d, 0) < daily_cap]
    if free:
        return min(free, key=lambda d: (load.get(d, 0), -d.toordinal()))
    day = start - timedelta(days=1)
    while day > today:
        if load.get(day, 0) < daily_cap:
            return day
        day -= timedelta(days=1)
    return end

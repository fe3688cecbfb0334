"""The study day: which calendar date a moment belongs to for scheduling.

A review at 00:30 after a late session belongs to the day the user was studying,
not to the next one (a top complaint about SRS tools).  Like Anki's "next day
starts at", the day rolls over at a fixed *local wall-clock* hour (default 4 AM).

The rollover compares the local wall-clock hour rather than subtracting a duration
in UTC: on a daylight-saving change the night is 23 or 25 hours long, and a UTC
offset would move the boundary to 3 or 5 AM on those days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

__all__ = ["DEFAULT_ROLLOVER_HOUR", "study_day"]

DEFAULT_ROLLOVER_HOUR = 4


def study_day(
    now: datetime, tz: tzinfo | None = None, rollover_hour: int = DEFAULT_ROLLOVER_HOUR
) -> date:
    """The study day of the aware moment ``now`` in zone ``tz`` (the system zone when ``None``).

    Moments before ``rollover_hour`` o'clock local time belong to the previous date;
    ``rollover_hour`` itself starts the new day.  ``now`` must be timezone-aware: a
    naive datetime is ambiguous (local? UTC?) and exactly the source of day bugs, so
    it raises ``ValueError`` instead of being guessed.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("study_day needs a timezone-aware datetime")
    if not 0 <= rollover_hour <= 23:
        raise ValueError(f"rollover_hour must be in 0..23, got {rollover_hour}")
    local = now.astimezone(tz)
    if local.hour < rollover_hour:
        return local.date() - timedelta(days=1)
    return local.date()

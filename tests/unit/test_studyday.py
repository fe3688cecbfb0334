"""Study-day rollover, including daylight-saving transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from studyapp.core.studyday import study_day

try:
    ZoneInfo("America/New_York")
    ZoneInfo("Europe/Berlin")
    ZoneInfo("Asia/Tokyo")
    _TZ_MISSING = ""
except ZoneInfoNotFoundError:  # pragma: no cover - depends on the host
    _TZ_MISSING = "no IANA time zone database here: add the `tzdata` dependency"

needs_tzdata = pytest.mark.skipif(bool(_TZ_MISSING), reason=_TZ_MISSING or "tz database present")

CET = timezone(timedelta(hours=1))


def test_after_midnight_counts_for_previous_day() -> None:
    assert study_day(datetime(2025, 5, 2, 0, 30, tzinfo=CET), CET) == date(2025, 5, 1)
    assert study_day(datetime(2025, 5, 2, 3, 59, 59, tzinfo=CET), CET) == date(2025, 5, 1)


def test_rollover_hour_itself_starts_new_day() -> None:
    assert study_day(datetime(2025, 5, 2, 4, 0, tzinfo=CET), CET) == date(2025, 5, 2)
    assert study_day(datetime(2025, 5, 2, 23, 59, tzinfo=CET), CET) == date(2025, 5, 2)


def test_rollover_zero_is_calendar_day() -> None:
    assert study_day(datetime(2025, 5, 2, 0, 0, tzinfo=CET), CET, rollover_hour=0) == date(
        2025, 5, 2
    )
    assert study_day(datetime(2025, 5, 1, 23, 59, tzinfo=CET), CET, rollover_hour=0) == date(
        2025, 5, 1
    )


def test_converts_to_target_zone() -> None:
    # 23:30 UTC on 1 May is 00:30 on 2 May in CET: still the study day of 1 May.
    now = datetime(2025, 5, 1, 23, 30, tzinfo=UTC)
    assert study_day(now, CET) == date(2025, 5, 1)
    # 03:30 UTC is 04:30 CET: a new day there, but not yet in UTC.
    now = datetime(2025, 5, 2, 3, 30, tzinfo=UTC)
    assert study_day(now, CET) == date(2025, 5, 2)
    assert study_day(now, UTC) == date(2025, 5, 1)


def test_local_zone_when_tz_is_none() -> None:
    now = datetime(2025, 5, 2, 12, 0, tzinfo=UTC)
    assert study_day(now) == study_day(now, now.astimezone().tzinfo)


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        study_day(datetime(2025, 5, 2, 12, 0))


@pytest.mark.parametrize("hour", [-1, 24])
def test_bad_rollover_hour(hour: int) -> None:
    with pytest.raises(ValueError):
        study_day(datetime(2025, 5, 2, tzinfo=UTC), UTC, rollover_hour=hour)


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@needs_tzdata
@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # 2025-03-09 New York springs forward at 02:00 EST -> 03:00 EDT (23-hour night).
        (_utc(2025, 3, 9, 5, 30), date(2025, 3, 8)),  # 00:30 EST
        (_utc(2025, 3, 9, 7, 59), date(2025, 3, 8)),  # 03:59 EDT
        (_utc(2025, 3, 9, 8, 0), date(2025, 3, 9)),  # 04:00 EDT: wall clock, not 4 h after midnight
        # 2025-11-02 New York falls back at 02:00 EDT -> 01:00 EST (25-hour night).
        (_utc(2025, 11, 2, 5, 30), date(2025, 11, 1)),  # 01:30 EDT
        (_utc(2025, 11, 2, 6, 30), date(2025, 11, 1)),  # 01:30 EST, the repeated hour
        (_utc(2025, 11, 2, 8, 59), date(2025, 11, 1)),  # 03:59 EST
        (_utc(2025, 11, 2, 9, 0), date(2025, 11, 2)),  # 04:00 EST
    ],
)
def test_dst_new_york(utc: datetime, expected: date) -> None:
    assert study_day(utc, ZoneInfo("America/New_York")) == expected


@needs_tzdata
@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # 2025-03-30 Berlin: 02:00 CET -> 03:00 CEST.
        (_utc(2025, 3, 30, 1, 59), date(2025, 3, 29)),  # 03:59 CEST
        (_utc(2025, 3, 30, 2, 0), date(2025, 3, 30)),  # 04:00 CEST
        # 2025-10-26 Berlin: 03:00 CEST -> 02:00 CET.
        (_utc(2025, 10, 26, 0, 30), date(2025, 10, 25)),  # 02:30 CEST
        (_utc(2025, 10, 26, 1, 30), date(2025, 10, 25)),  # 02:30 CET, the repeated hour
        (_utc(2025, 10, 26, 2, 59), date(2025, 10, 25)),  # 03:59 CET
        (_utc(2025, 10, 26, 3, 0), date(2025, 10, 26)),  # 04:00 CET
    ],
)
def test_dst_berlin(utc: datetime, expected: date) -> None:
    assert study_day(utc, ZoneInfo("Europe/Berlin")) == expected


@needs_tzdata
def test_aware_input_in_other_zone() -> None:
    tokyo = datetime(2025, 3, 9, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 08:00 UTC
    assert study_day(tokyo, ZoneInfo("America/New_York")) == date(2025, 3, 9)
    assert study_day(tokyo, ZoneInfo("Asia/Tokyo")) == date(2025, 3, 9)

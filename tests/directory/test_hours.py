from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crossroads.directory.hours import WEEK, is_open, minute_of_week, parse_time, weekly_intervals

MON = 0
DAY = 24 * 60


@pytest.mark.parametrize(("schedule", "intervals"), [
    ({"byday": "MO", "opens_at": "09:00", "closes_at": "17:00"}, [(540, 1020)]),
    # The schedule's timezone, then an offset written on the time itself.
    ({"byday": "MO", "opens_at": "09:00", "closes_at": "17:00", "timezone": 1}, [(480, 960)]),
    ({"byday": "MO", "opens_at": "09:00-05:00", "closes_at": "17:00-05:00", "timezone": 1}, [(840, 1320)]),
    # Open through midnight, and across the end of the week.
    ({"byday": "SU", "opens_at": "22:00", "closes_at": "02:00"}, [(0, 120), (6 * DAY + 1320, WEEK)]),
    # No byday: every day.
    ({"opens_at": "00:00Z", "closes_at": "24:00Z"}, [(d * DAY, (d + 1) * DAY) for d in range(7)]),
    # Not weekly: never "open now".
    ({"freq": "MONTHLY", "byday": "2MO", "opens_at": "09:00", "closes_at": "12:00"}, []),
    ({"freq": "WEEKLY", "interval": 2, "byday": "MO", "opens_at": "09:00", "closes_at": "12:00"}, []),
    ({"byday": "MO", "opens_at": "09:00"}, []),
])
def test_weekly_intervals(schedule, intervals):
    assert weekly_intervals(schedule) == intervals


def test_minute_of_week_is_utc():
    monday_noon_tunis = datetime(2026, 12, 7, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    assert minute_of_week(monday_noon_tunis) == MON * DAY + 11 * 60
    assert is_open([(600, 720)], minute_of_week(datetime(2026, 12, 7, 11, 59, tzinfo=UTC)))
    assert not is_open([(600, 720)], minute_of_week(datetime(2026, 12, 7, 12, 0, tzinfo=UTC)))


@pytest.mark.parametrize("text", ["9:00", "25:00", "12:60", "noon", "24:30"])
def test_bad_times(text):
    with pytest.raises(ValueError):
        parse_time(text)

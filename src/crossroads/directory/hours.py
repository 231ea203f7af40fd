"""Weekly opening hours from HSDS schedules, as UTC minutes of the week, for "open now".

An HSDS schedule is an RFC 5545 recurrence (freq, byday, interval…) with local opening and closing times.
Only what repeats every week can be answered from a clock alone: a WEEKLY schedule (or one without freq)
with plain weekdays and an interval of 1. A monthly rule ("2MO", the second Monday) or a fortnightly one is
kept and exported as it came, but never counts as open now: saying "open" on the wrong Monday is worse than
not saying it. A schedule without byday opens every day. Times carry their own offset ("09:00-05:00",
"17:00Z"); without one the schedule's `timezone` (hours from UTC) applies, and without that, UTC, as HSDS says.

Intervals are minutes from Monday 00:00 UTC, in [0, 10080); one that crosses the end of the week is split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEK = 7 * 24 * 60
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?")
_ORDINAL_DAY = re.compile(r"[+-]?\d{1,2}(MO|TU|WE|TH|FR|SA|SU)")


def parse_time(text: str) -> tuple[int, int | None]:
    """'HH:MM[:SS][Z|±HH:MM]' → (minutes after midnight, UTC offset in minutes or None); ValueError otherwise."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise ValueError("must be a time written HH:MM, optionally with Z or an offset such as +01:00")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError("must be a time of day between 00:00 and 24:00")
    zone = m.group(4)
    if zone is None:
        return hours * 60 + minutes, None
    if zone == "Z":
        return hours * 60 + minutes, 0
    digits = zone[1:].replace(":", "")
    offset = int(digits[:2]) * 60 + int(digits[2:])
    return hours * 60 + minutes, -offset if zone[0] == "-" else offset


def check_byday(text: str) -> None:
    for part in text.split(","):
        part = part.strip()
        if part not in DAYS and not _ORDINAL_DAY.fullmatch(part):
            raise ValueError("must list weekdays as MO,TU,WE,TH,FR,SA,SU (a monthly rule may number them: 2MO)")


def weekly_intervals(schedule: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The schedule's opening hours as UTC minute-of-week intervals [start, end); [] when not weekly."""
    opens_at, closes_at = schedule.get("opens_at"), schedule.get("closes_at")
    if not opens_at or not closes_at:
        return []
    if str(schedule.get("freq") or "WEEKLY").upper() != "WEEKLY" or int(schedule.get("interval") or 1) != 1:
        return []
    if schedule.get("byweekno") or schedule.get("bymonthday") or schedule.get("byyearday"):
        return []
    byday = [d.strip() for d in str(schedule.get("byday") or "").split(",") if d.strip()]
    if any(d not in DAYS for d in byday):
        return []
    days = [DAYS.index(d) for d in byday] if byday else list(range(7))
    opens, opens_offset = parse_time(opens_at)
    closes, closes_offset = parse_time(closes_at)
    default = round(float(schedule["timezone"]) * 60) if schedule.get("timezone") is not None else 0
    opens -= default if opens_offset is None else opens_offset
    closes -= default if closes_offset is None else closes_offset
    length = (closes - opens) % WEEK
    if length == 0 or length > 24 * 60:
        # Open through midnight is written with closes_at before opens_at; equal times say nothing useful.
        length = (closes - opens) % (24 * 60)
        if length == 0:
            return []
    out: list[tuple[int, int]] = []
    for day in days:
        start = (day * 24 * 60 + opens) % WEEK
        end = start + length
        if end <= WEEK:
            out.append((start, end))
        else:
            out.extend([(start, WEEK), (0, end - WEEK)])
    return sorted(out)


def minute_of_week(moment: datetime) -> int:
    """The UTC minute of the week of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no minute of the week in UTC")
    utc = moment.astimezone(UTC)
    return utc.weekday() * 24 * 60 + utc.hour * 60 + utc.minute


def is_open(intervals: list[tuple[int, int]], minute: int) -> bool:
    return any(start <= minute < end for start, end in intervals)

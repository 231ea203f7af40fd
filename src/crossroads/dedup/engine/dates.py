"""Dates of birth as registries write them: a date that does not parse is evidence, not a reason to stop.

``read_date`` keeps every value and reads what it can of it: the year, the month and the day separately, in
the layouts people write (1990-03-05, 1990.03.05, 05/03/1990, 19900305, "c. 1990", "1990-03-05?"). A part
that cannot be a month or a day is left unread; a month above 12 beside a day of 12 or less is kept as
written, so that the comparison sees the day and month transposed. The digits as read, year first, are the
date "as text", compared when the parts cannot be.

Layouts, by the groups of digits in the value:

- one group of 8 digits: YYYYMMDD when its first four digits are a plausible year of birth, else DDMMYYYY;
  of 6: YYYYMM likewise, else DDMMYY; of 4: a year;
- two groups: year and month (either order, the year being the group of four digits);
- three groups: year first if the first group has four digits, else day, month, year — the order of the
  countries whose registries Crossroads serves (05/03/1990 is 5 March);
- anything else: no part is read, the digits are kept as text.

Two-digit years: the century that puts the year at or before the run's year (a date of birth is not in the
future), so in 2026 "05/03/26" is 2026 and "05/03/27" is 1927.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

__all__ = ["DateReading", "read_date"]

_STRICT = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DIGITS = re.compile(r"\d+")
_FIRST_YEAR = 1800


@dataclass(frozen=True, slots=True)
class DateReading:
    """What could be read of a date as written."""

    year: int | None = None
    month: int | None = None  # 1-12, or 13-31 beside a day of 12 or less (day and month transposed)
    day: int | None = None  # 1 to the month's length (31 when the month is unread)
    text: str = ""  # the digits as read, year first (YYYYMMDD, YYYYMM or YYYY), or every digit when unread
    complete: bool = False  # every part written was read, in range: the parts are a date
    strict: bool = True  # written as YYYY, YYYY-MM or YYYY-MM-DD with a month and day in range

    @property
    def iso(self) -> str:
        """YYYY, YYYY-MM or YYYY-MM-DD of the parts read when they are a date, '' when a part was unreadable."""
        if not self.complete or self.year is None:
            return ""
        return (f"{self.year:04d}" + (f"-{self.month:02d}" if self.month else "")
                + (f"-{self.day:02d}" if self.day else ""))


def _year(group: str, this_year: int) -> int:
    if len(group) == 2:
        year = 2000 + int(group)
        return year if year <= this_year else year - 100
    return int(group)


def _plausible(group: str, this_year: int) -> bool:
    return _FIRST_YEAR <= int(group) <= this_year


def _layout(groups: list[str], this_year: int) -> tuple[str, str, str] | None:
    """(year, month, day) groups of the value ('' for a part not written), or None if no layout fits."""
    lengths = [len(g) for g in groups]
    if len(groups) == 1:
        g = groups[0]
        if len(g) == 8:
            return (g[:4], g[4:6], g[6:]) if _plausible(g[:4], this_year) else (g[4:], g[2:4], g[:2])
        if len(g) == 6:
            return (g[:4], g[4:], "") if _plausible(g[:4], this_year) else (g[4:], g[2:4], g[:2])
        if len(g) == 4:
            return g, "", ""
        return None
    if len(groups) == 2:
        if lengths[0] == 4 and lengths[1] <= 2:
            return groups[0], groups[1], ""
        if lengths[1] == 4 and lengths[0] <= 2:
            return groups[1], groups[0], ""
        return None
    if len(groups) == 3:
        if lengths[0] == 4 and max(lengths[1:]) <= 2:
            return groups[0], groups[1], groups[2]
        if lengths[2] in (2, 4) and max(lengths[:2]) <= 2:
            return groups[2], groups[1], groups[0]
    return None


def read_date(value: str | None, *, today: date | None = None) -> DateReading:
    """Read a date of birth as written; never fails (see the module's docstring for the layouts)."""
    text = (value or "").strip()
    if not text:
        return DateReading()
    strict = _STRICT.match(text)
    this_year = (today or date.today()).year
    groups = list(strict.groups()) if strict else _DIGITS.findall(text)
    groups = [g for g in groups if g]
    layout = _layout(groups, this_year)
    if layout is None:
        return DateReading(text="".join(groups), strict=False)
    y, m, d = layout
    year = _year(y, this_year)
    month = int(m) if m else None
    day = int(d) if d else None
    digits = f"{year:04d}" + (f"{month:02d}" if month is not None else "") + (f"{day:02d}" if day is not None else "")
    # 30 February is as impossible as 32 November: the day is unread, the digits stay in the text.
    longest = monthrange(year, month)[1] if year > 0 and month is not None and 1 <= month <= 12 else 31
    in_range = year > 0 and (month is None or 1 <= month <= 12) and (day is None or 1 <= day <= longest)
    if month is not None and not (1 <= month <= 12 or (13 <= month <= 31 and day is not None and 1 <= day <= 12)):
        month = None
    if day is not None and not 1 <= day <= longest:
        day = None
    return DateReading(year=year if year > 0 else None, month=month, day=day, text=digits, complete=in_range,
                       strict=bool(strict) and in_range)

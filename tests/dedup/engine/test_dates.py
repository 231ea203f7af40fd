"""Dates of birth as written: every value kept, its parts read where they can be, never a failure."""

from __future__ import annotations

from datetime import date

import pytest

from crossroads.dedup.engine.dates import read_date

TODAY = date(2026, 12, 7)


class TestReadDate:
    @pytest.mark.parametrize(("value", "parts", "text", "iso", "strict"), [
        ("1990-03-05", (1990, 3, 5), "19900305", "1990-03-05", True),
        ("1990-03", (1990, 3, None), "199003", "1990-03", True),
        ("1990", (1990, None, None), "1990", "1990", True),
        # An impossible day or month is unread; its digits stay in the text.
        ("1915-11-32", (1915, 11, None), "19151132", "", False),
        ("1990-02-30", (1990, 2, None), "19900230", "", False),
        ("1990-00-10", (1990, None, 10), "19900010", "", False),
        ("1990-13-14", (1990, None, 14), "19901314", "", False),
        # A month above 12 beside a day of 12 or less is kept: the day and month were transposed.
        ("1990-25-03", (1990, 25, 3), "19902503", "", False),
        # Stray characters and other layouts.
        ("1990-03-05?", (1990, 3, 5), "19900305", "1990-03-05", False),
        ("05/03/1990", (1990, 3, 5), "19900305", "1990-03-05", False),
        ("1990.03.05", (1990, 3, 5), "19900305", "1990-03-05", False),
        ("19900305", (1990, 3, 5), "19900305", "1990-03-05", False),
        ("05031990", (1990, 3, 5), "19900305", "1990-03-05", False),
        ("c. 1990", (1990, None, None), "1990", "1990", False),
        ("03/1990", (1990, 3, None), "199003", "1990-03", False),
        # Two-digit years: the century that does not put a birth in the future.
        ("05/03/26", (2026, 3, 5), "20260305", "2026-03-05", False),
        ("05/03/27", (1927, 3, 5), "19270305", "1927-03-05", False),
        # Nothing to read: the digits alone.
        ("12/13", (None, None, None), "1213", "", False),
        ("unknown", (None, None, None), "", "", False),
        ("", (None, None, None), "", "", True),
        (None, (None, None, None), "", "", True),
    ])
    def test_reads_what_it_can(self, value, parts, text, iso, strict):
        reading = read_date(value, today=TODAY)
        assert (reading.year, reading.month, reading.day) == parts
        assert (reading.text, reading.iso, reading.strict) == (text, iso, strict)

    def test_the_century_rule_follows_the_run_date(self):
        assert read_date("05/03/27", today=date(2027, 1, 1)).year == 2027

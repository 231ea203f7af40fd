"""Retry delays: doubling from the base, capped, with at most half taken off at random."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crossroads.notify.backoff import retry_delay


def lowest(low: float, high: float) -> float:
    return low


def highest(low: float, high: float) -> float:
    return high


class TestRetryDelay:
    @pytest.mark.parametrize(("attempts", "nominal"), [(1, 30), (2, 60), (3, 120), (4, 240), (8, 3600), (60, 3600)])
    def test_doubles_up_to_the_cap(self, attempts, nominal):
        assert retry_delay(attempts, base=30, cap=3600, uniform=highest) == timedelta(seconds=nominal)
        assert retry_delay(attempts, base=30, cap=3600, uniform=lowest) == timedelta(seconds=nominal / 2)

    def test_jitter_spreads_messages_that_failed_together(self):
        delays = {retry_delay(3, base=30, cap=3600) for _ in range(50)}
        assert len(delays) > 40
        assert all(timedelta(seconds=60) <= d <= timedelta(seconds=120) for d in delays)

    def test_attempts_count_from_one(self):
        with pytest.raises(ValueError):
            retry_delay(0, base=30, cap=3600)

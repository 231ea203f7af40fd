"""How long a login attempt waits: by source and account, by source, and a capped growing delay per account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crossroads.auth.throttle import Failures, Limits, account_delay, source_of, wait

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMITS = Limits(window=timedelta(minutes=15), pair_failures=5, source_failures=20, account_free_failures=10,
                account_max_delay=timedelta(minutes=5))
MINUTE = timedelta(minutes=1)


class TestAccountDelay:
    @pytest.mark.parametrize(("failures", "seconds"), [
        (0, 0), (9, 0), (10, 1), (11, 2), (12, 4), (15, 32), (18, 256), (19, 300), (30, 300), (10**6, 300),
    ])
    def test_doubles_with_each_failure_after_the_free_ones_up_to_the_cap(self, failures, seconds):
        assert account_delay(failures, LIMITS) == timedelta(seconds=seconds)


class TestWait:
    def test_nothing_recorded_means_no_wait(self):
        assert wait(Failures(), now=NOW, limits=LIMITS) == timedelta(0)

    def test_the_pair_waits_until_its_oldest_failure_leaves_the_window(self):
        failures = Failures(pair_in_window=5, pair_oldest_in_window=NOW - 4 * MINUTE, pair_remembered=5,
                            account_remembered=5, account_latest=NOW)
        assert wait(failures, now=NOW, limits=LIMITS) == 11 * MINUTE

    def test_fewer_pair_failures_than_the_limit_do_not_wait(self):
        failures = Failures(pair_in_window=4, pair_oldest_in_window=NOW - MINUTE, pair_remembered=4,
                            account_remembered=4, account_latest=NOW)
        assert wait(failures, now=NOW, limits=LIMITS) == timedelta(0)

    def test_a_source_failing_on_many_accounts_waits_for_its_oldest_failure(self):
        failures = Failures(source_in_window=20, source_oldest_in_window=NOW - 10 * MINUTE)
        assert wait(failures, now=NOW, limits=LIMITS) == 5 * MINUTE

    def test_the_account_delay_binds_a_source_that_failed_against_it(self):
        failures = Failures(pair_in_window=1, pair_oldest_in_window=NOW - MINUTE, pair_remembered=1,
                            account_remembered=16, account_latest=NOW - timedelta(seconds=4))
        assert wait(failures, now=NOW, limits=LIMITS) == timedelta(seconds=60)

    def test_the_account_delay_does_not_bind_a_source_without_failures_of_its_own(self):
        failures = Failures(account_remembered=500, account_latest=NOW)
        assert wait(failures, now=NOW, limits=LIMITS) == timedelta(0)

    def test_an_account_delay_that_has_passed_is_no_wait(self):
        failures = Failures(pair_remembered=1, account_remembered=30, account_latest=NOW - 6 * MINUTE)
        assert wait(failures, now=NOW, limits=LIMITS) <= timedelta(0)

    def test_the_longest_of_the_waits_is_the_one(self):
        failures = Failures(pair_in_window=5, pair_oldest_in_window=NOW - 14 * MINUTE, source_in_window=20,
                            source_oldest_in_window=NOW - 13 * MINUTE, pair_remembered=5, account_remembered=30,
                            account_latest=NOW)
        assert wait(failures, now=NOW, limits=LIMITS) == 5 * MINUTE


class TestSourceOf:
    @pytest.mark.parametrize(("ip", "source"), [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ])
    def test_ipv4_addresses_count_alone_and_ipv6_by_their_64(self, ip, source):
        assert source_of(ip) == source

"""How long a login attempt must wait, from the failed logins recorded before it. Pure: no session, no clock.

Locking an account after a few failures stops guessing, but lets anyone lock anyone out: five wrong passwords
for an e-mail address would shut its owner out from everywhere. The limits here bind the *source* of the
failures instead, so that what an attacker does costs the attacker, and the account's owner keeps a way in:

1. **Source and account** — at most `pair_failures` (5) failed logins from one source for one account within
   the window (15 minutes). The next attempt from that source for that account waits until the oldest of
   them leaves the window. Other sources are not affected.
2. **Source** — at most `source_failures` (20) failed logins from one source within the window, whatever the
   accounts: one address trying one password on many accounts (password spraying) is stopped there.
3. **Account, from every source** — once an account has had `account_free_failures` (10) failed logins within
   a day, from however many sources, each further attempt waits after the latest failure: 1 second, then 2,
   4, 8 … doubling with every failure, up to `account_max_delay` (5 minutes). It is a delay, not a lock:
   it never exceeds the cap, and it binds only the sources that have themselves failed against that account
   within the day. A source with no failure of its own — the owner on their usual network, on their phone —
   is not made to wait by anyone else's failures, and a correct password from it gets in at once.

What this costs an attacker of one account: five guesses per window from each source, then, across all the
sources that have already failed, about one guess per delay — at the 5-minute cap, under 300 a day. Each new
source gets its first guess before it is bound; that is the price of never locking the owner out, and it is
why sources are counted coarsely (an IPv6 address by its /64, which one subscriber usually holds whole) and
why passwords are hashed with Argon2id. Users behind one address (an office's NAT) share its limits 1 and 2.

A refused attempt (429) checks no password and is not recorded: it neither lengthens the wait nor fills the
table, whatever the rate an attacker keeps sending. A successful login clears its source's failures for that
account, so an owner who mistyped is not held to them afterwards.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

# How long failures are remembered: the horizon of the account's delay and of "this source has failed".
MEMORY = timedelta(days=1)
# The first delay of an account under attack; each further failure doubles it, up to the cap.
BASE_DELAY = timedelta(seconds=1)
_ZERO = timedelta(0)


@dataclass(frozen=True)
class Limits:
    window: timedelta
    pair_failures: int
    source_failures: int
    account_free_failures: int
    account_max_delay: timedelta


@dataclass(frozen=True)
class Failures:
    """The failed logins that bear on one attempt: from its source, against its account, or both."""

    pair_in_window: int = 0
    pair_oldest_in_window: datetime | None = None
    source_in_window: int = 0
    source_oldest_in_window: datetime | None = None
    # Within MEMORY: whether this source has failed against the account, and the account's failures from all.
    pair_remembered: int = 0
    account_remembered: int = 0
    account_latest: datetime | None = None


def account_delay(failures: int, limits: Limits) -> timedelta:
    """The wait after an account's latest failure, when it has had `failures` within MEMORY."""
    if failures < limits.account_free_failures:
        return _ZERO
    # The exponent is bounded so that an account with thousands of failures does not overflow a timedelta.
    return min(limits.account_max_delay, BASE_DELAY * (1 << min(failures - limits.account_free_failures, 40)))


def wait(failures: Failures, *, now: datetime, limits: Limits) -> timedelta:
    """How long this attempt must wait before its password is even checked; zero when it may go ahead."""
    waits = [_ZERO]
    if failures.pair_in_window >= limits.pair_failures and failures.pair_oldest_in_window is not None:
        waits.append(failures.pair_oldest_in_window + limits.window - now)
    if failures.source_in_window >= limits.source_failures and failures.source_oldest_in_window is not None:
        waits.append(failures.source_oldest_in_window + limits.window - now)
    if failures.pair_remembered and failures.account_latest is not None:
        waits.append(failures.account_latest + account_delay(failures.account_remembered, limits) - now)
    return max(waits)


def source_of(ip: str) -> str:
    """The source failures are counted by: an IPv4 address, or the /64 network of an IPv6 address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)

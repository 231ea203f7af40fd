"""When a failed delivery is tried again: exponential backoff with jitter, capped.

The delay doubles with each attempt from `base` up to `cap`, and a random part of it (up to half) is taken
off, so that messages that failed together against one receiver, say during its outage, do not all come
back at the same moment and knock it over again ("equal jitter": never less than half the nominal delay).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta


def retry_delay(attempts: int, *, base: float, cap: float,
                uniform: Callable[[float, float], float] = random.uniform) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1 for the first)."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    nominal = min(cap, base * 2 ** min(attempts - 1, 62))
    return timedelta(seconds=nominal / 2 + uniform(0, nominal / 2))

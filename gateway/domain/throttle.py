"""Failed-login throttling: after `max_failures` within the window, the key is locked for a while.

Keys are an account (`account:<username>`) and an address (`ip:<address>`): the first stops
guessing one password, the second stops trying one password on many accounts.
"""

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    window_start: dt.datetime
    locked_until: dt.datetime | None = None


def locked_for_s(state: ThrottleState | None, now: dt.datetime) -> int:
    """Seconds until this key may try again (0: it may)."""
    if state is None or state.locked_until is None or state.locked_until <= now:
        return 0
    return max(1, math.ceil((state.locked_until - now).total_seconds()))


def after_failure(state: ThrottleState | None, now: dt.datetime, *, max_failures: int, window_s: int,
                  lockout_s: int) -> ThrottleState:
    if state is None or (now - state.window_start).total_seconds() > window_s:
        state = ThrottleState(0, now)
    failures = state.failures + 1
    locked_until = now + dt.timedelta(seconds=lockout_s) if failures >= max_failures else state.locked_until
    return ThrottleState(failures, state.window_start, locked_until)

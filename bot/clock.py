"""The one clock. Every "now" in shiji comes from a Clock; a naive datetime is a bug.

Every date is a date in Asia/Shanghai, and that is not configurable: the official working-day
calendar (holidays, 调休, the State Council's schedule) is defined in Beijing time, and the
cadres being evaluated live by it. Another zone could only move "today" away from it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from scoring.clock import SHANGHAI, Clock

__all__ = [
    "SHANGHAI", "Clock", "ManualClock", "MovableClock", "StartedClock", "SystemClock", "clock_from_start",
]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(SHANGHAI)


class StartedClock:
    """Starts at a configured instant and runs on in real time (demos, black-box tests)."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(SHANGHAI)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class MovableClock(StartedClock):
    """The demo's business clock: runs on in real time and can be moved forward (time travel).

    Only business rules read it; transport checks keep wall-clock time, so moving it never
    makes a callback or a token look stale. It never goes back: claims, deadlines and stored
    times all assume time only moves on.
    """

    def advance_to(self, when: datetime) -> None:
        """Jump forward to `when`; a moment already past leaves the clock where it is."""
        if when.tzinfo is None:
            raise ValueError("MovableClock needs an aware datetime")
        if when > self.now():
            self._start = when.astimezone(SHANGHAI)
            self._t0 = time.monotonic()


class ManualClock:
    """Driven by tests: time moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(SHANGHAI)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = when.astimezone(SHANGHAI)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def clock_from_start(start: datetime | None) -> Clock:
    return SystemClock() if start is None else StartedClock(start)

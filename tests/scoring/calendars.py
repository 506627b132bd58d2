"""Hypothesis strategies for the pure rules: plausible official calendars and roster entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st

from scoring.types import Role
from scoring.workdays import WorkCalendar, YearSchedule

YEARS = (2025, 2026, 2027)


def _days(year: int, weekend: bool) -> list[date]:
    first = date(year, 1, 1)
    days = (first + timedelta(days=n) for n in range(365))
    return [d for d in days if (d.weekday() >= 5) == weekend]


@st.composite
def schedules(draw: st.DrawFn, year: int) -> YearSchedule:
    """Holidays on weekdays and make-up working days on weekends, as every real year has."""
    holidays = draw(st.sets(st.sampled_from(_days(year, weekend=False)), min_size=1, max_size=40))
    makeup = draw(st.sets(st.sampled_from(_days(year, weekend=True)), max_size=10))
    return YearSchedule(year, frozenset(holidays), frozenset(makeup))


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    return WorkCalendar([draw(schedules(year)) for year in YEARS])


# Days well inside the calendar, so windows of up to 10 working days never leave it.
days_2026 = st.dates(date(2026, 2, 1), date(2026, 11, 30))
windows = st.integers(0, 10)


@dataclass(frozen=True)
class Someone:
    """A roster entry as the rules see it (`scoring.types.Rostered`)."""

    userid: str
    role: Role
    unit_id: int
    oversees: frozenset[int] = frozenset()
    active: bool = True


people = st.builds(
    Someone,
    userid=st.sampled_from([f"u{n}" for n in range(8)]),
    role=st.sampled_from(list(Role)),
    unit_id=st.integers(1, 3),
    oversees=st.frozensets(st.integers(1, 3)),
    active=st.booleans(),
)

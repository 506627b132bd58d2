"""The working-day calendar (scoring/workdays.py) as properties over the official schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.calendar import build_calendar
from scoring.workdays import UnknownCalendarYear

CALENDAR = build_calendar([])
days_2025_2026 = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 1))


@given(days_2025_2026.filter(CALENDAR.is_working_day), st.integers(min_value=1, max_value=5))
def test_deadline_is_exactly_n_working_days_later(day: date, window: int):
    deadline = CALENDAR.backfill_deadline(day, window)
    assert CALENDAR.is_working_day(deadline)
    between = list(CALENDAR.working_days(day + timedelta(days=1), deadline))
    assert len(between) == window


@given(days_2025_2026)
def test_earliest_backfillable_is_the_oldest_open_day(today: date):
    oldest = CALENDAR.earliest_backfillable(today, 5)
    assert CALENDAR.backfill_deadline(oldest, 5) >= today
    previous = oldest - timedelta(days=1)
    while not CALENDAR.is_working_day(previous):
        previous -= timedelta(days=1)
    assert CALENDAR.backfill_deadline(previous, 5) < today


def test_national_day_2026_and_its_makeup_saturday():
    assert not CALENDAR.is_working_day(date(2026, 10, 1))
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # 调休 Saturday
    assert CALENDAR.holiday_name(date(2026, 10, 3)) == "国庆节"


def test_a_year_without_schedule_fails_loudly():
    with pytest.raises(UnknownCalendarYear) as caught:
        CALENDAR.is_working_day(date(2027, 1, 4))
    assert caught.value.year == 2027

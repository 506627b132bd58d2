"""The official calendar: which published schedules are plausible (one rule for files and data)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.workdays import YearSchedule, schedule_problems
from tests.scoring.calendars import schedules


@given(schedules(2026))
def test_a_plausible_schedule_has_no_problems(schedule):
    assert schedule_problems(2026, schedule.holidays, schedule.makeup_workdays) == []


@given(schedules(2026), st.dates(date(2026, 1, 1), date(2026, 12, 31)))
def test_a_weekday_listed_as_make_up_day_or_as_both_is_a_problem_and_no_schedule(schedule, day):
    makeup = schedule.makeup_workdays | {day}
    problems = schedule_problems(2026, schedule.holidays, makeup)
    expected = day.weekday() < 5 or day in schedule.holidays
    assert any(str(day) in p for p in problems) == expected
    if expected:
        with pytest.raises(ValueError):
            YearSchedule(2026, schedule.holidays, frozenset(makeup))


@given(schedules(2026), st.integers(1, 400))
def test_a_day_of_another_year_is_a_problem(schedule, offset):
    stray = date(2026, 12, 31) + timedelta(days=offset)
    problems = schedule_problems(2026, schedule.holidays | {stray}, schedule.makeup_workdays)
    assert problems == [f"[holidays] 中的 {stray} 不在 2026 年"]


def test_a_year_without_holidays_is_a_problem():
    assert schedule_problems(2026, [], []) == ["[holidays] 为空：每年都有法定节假日，请检查文件"]
    with pytest.raises(ValueError):
        YearSchedule(2026)

"""R-LOG-3/6/7: which working days are owed a log and until when they may be backfilled."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.logs import counting_start, day_closing_today, missing_log_days, overdue_days
from scoring.workdays import WorkCalendar
from tests.scoring.calendars import calendars, days_2026, windows


def working_days_between(calendar: WorkCalendar, after: date, until: date) -> int:
    """Working days in (after, until]."""
    return sum(1 for _ in calendar.working_days(after + timedelta(days=1), until))


@given(calendars(), days_2026, st.integers(0, 40), st.data(), windows)
def test_missing_days_are_the_working_days_with_neither_log_nor_leave(calendar, start, length, data, window):
    end = start + timedelta(days=length)
    span = [start + timedelta(days=n) for n in range(length + 1)]
    logged = data.draw(st.sets(st.sampled_from(span)))
    excused = data.draw(st.sets(st.sampled_from(span)))
    missing = missing_log_days(calendar, start, end, logged, excused, window)
    expected = [d for d in span if calendar.is_working_day(d) and d not in logged | excused]
    assert [m.day for m in missing] == expected
    for m in missing:
        # The deadline is `window` working days on, and the day is open until then, not after.
        assert working_days_between(calendar, m.day, m.deadline) == window
        assert m.open_on(m.deadline) and not m.open_on(m.deadline + timedelta(days=1))


@given(calendars(), days_2026, st.integers(0, 40), windows, st.integers(0, 30), st.integers(0, 30))
def test_overdue_days_are_those_whose_window_closed_and_only_grow(calendar, start, length, window, a, b):
    end = start + timedelta(days=length)
    missing = missing_log_days(calendar, start, end, set(), set(), window)
    earlier, later = end + timedelta(days=min(a, b)), end + timedelta(days=max(a, b))
    assert len(overdue_days(missing, earlier)) <= len(overdue_days(missing, later)) <= len(missing)
    assert overdue_days(missing, later) == [m.day for m in missing if m.deadline < later]
    assert overdue_days(missing, start) == []  # nothing is overdue the day counting starts


@given(calendars(), days_2026, windows)
def test_on_each_working_day_exactly_one_days_window_closes(calendar, today, window):
    day = day_closing_today(calendar, today, window)
    if not calendar.is_working_day(today):
        assert day is None
        return
    assert day is not None and calendar.is_working_day(day)
    assert calendar.backfill_deadline(day, window) == today
    # Any other working day of the month before has a different deadline.
    for other in calendar.working_days(today - timedelta(days=30), today):
        if other != day:
            assert calendar.backfill_deadline(other, window) != today


@given(st.dates(), st.none() | st.dates())
def test_days_before_go_live_are_never_counted(first_day, logs_start):
    start = counting_start(first_day, logs_start)
    assert start >= first_day and (logs_start is None or start >= logs_start)
    assert start in (first_day, logs_start)

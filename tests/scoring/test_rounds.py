"""R-RATE-1: a quarter's round window, deadline and reminders, in working days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scoring.rounds import (
    is_round_open,
    may_open_round,
    planned_round_window,
    rater_reminder_due,
    round_closes_at,
    round_due,
)
from scoring.workdays import QuarterId
from tests.scoring.calendars import calendars, days_2026

SHANGHAI = ZoneInfo("Asia/Shanghai")
quarters = st.builds(QuarterId, st.just(2026), st.integers(1, 3))
durations = st.integers(1, 15)
times = st.times()
moments = st.builds(lambda d, t: datetime.combine(d, t, tzinfo=SHANGHAI), days_2026, times)


@given(calendars(), quarters, st.integers(1, 5), durations)
def test_the_planned_window_starts_after_the_quarter_and_lasts_duration_working_days(
    calendar, quarter, open_after, duration
):
    opens, last = planned_round_window(calendar, quarter, open_after=open_after, duration=duration)
    assert opens > quarter.last_day and opens <= last
    assert len(list(calendar.working_days(quarter.last_day + timedelta(days=1), opens))) == open_after
    assert len(list(calendar.working_days(opens, last))) == duration


@given(calendars(), moments, durations, times)
def test_a_round_closes_on_its_duration_th_working_day_counting_today(calendar, now, duration, close_at):
    closes = round_closes_at(calendar, now, duration=duration, close_at=close_at)
    assert closes.tzinfo is now.tzinfo and closes.time() == close_at
    assert calendar.is_working_day(closes.date())
    assert len(list(calendar.working_days(now.date(), closes.date()))) == duration


@given(calendars(), moments, st.integers(1, 5), durations, times)
def test_a_round_opens_by_itself_only_inside_its_window_on_a_working_day(
    calendar, now, open_after, duration, open_at
):
    due = round_due(calendar, now, open_after=open_after, duration=duration, open_at=open_at)
    previous = QuarterId.of(now.date()).previous()
    opens, last = planned_round_window(calendar, previous, open_after=open_after, duration=duration)
    expected = calendar.is_working_day(now.date()) and opens <= now.date() <= last and now.time() >= open_at
    assert due == (previous if expected else None)
    if due is not None:
        assert may_open_round(due, now.date())


@given(moments, moments, moments, st.sampled_from(["open", "closed", "published"]))
def test_raters_are_reminded_only_while_open_and_never_on_the_opening_day(opened_at, closes_at, now, status):
    due = rater_reminder_due(status, opened_at, closes_at, now)
    if due:
        assert is_round_open(status, closes_at, now) and now.date() > opened_at.date()
    assert is_round_open(status, closes_at, now) == (status == "open" and now < closes_at)

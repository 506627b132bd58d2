"""Summary windows on the official calendar: last N working days of a period + first M after."""

from __future__ import annotations

from datetime import date

from bot.calendar import build_calendar
from scoring.summary_window import SummaryPeriod, closing_day, opening_day, window_state

CAL = build_calendar([])


def test_quarter_window_skips_national_day():
    q3 = SummaryPeriod("quarter", 2026, 3)
    assert opening_day(CAL, q3, 5) == date(2026, 9, 23)  # 9-25 is 中秋, 9-20 a make-up Sunday
    assert closing_day(CAL, q3, 10) == date(2026, 10, 20)  # 国庆 10-1…10-7 off
    state = window_state(CAL, "quarter", date(2026, 10, 20), 5, 10)
    assert state.open is not None and state.open.period == q3
    state = window_state(CAL, "quarter", date(2026, 10, 21), 5, 10)
    assert state.open is None and state.last_closed and state.last_closed.period == q3
    assert state.next_open and state.next_open.opens == date(2026, 12, 25)


def test_the_current_windows_end_in_an_unloaded_year_does_not_refuse_an_open_window():
    state = window_state(CAL, "year", date(2026, 12, 31), 5, 10)  # 2027 is not in chinesecalendar
    assert state.open is not None and state.open.period.key == "2026" and state.open.closes is None


def test_zero_days_before_the_end_opens_the_day_after():
    assert opening_day(CAL, SummaryPeriod("quarter", 2026, 2), 0) == date(2026, 7, 1)

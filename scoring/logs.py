"""Which working days a cadre owes a log for, and until when a day may be backfilled
(R-LOG-3, R-LOG-6, R-LOG-7): 缺记, reminders, 缺记统计 and the quarter's deduction all count here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from scoring.roster import Span, within
from scoring.workdays import UnknownCalendarYear, WorkCalendar


@dataclass(frozen=True, slots=True)
class MissingDay:
    day: date
    deadline: date  # last day it may be backfilled

    def open_on(self, today: date) -> bool:
        return today <= self.deadline


def counting_start(first_day: date, logs_start: date | None) -> date:
    """Where a count of owed days that would begin on `first_day` begins: days before the
    system went live (settings logs.start_date) are never owed."""
    return max(first_day, logs_start) if logs_start else first_day


def missing_log_days(
    calendar: WorkCalendar,
    start: date,
    end: date,
    logged: Collection[date],
    excused: Collection[date],
    window: int,
    serving: Sequence[Span] | None = None,
) -> list[MissingDay]:
    """Working days in [start, end] with neither a log nor approved leave, oldest first, each
    with the last day it may still be backfilled (`window` working days later). Raises
    UnknownCalendarYear where a day or its window reaches a year with no schedule.

    Only days inside `serving` are owed (scoring.roster.serving_spans: not before joining,
    not after leaving, never as a superior leader); None means on the roster throughout.
    """
    days, unknown_year = known_missing_log_days(calendar, start, end, logged, excused, window, serving)
    if unknown_year is not None:
        raise UnknownCalendarYear(unknown_year)
    return days


def known_missing_log_days(
    calendar: WorkCalendar,
    start: date,
    end: date,
    logged: Collection[date],
    excused: Collection[date],
    window: int,
    serving: Sequence[Span] | None = None,
) -> tuple[list[MissingDay], int | None]:
    """`missing_log_days` as far as the loaded schedules reach, for queries (缺记): the days
    whose window lies in known years, and the first year without a schedule (None if none).
    Later days are left out, never guessed: their windows run through the unknown year."""
    found: list[MissingDay] = []
    try:
        for day in calendar.working_days(start, end):
            if day not in logged and day not in excused and (serving is None or within(serving, day)):
                found.append(MissingDay(day, calendar.backfill_deadline(day, window)))
    except UnknownCalendarYear as unknown:
        return found, unknown.year
    return found, None


def logged_of_owed(working_days: int, logs: int, leave_days: int, logs_on_leave: int) -> tuple[int, int]:
    """(days logged, days owed) of a period with `working_days`: a working day of approved
    leave is owed by no one, so it is in neither figure, even when a log was written for it
    (a rating card's 「已记 58 / 应记 60 个工作日」)."""
    return logs - logs_on_leave, working_days - leave_days


def overdue_days(missing: Collection[MissingDay], today: date) -> list[date]:
    """Missing days that count against the cadre on `today`: a day that can still be
    backfilled is not missing yet (R-LOG-3), so only closed windows are deducted."""
    return [m.day for m in missing if not m.open_on(today)]


def day_closing_today(calendar: WorkCalendar, today: date, window: int) -> date | None:
    """The one working day whose backfill window closes today (None on a non-working day).

    Deadlines of consecutive working days are consecutive working days, so exactly one day's
    window ends on each working day.
    """
    if not calendar.is_working_day(today):
        return None
    return calendar.earliest_backfillable(today, window)

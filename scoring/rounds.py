"""When a quarter's rating round opens, closes and reminds (R-RATE-1), in working days."""

from __future__ import annotations

from datetime import date, datetime, time

from scoring.workdays import QuarterId, WorkCalendar


def may_open_round(quarter: QuarterId, today: date) -> bool:
    """A quarter is rated only once it is over."""
    return today > quarter.last_day


def planned_round_window(
    calendar: WorkCalendar, quarter: QuarterId, *, open_after: int, duration: int
) -> tuple[date, date]:
    """First and last day of a quarter's automatic round: it opens `open_after` working days
    after the quarter ends and lasts `duration` working days."""
    opens = calendar.add_working_days(quarter.last_day, open_after)
    return opens, calendar.add_working_days(opens, duration - 1)


def round_closes_at(calendar: WorkCalendar, now: datetime, *, duration: int, close_at: time) -> datetime:
    """A round opened at `now` closes at `close_at` on its `duration`-th working day, counting
    today if it is a working day."""
    today = now.date()
    first = today if calendar.is_working_day(today) else calendar.add_working_days(today, 1)
    last = calendar.add_working_days(first, duration - 1)
    return datetime.combine(last, close_at, tzinfo=now.tzinfo)


def round_due(
    calendar: WorkCalendar, now: datetime, *, open_after: int, duration: int, open_at: time
) -> QuarterId | None:
    """The quarter whose round should open by itself at `now`, if any: last quarter's, on a
    working day in its planned window from `open_at` on (later in the window after downtime).

    Outside the window nothing opens by itself: a bot installed mid-quarter must not start a
    round for a quarter long gone.
    """
    today = now.date()
    if not calendar.is_working_day(today):
        return None
    quarter = QuarterId.of(today).previous()
    opens, last = planned_round_window(calendar, quarter, open_after=open_after, duration=duration)
    if not opens <= today <= last or now.time() < open_at:
        return None
    return quarter


def is_round_open(status: str, closes_at: datetime, now: datetime) -> bool:
    """Scores are taken while the round is open and its deadline has not passed."""
    return status == "open" and now < closes_at


def rater_reminder_due(status: str, opened_at: datetime, closes_at: datetime, now: datetime) -> bool:
    """Raters are reminded on each day of an open round after the day it opened."""
    return now.date() > opened_at.astimezone(now.tzinfo).date() and is_round_open(status, closes_at, now)

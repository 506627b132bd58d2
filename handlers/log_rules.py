"""Which working days a cadre still owes a log for: one place, used by 缺记, reminders and scoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.base import Ctx
from scoring.workdays import QuarterId, WorkCalendar
from storage.directory import Person
from storage.repos import Store


@dataclass(frozen=True)
class MissingDay:
    day: date
    deadline: date  # last day it may be backfilled

    def open_on(self, today: date) -> bool:
        return today <= self.deadline


def counting_start(quarter: QuarterId, logs_start: date | None) -> date:
    """Days before the system went live (settings logs.start_date) are never owed."""
    return max(quarter.first_day, logs_start) if logs_start else quarter.first_day


async def missing_days(
    store: Store, calendar: WorkCalendar, person: Person, start: date, end: date, window: int
) -> list[MissingDay]:
    """Working days in [start, end] with no log and no approved leave."""
    if end < start:
        return []
    logged = await store.logs.logged_days(person.userid, start, end)
    excused = await store.excused_days(person.userid, start, end)
    return owed_days(calendar, start, end, logged, excused, window)


def owed_days(
    calendar: WorkCalendar, start: date, end: date, logged: set[date], excused: set[date], window: int
) -> list[MissingDay]:
    """The rule itself: a working day with neither a log nor approved leave is missing."""
    return [
        MissingDay(day, calendar.backfill_deadline(day, window))
        for day in calendar.working_days(start, end)
        if day not in logged and day not in excused
    ]


async def missing_by_person(
    store: Store, calendar: WorkCalendar, people: list[Person], start: date, end: date, window: int
) -> dict[str, list[MissingDay]]:
    """`missing_days` for many people at once: two queries, not two per person."""
    if end < start:
        return {p.userid: [] for p in people}
    logged = await store.logs.logged_days_of_all(start, end)
    excused = await store.leave.excused_between(start, end)
    return {
        p.userid: owed_days(calendar, start, end, logged.get(p.userid, set()),
                            excused.get(p.userid, set()), window)
        for p in people
    }


async def not_logged_on(
    store: Store, calendar: WorkCalendar, people: list[Person], day: date, logs_start: date | None
) -> list[Person]:
    """Who still owes `day`'s log (reminders): a working day, no log, no approved leave."""
    if not calendar.is_working_day(day) or (logs_start is not None and day < logs_start):
        return []
    logged = await store.logs.on_day(day)
    excused = await store.leave.excused_between(day, day)
    return [p for p in people if p.userid not in logged and p.userid not in excused]


def closing_day(calendar: WorkCalendar, today: date, window: int) -> date | None:
    """The one working day whose backfill window closes today (None on a non-working day).

    Deadlines of consecutive working days are consecutive working days, so exactly one day's
    window ends on each working day.
    """
    if not calendar.is_working_day(today):
        return None
    return calendar.earliest_backfillable(today, window)


async def missing_this_quarter(ctx: Ctx, person: Person) -> list[MissingDay]:
    """Missing days of the current quarter up to yesterday (today is not missed yet)."""
    quarter = QuarterId.of(ctx.today)
    start = counting_start(quarter, ctx.settings.logs.start_date)
    yesterday = date.fromordinal(ctx.today.toordinal() - 1)
    return await missing_days(
        ctx.store, ctx.calendar, person, start, yesterday, ctx.settings.logs.backfill_working_days
    )

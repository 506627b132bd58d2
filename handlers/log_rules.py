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
    return [
        MissingDay(day, calendar.backfill_deadline(day, window))
        for day in calendar.working_days(start, end)
        if day not in logged and day not in excused
    ]


async def missing_this_quarter(ctx: Ctx, person: Person) -> list[MissingDay]:
    """Missing days of the current quarter up to yesterday (today is not missed yet)."""
    quarter = QuarterId.of(ctx.today)
    start = counting_start(quarter, ctx.settings.logs.start_date)
    yesterday = date.fromordinal(ctx.today.toordinal() - 1)
    return await missing_days(
        ctx.store, ctx.calendar, person, start, yesterday, ctx.settings.logs.backfill_working_days
    )

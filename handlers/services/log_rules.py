"""Gathers logs, leave and roster history for the owed-log-days rule (scoring/logs.py): 缺记,
reminders, scoring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.base import Ctx
from handlers.services.golive import go_live_date
from scoring.logs import MissingDay, counting_start, known_missing_log_days, missing_log_days
from scoring.roster import serving_spans
from scoring.workdays import QuarterId, UnknownCalendarYear, WorkCalendar
from storage.directory import Person
from storage.repos import Store


async def known_missing_days(
    store: Store, calendar: WorkCalendar, person: Person, start: date, end: date, window: int
) -> tuple[list[MissingDay], int | None]:
    """Working days in [start, end] with no log and no approved leave, as far as the loaded
    schedules reach, and the first year without one (None if none)."""
    if end < start:
        return [], None
    logged = await store.logs.logged_days(person.userid, start, end)
    excused = await store.excused_days(person.userid, start, end)
    history = await store.roster.placements([person.userid])
    serving = serving_spans(history.get(person.userid, []), start, end)
    return known_missing_log_days(calendar, start, end, logged, excused, window, serving)


async def missing_days(
    store: Store, calendar: WorkCalendar, person: Person, start: date, end: date, window: int
) -> list[MissingDay]:
    """`known_missing_days`, refusing (UnknownCalendarYear) where a schedule is missing."""
    days, unknown_year = await known_missing_days(store, calendar, person, start, end, window)
    if unknown_year is not None:
        raise UnknownCalendarYear(unknown_year)
    return days


async def missing_by_person(
    store: Store, calendar: WorkCalendar, people: list[Person], start: date, end: date, window: int
) -> dict[str, list[MissingDay]]:
    """`missing_days` for many people at once: three queries, not three per person."""
    if end < start:
        return {p.userid: [] for p in people}
    logged = await store.logs.logged_days_of(None, start, end)
    excused = await store.leave.excused_between(start, end)
    history = await store.roster.placements()
    return {
        p.userid: missing_log_days(calendar, start, end, logged.get(p.userid, set()),
                                   excused.get(p.userid, set()), window,
                                   serving_spans(history.get(p.userid, []), start, end))
        for p in people
    }


async def missing_counts(
    store: Store, calendar: WorkCalendar, people: list[Person], end: date, sinces: Sequence[date]
) -> dict[str, list[int]]:
    """`missing_log_days` counted for many people at once: per person, how many working days
    from each of `sinces` up to `end` they still owe.

    For everyone who served the whole period without approved leave, logs on working days are
    counted in the database (a province's quarter is millions of (userid, day) pairs); the
    few others have their days loaded and go through `missing_log_days` itself.
    """
    start = min(sinces)
    days = list(calendar.working_days(start, end)) if end >= start else []
    owed_by_since = [sum(1 for d in days if d >= since) for since in sinces]
    logged = await store.logs.counts_since(days, sinces)
    excused = await store.leave.excused_between(start, end) if days else {}
    history = await store.roster.placements()
    spans = {p.userid: serving_spans(history.get(p.userid, []), start, end) for p in people}
    others = {u for u, s in spans.items() if u in excused or s != [(start, end)]} if days else set()
    their_logs = await store.logs.logged_days_of(others, start, end) if others else {}
    out: dict[str, list[int]] = {}
    for person in people:
        userid = person.userid
        if userid in others:
            owed = missing_log_days(calendar, start, end, their_logs.get(userid, set()),
                                    excused.get(userid, set()), 0, spans[userid])
            out[userid] = [sum(1 for m in owed if m.day >= since) for since in sinces]
        else:
            done = logged.get(userid) or [0] * len(sinces)
            out[userid] = [total - n for total, n in zip(owed_by_since, done, strict=True)]
    return out


async def not_logged_on(
    store: Store, calendar: WorkCalendar, people: list[Person], day: date, logs_start: date | None
) -> list[Person]:
    """Who still owes `day`'s log (reminders): `day` is one of their missing log days."""
    if not calendar.is_working_day(day) or counting_start(day, logs_start) > day:
        return []
    logged = await store.logs.userids_on(day)
    excused = await store.leave.excused_between(day, day)
    history = await store.roster.placements()
    return [
        p for p in people
        if missing_log_days(calendar, day, day, {day} if p.userid in logged else set(),
                            excused.get(p.userid, set()), 0, serving_spans(history.get(p.userid, []), day, day))
    ]


async def missing_this_quarter(ctx: Ctx, person: Person) -> tuple[list[MissingDay], int | None]:
    """Missing days of the current quarter up to yesterday (today is not missed yet), as far
    as the loaded schedules reach, and the first year without one (None if none)."""
    start = counting_start(QuarterId.of(ctx.today).first_day, go_live_date(ctx.settings, ctx.directory))
    yesterday = date.fromordinal(ctx.today.toordinal() - 1)
    return await known_missing_days(
        ctx.store, ctx.calendar, person, start, yesterday, ctx.settings.logs.backfill_working_days
    )

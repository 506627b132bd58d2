"""Daily-log reminders as scheduled jobs: one transaction per pass; who is due is planned in reminder_plan."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.services import calendar_missing
from handlers.services.golive import go_live_date
from scheduler import reminder_plan as reminders
from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob
from scoring.workdays import UnknownCalendarYear
from storage.repos import Store

log = logging.getLogger(__name__)

PASS_ATTEMPTS = 3  # tries of one pass while the database is busy

T = TypeVar("T")


async def remind(deps: JobDeps, kind: str, now: datetime) -> reminders.ReminderPass | None:
    """One reminder pass for the day of `now`; safe to run any number of times, anywhere."""
    settings = deps.settings
    directory = await deps.directory.fresh()
    calendar = deps.calendar.current
    today = now.date()

    async def work(session: AsyncSession) -> reminders.ReminderPass | UnknownCalendarYear | None:
        store = Store(session)
        try:
            plan = await reminders.plan(
                kind, store, calendar, directory, today,
                window=settings.logs.backfill_working_days,
                logs_start=go_live_date(settings, directory),
                target_chars=settings.logs.target_chars,
            )
        except UnknownCalendarYear as missing:
            # Returned, not raised: an exception would fail the committer's whole batch.
            return missing
        if plan is None:
            return None
        return await reminders.queue(
            store, plan, deps.clock.now(), settings.reminders.batch_size, settings.reminders.daily_budget
        )

    outcome = await _committed(deps, work, kind, today)
    if isinstance(outcome, UnknownCalendarYear):
        # Maybe `shiji calendar load` ran since the cache was filled: read it again, once.
        calendar = await deps.calendar.reload()
        outcome = await _committed(deps, work, kind, today)
        if isinstance(outcome, UnknownCalendarYear):
            await _calendar_missing(deps, outcome.year, today)
            return None
    if outcome is None:
        log.info("reminders %s: %s is not a working day", kind, today)
        return None
    log.info(
        "reminders %s for %s: %d due, %d newly queued in %d batches",
        kind, outcome.day, outcome.due, outcome.queued, outcome.batches,
    )
    deps.wake_sender()
    return outcome


async def _committed(
    deps: JobDeps, work: Callable[[AsyncSession], Awaitable[T]], kind: str, today: date
) -> T:
    """`work` through the committer, the process's one writer (on SQLite a second writer
    transaction beside it would fail on a stale snapshot), tried again while the database is busy."""
    attempt = 1
    while True:
        try:
            return await deps.committer.run(work)
        except OperationalError:
            # Another process wrote meanwhile (SQLite shared by two processes). The claims
            # make a rerun safe: it queues only whom nobody has claimed yet.
            if attempt == PASS_ATTEMPTS:
                raise
            attempt += 1
            log.warning("reminders %s for %s: database busy, retrying", kind, today)


async def _calendar_missing(deps: JobDeps, year: int, today: date) -> None:
    log.error("reminders skipped: no working-day schedule for %s", year)

    async def alert(session: AsyncSession) -> None:
        await calendar_missing.alert_admins(
            Store(session), deps.settings.admin.userids, year, today, deps.clock.now()
        )

    await deps.committer.run(alert)


async def daily_reminders(deps: JobDeps, now: datetime) -> None:
    await remind(deps, "daily", now)


async def last_day_reminders(deps: JobDeps, now: datetime) -> None:
    await remind(deps, "last_day", now)


LOG_JOBS = [
    ScheduledJob("remind-daily", lambda s: s.reminders.daily_at, daily_reminders, reminder=True),
    ScheduledJob("remind-last-day", lambda s: s.reminders.last_day_at, last_day_reminders, reminder=True),
]

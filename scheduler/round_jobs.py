"""Scheduled work of every kind of round (handlers/services/rounds.py `RoundKind`): open,
remind, close. Plain async functions (deps, now), made by one factory, `round_jobs(kind)`,
for the quarter's rating (`QUARTER_JOBS`) and the year's 民主测评 (`YEAR_JOBS`).

Each runs as one unit of work through the committer. Running twice (another replica, a
catch-up after downtime) does nothing twice: a round is created under a unique quarter or
year, a close is an UPDATE from 'open', and each reminder is an outbox row under a per-day key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Ctx, Refusal
from handlers.services import calendar_missing
from handlers.services.rating import QUARTER
from handlers.services.rounds import RoundKind, close_due, open_due
from handlers.services.year_evaluation import YEAR
from scheduler.context import JobDeps, job_ctx
from scheduler.jobs import ScheduledJob
from scoring.workdays import UnknownCalendarYear, WorkCalendar
from storage.directory import Directory
from storage.repos import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
Job = Callable[[JobDeps, datetime], Awaitable[None]]


async def in_unit_of_work(deps: JobDeps, now: datetime, work: Callable[[Ctx], Awaitable[T]]) -> T | None:
    directory = await deps.directory.fresh()
    outcome = await deps.committer.run(_unit(deps, now, work, directory, deps.calendar.current, last=False))
    if isinstance(outcome, UnknownCalendarYear):  # maybe `shiji calendar load` ran since: once more
        calendar = await deps.calendar.reload()
        outcome = await deps.committer.run(_unit(deps, now, work, directory, calendar, last=True))
    return None if isinstance(outcome, UnknownCalendarYear) else outcome


def _unit(
    deps: JobDeps, now: datetime, work: Callable[[Ctx], Awaitable[T]],
    directory: Directory, calendar: WorkCalendar, *, last: bool,
) -> Callable[[AsyncSession], Awaitable[T | UnknownCalendarYear | None]]:
    async def run(session: AsyncSession) -> T | UnknownCalendarYear | None:
        ctx = job_ctx(deps, Store(session), directory, calendar, now)
        try:
            async with session.begin_nested():  # a refusal undoes this job's writes only
                return await work(ctx)
        except Refusal as refusal:
            log.info("round job refused: %s", refusal.text)
        except UnknownCalendarYear as missing:
            if not last:
                return missing  # returned, not raised: the committer's batch stays whole
            log.error("round job: no working-day schedule loaded for %s", missing.year)
            await calendar_missing.alert_admins(
                ctx.store, deps.settings.admin.userids, missing.year, ctx.today, deps.clock.now()
            )
        return None

    return run


@dataclass(frozen=True)
class RoundJobs:
    """One kind's three jobs, and the scheduler's entries for them."""

    open: Job
    remind: Job
    close: Job
    scheduled: list[ScheduledJob]


def round_jobs(kind: RoundKind[Any]) -> RoundJobs:
    async def open_due_round(deps: JobDeps, now: datetime) -> None:
        await in_unit_of_work(deps, now, lambda ctx: open_due(ctx, kind))
        deps.wake_sender()

    async def remind_raters(deps: JobDeps, now: datetime) -> None:
        await in_unit_of_work(deps, now, kind.remind)
        deps.wake_sender()

    async def close_due_rounds(deps: JobDeps, now: datetime) -> None:
        await in_unit_of_work(deps, now, lambda ctx: close_due(ctx, kind))
        deps.wake_sender()

    return RoundJobs(open_due_round, remind_raters, close_due_rounds, [
        ScheduledJob(f"{kind.name}-open", kind.open_at, open_due_round),
        ScheduledJob(f"{kind.name}-remind", kind.remind_at, remind_raters, reminder=True),
        ScheduledJob(f"{kind.name}-close", kind.close_at, close_due_rounds),
    ])


QUARTER_JOBS = round_jobs(QUARTER)
YEAR_JOBS = round_jobs(YEAR)
JOBS: list[ScheduledJob] = [*QUARTER_JOBS.scheduled, *YEAR_JOBS.scheduled]

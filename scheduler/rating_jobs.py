"""Scheduled work of the rating round: open, remind, close. Plain async functions (ctx, now).

Each runs as one unit of work through the committer. Running twice (another replica, a
catch-up after downtime) does nothing twice: a round is created under a unique quarter, a
close is an UPDATE from 'open', and each reminder is an outbox row under a per-day key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Refusal
from handlers.services import calendar_missing
from handlers.services.rating import RatingEnv, auto_close, auto_open, remind
from scheduler.context import JobContext
from scheduler.jobs import ScheduledJob
from scoring.workdays import UnknownCalendarYear, WorkCalendar
from storage.directory import Directory
from storage.repos import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEDULER = "scheduler"  # the actor of scheduled work in the audit trail


async def in_unit_of_work(ctx: JobContext, now: datetime, work: Callable[[RatingEnv], Awaitable[T]]) -> T | None:
    directory = await ctx.directory.fresh()
    outcome = await ctx.committer.run(_unit(ctx, now, work, directory, ctx.calendar.current, last=False))
    if isinstance(outcome, UnknownCalendarYear):  # maybe `shiji calendar load` ran since: once more
        calendar = await ctx.calendar.reload()
        outcome = await ctx.committer.run(_unit(ctx, now, work, directory, calendar, last=True))
    return None if isinstance(outcome, UnknownCalendarYear) else outcome


def _unit(
    ctx: JobContext, now: datetime, work: Callable[[RatingEnv], Awaitable[T]],
    directory: Directory, calendar: WorkCalendar, *, last: bool,
) -> Callable[[AsyncSession], Awaitable[T | UnknownCalendarYear | None]]:
    async def run(session: AsyncSession) -> T | UnknownCalendarYear | None:
        env = RatingEnv(Store(session), ctx.settings, directory, calendar, now, SCHEDULER)
        try:
            async with session.begin_nested():  # a refusal undoes this job's writes only
                return await work(env)
        except Refusal as refusal:
            log.info("rating job refused: %s", refusal.text)
        except UnknownCalendarYear as missing:
            if not last:
                return missing  # returned, not raised: the committer's batch stays whole
            log.error("rating job: no working-day schedule loaded for %s", missing.year)
            await calendar_missing.alert_admins(
                env.store, ctx.settings.admin.userids, missing.year, env.today, ctx.clock.now()
            )
        return None

    return run


async def tell_admins(env: RatingEnv, key: str, text: str) -> None:
    admins = list(env.settings.admin.userids)
    if admins:
        await env.store.outbox.enqueue(key, admins, "text", {"content": text}, env.now)


async def open_due_round(ctx: JobContext, now: datetime) -> None:
    async def work(env: RatingEnv) -> None:
        text = await auto_open(env)
        if text is not None:
            await tell_admins(env, f"rate-auto-open:{env.today.isoformat()}", "（自动）" + text)

    await in_unit_of_work(ctx, now, work)
    ctx.wake_sender()


async def close_due_rounds(ctx: JobContext, now: datetime) -> None:
    async def work(env: RatingEnv) -> None:
        for index, text in enumerate(await auto_close(env)):
            await tell_admins(env, f"rate-auto-close:{env.now.isoformat()}:{index}", "（到期自动）" + text)

    await in_unit_of_work(ctx, now, work)
    ctx.wake_sender()


async def remind_raters(ctx: JobContext, now: datetime) -> None:
    await in_unit_of_work(ctx, now, remind)
    ctx.wake_sender()


JOBS: list[ScheduledJob] = [
    ScheduledJob("rating-open", lambda s: s.rating.open_at, open_due_round),
    ScheduledJob("rating-remind", lambda s: s.rating.remind_at, remind_raters, reminder=True),
    ScheduledJob("rating-close", lambda s: s.rating.close_at, close_due_rounds),
]

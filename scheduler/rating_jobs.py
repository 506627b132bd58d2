"""Scheduled work of the rating round: open, remind, close. Plain async functions (runtime, now).

Each runs as one unit of work through the committer. Running twice (another replica, a
catch-up after downtime) does nothing twice: a round is created under a unique quarter, a
close is an UPDATE from 'open', and each reminder is an outbox row under a per-day key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Refusal
from handlers.rating_rounds import RatingEnv, auto_close, auto_open, remind
from scheduler.jobs import ScheduledJob
from scoring.workdays import UnknownCalendarYear
from storage.repos import Store

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _in_unit_of_work(runtime: Runtime, now: datetime, work: Callable[[RatingEnv], Awaitable[T]]) -> T | None:
    directory = await runtime.directory.fresh()

    async def run(session: AsyncSession) -> T | None:
        env = RatingEnv(Store(session), runtime.settings, directory, runtime.calendar.current, now)
        try:
            async with session.begin_nested():  # a refusal undoes this job's writes only
                return await work(env)
        except Refusal as refusal:
            log.info("rating job refused: %s", refusal.text)
        except UnknownCalendarYear as missing:
            log.error("rating job: no working-day schedule loaded for %s", missing.year)
        return None

    return await runtime.committer.run(run)


async def _tell_admins(env: RatingEnv, key: str, text: str) -> None:
    admins = list(env.settings.admin.userids)
    if admins:
        await env.store.outbox.enqueue(key, admins, "text", {"content": text}, env.now)


async def open_due_round(runtime: Runtime, now: datetime) -> None:
    async def work(env: RatingEnv) -> None:
        text = await auto_open(env)
        if text is not None:
            await _tell_admins(env, f"rate-auto-open:{env.today.isoformat()}", "（自动）" + text)

    await _in_unit_of_work(runtime, now, work)
    runtime.sender.wake()


async def close_due_rounds(runtime: Runtime, now: datetime) -> None:
    async def work(env: RatingEnv) -> None:
        for index, text in enumerate(await auto_close(env)):
            await _tell_admins(env, f"rate-auto-close:{env.now.isoformat()}:{index}", "（到期自动）" + text)

    await _in_unit_of_work(runtime, now, work)
    runtime.sender.wake()


async def remind_raters(runtime: Runtime, now: datetime) -> None:
    await _in_unit_of_work(runtime, now, remind)
    runtime.sender.wake()


JOBS: list[ScheduledJob] = [
    ScheduledJob("rating-open", lambda s: s.rating.open_at, open_due_round),
    ScheduledJob("rating-remind", lambda s: s.rating.remind_at, remind_raters),
    ScheduledJob("rating-close", lambda s: s.rating.close_at, close_due_rounds),
]

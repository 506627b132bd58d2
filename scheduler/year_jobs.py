"""Scheduled work of the democratic evaluation: open (when configured), remind, close.

The same unit of work as the rating jobs (scheduler/rating_jobs.py) and the same guarantees:
an evaluation is created under a unique year, a close is an UPDATE from 'open', each
reminder an outbox row under a per-day key, so a second replica or a rerun does nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from handlers.services.rating import RatingEnv
from handlers.services.year_evaluation import auto_close, auto_open, remind
from scheduler.context import JobContext
from scheduler.jobs import ScheduledJob
from scheduler.rating_jobs import in_unit_of_work, tell_admins


async def open_due_evaluation(ctx: JobContext, now: datetime) -> None:
    async def work(env: RatingEnv) -> None:
        text = await auto_open(env)
        if text is not None:
            await tell_admins(env, f"dem-auto-open:{env.today.isoformat()}", "（自动）" + text)

    await in_unit_of_work(ctx, now, work)
    ctx.wake_sender()


async def close_due_evaluations(ctx: JobContext, now: datetime) -> None:
    async def work(env: RatingEnv) -> None:
        for index, text in enumerate(await auto_close(env)):
            await tell_admins(env, f"dem-auto-close:{env.now.isoformat()}:{index}", "（到期自动）" + text)

    await in_unit_of_work(ctx, now, work)
    ctx.wake_sender()


async def remind_evaluators(ctx: JobContext, now: datetime) -> None:
    await in_unit_of_work(ctx, now, remind)
    ctx.wake_sender()


JOBS: list[ScheduledJob] = [
    ScheduledJob("year-eval-open", lambda s: s.rating.open_at, open_due_evaluation),
    ScheduledJob("year-eval-remind", lambda s: s.rating.remind_at, remind_evaluators, reminder=True),
    ScheduledJob("year-eval-close", lambda s: s.rating.close_at, close_due_evaluations),
]

"""The weekly digest as a scheduled job (issue 26, item 6): what it says is
handlers/services/weekly_digest.py; that it goes once per unit and week is its outbox key."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.services.weekly_digest import DigestPass, send_digests
from scheduler.context import JobContext
from scheduler.jobs import ScheduledJob
from storage.repos import Store

log = logging.getLogger(__name__)


async def weekly_digest(ctx: JobContext, now: datetime) -> None:
    if now.weekday() != ctx.settings.digest.weekday:
        return
    directory = await ctx.directory.fresh()
    calendar = ctx.calendar.current

    async def work(session: AsyncSession) -> DigestPass:
        return await send_digests(Store(session), directory, calendar, ctx.settings, ctx.clock.now())

    done = await ctx.committer.run(work)
    log.info("weekly digest for the week before %s: %d units (%d as files)", now.date(), done.units, done.files)
    ctx.wake_sender()


# Every day at [digest] at, doing its work on the configured weekday only: a Monday holiday
# still gets its digest.
JOBS: list[ScheduledJob] = [
    ScheduledJob("weekly-digest", lambda s: s.digest.at, weekly_digest, working_days_only=False),
]

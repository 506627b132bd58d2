"""Issue 26's scheduled work: the nightly copy check and the weekly digest. What they find and
say lives in handlers/services/log_flags.py and weekly_digest.py; that the digest goes once per
unit and week is its outbox key; the check replaces its own rows, so a rerun is harmless."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.services.log_flags import check_span, flags_of, logs_to_check, people_batches
from handlers.services.weekly_digest import DigestPass, send_digests
from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob
from scoring.copied_logs import DayLog, Flagged
from storage.directory import Person
from storage.repos import Store

log = logging.getLogger(__name__)


async def check_copied_logs(deps: JobDeps, now: datetime) -> None:
    directory = await deps.directory.fresh()
    trust = deps.settings.trust
    start, end = check_span(now.date())
    found: list[Flagged] = []
    for batch in people_batches(directory):

        async def read(session: AsyncSession, people: list[Person] = batch) -> list[DayLog]:
            return await logs_to_check(Store(session), directory, people, trust, start, end)

        logs = await deps.committer.run(read)
        # CPU work for seconds to minutes: in a thread, so callbacks keep being answered.
        found += await asyncio.to_thread(flags_of, logs, batch, trust, start, end)

    async def store(session: AsyncSession) -> None:
        await Store(session).trust.replace_flags(start, end, found, deps.clock.now())

    await deps.committer.run(store)
    log.info("copy check of %s to %s: %d logs flagged", start, end, len(found))


async def weekly_digest(deps: JobDeps, now: datetime) -> None:
    if now.weekday() != deps.settings.digest.weekday:
        return
    directory = await deps.directory.fresh()
    calendar = deps.calendar.current

    async def work(session: AsyncSession) -> DigestPass:
        return await send_digests(Store(session), directory, calendar, deps.settings, deps.clock.now())

    done = await deps.committer.run(work)
    log.info("weekly digest for the week before %s: %d units (%d as files)", now.date(), done.units, done.files)
    deps.wake_sender()


# Every day (backfills arrive on any working day; a Monday holiday still gets its digest);
# the digest does its work on the configured weekday only.
JOBS: list[ScheduledJob] = [
    ScheduledJob("check-copied-logs", lambda s: s.trust.check_at, check_copied_logs, working_days_only=False),
    ScheduledJob("weekly-digest", lambda s: s.digest.at, weekly_digest, working_days_only=False),
]

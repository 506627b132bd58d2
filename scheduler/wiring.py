"""APScheduler wiring only: one cron trigger per job in Asia/Shanghai on the injected clock,
and a catch-up at start for a run that downtime made us miss. What a job does lives in the
job; that it happens exactly once lives in its database claims, not here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob, last_instant, run_job
from scheduler.registry import all_jobs
from scoring.clock import SHANGHAI

log = logging.getLogger(__name__)

# A fire a hair early (timer jitter) still belongs to the instant it was meant for.
_EARLY_FIRE_SLACK = timedelta(seconds=5)


class ShiftedTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 has no types: BaseTrigger is Any
    """Fires `inner` on a clock running `offset` ahead of the system clock (APScheduler 3 reads
    the system clock only), so a demo clock started elsewhere gets its reminders on its time."""

    def __init__(self, inner: BaseTrigger, offset: timedelta) -> None:
        self.inner = inner
        self.offset = offset

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        previous = previous_fire_time + self.offset if previous_fire_time is not None else None
        following = self.inner.get_next_fire_time(previous, now + self.offset)
        return following - self.offset if following is not None else None

    def __str__(self) -> str:
        return f"{self.inner} shifted by {self.offset}"


def trigger_for(job: ScheduledJob, deps: JobDeps, offset: timedelta) -> BaseTrigger:
    at = job.at(deps.settings)
    cron = CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=SHANGHAI)
    return cron if abs(offset) < timedelta(seconds=1) else ShiftedTrigger(cron, offset)


def build_scheduler(deps: JobDeps, jobs: Sequence[ScheduledJob] | None = None) -> AsyncIOScheduler:
    """A scheduler with every job registered (not started)."""
    offset = deps.clock.now() - datetime.now(SHANGHAI)
    grace = int(timedelta(minutes=deps.settings.reminders.grace_minutes).total_seconds())
    scheduler = AsyncIOScheduler(timezone=SHANGHAI)
    for job in all_jobs() if jobs is None else jobs:
        scheduler.add_job(
            _fire,
            trigger_for(job, deps, offset),
            args=[deps, job],
            id=job.id,
            name=job.id,
            coalesce=True,  # several missed fires make one run
            max_instances=1,
            misfire_grace_time=grace,  # later than this: APScheduler skips and logs it
            replace_existing=True,
        )
    return scheduler


async def _fire(deps: JobDeps, job: ScheduledJob) -> None:
    instant = last_instant(job, deps.settings, deps.clock.now() + _EARLY_FIRE_SLACK)
    try:
        await run_job(job, deps, instant)
    except Exception:  # one failed pass must not stop the scheduler; the next run retries
        log.exception("job %s for %s failed", job.id, instant)


async def catch_up(
    deps: JobDeps, now: datetime, jobs: Sequence[ScheduledJob] | None = None
) -> list[str]:
    """Run once each job whose last due instant passed less than grace_minutes ago.

    The job may well have run before the restart: its claims make the rerun queue nothing
    new. Older instants are skipped (and logged): a 17:30 nudge is no use at 21:00.
    Returns the ids of the jobs that ran.
    """
    grace = timedelta(minutes=deps.settings.reminders.grace_minutes)
    ran: list[str] = []
    for job in all_jobs() if jobs is None else jobs:
        instant = last_instant(job, deps.settings, now)
        late = now - instant
        if late > grace:
            log.info("catch-up: %s was due %s (%s ago, beyond grace): skipped", job.id, instant, late)
            continue
        log.info("catch-up: %s was due %s (%s ago): running it now", job.id, instant, late)
        try:
            if await run_job(job, deps, instant):
                ran.append(job.id)
        except Exception:
            log.exception("catch-up of %s for %s failed", job.id, instant)
    return ran


async def start_scheduler(deps: JobDeps) -> Any:
    scheduler = build_scheduler(deps)
    scheduler.start()
    await catch_up(deps, deps.clock.now())
    return scheduler

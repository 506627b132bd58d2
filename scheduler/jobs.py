"""What a scheduled job is, and how one run of it goes (the same path for the scheduler, the
catch-up at start and `shiji remind now`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scheduler.context import JobDeps
from scoring.clock import SHANGHAI
from scoring.rule_settings import RuleSettings
from scoring.workdays import UnknownCalendarYear
from storage.db import is_transient

log = logging.getLogger(__name__)

RETRY_FIRST_WAIT = 1.0  # seconds
RETRY_LONGEST_WAIT = 60.0


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    at: Callable[[RuleSettings], time]
    run: Callable[[JobDeps, datetime], Awaitable[None]]  # now = the scheduled instant
    working_days_only: bool = True
    # A reminder to people: held back in quiet hours (scheduler/quiet_hours.py sends it after).
    reminder: bool = False


def last_instant(job: ScheduledJob, settings: RuleSettings, now: datetime) -> datetime:
    """The most recent instant (at or before `now`) the job was due, in Asia/Shanghai."""
    local = now.astimezone(SHANGHAI)
    due = datetime.combine(local.date(), job.at(settings), tzinfo=SHANGHAI)
    return due if due <= local else due - timedelta(days=1)


def due_between(
    jobs: Sequence[ScheduledJob], settings: RuleSettings, after: datetime, until: datetime
) -> list[tuple[datetime, ScheduledJob]]:
    """Every instant in (after, until] at which one of `jobs` falls due, oldest first (jobs
    due at the same instant keep their order): what a clock moved from `after` to `until`
    has to run so that nothing in between is skipped."""
    start, end = after.astimezone(SHANGHAI), until.astimezone(SHANGHAI)
    due: list[tuple[datetime, int, ScheduledJob]] = []
    day = start.date()
    while day <= end.date():
        for order, job in enumerate(jobs):
            instant = datetime.combine(day, job.at(settings), tzinfo=SHANGHAI)
            if start < instant <= end:
                due.append((instant, order, job))
        day += timedelta(days=1)
    return [(instant, job) for instant, _, job in sorted(due, key=lambda item: item[:2])]


async def run_job(job: ScheduledJob, deps: JobDeps, instant: datetime) -> bool:
    """Run once for `instant`; False if it was not a day for this job, or a reminder that
    quiet hours hold back (the job after quiet hours runs it then, if still of use)."""
    if job.reminder and deps.settings.reminders.quiet_hours.contains(deps.clock.now()):
        log.info("job %s for %s: quiet hours, held back until %s", job.id, instant,
                 deps.settings.reminders.quiet_end)
        return False
    if job.working_days_only:
        try:
            working = deps.calendar.current.is_working_day(instant.date())
        except UnknownCalendarYear:
            working = True  # unknown year: the job itself reloads the calendar or alerts the admin
        if not working:
            log.info("job %s: %s is not a working day, nothing to do", job.id, instant.date())
            return False
    await _run_retrying(job, deps, instant)
    return True


async def _run_retrying(job: ScheduledJob, deps: JobDeps, instant: datetime) -> None:
    """A run that meets a busy or restarting database (storage/db.py is_transient) runs
    again after a wait, doubling up to a minute, for as long as a late run is still of use
    (reminders' grace_minutes): a job's claims make a rerun do nothing twice, and a lost run
    is a day's reminders never sent, or a round that never opened."""
    give_up = timedelta(minutes=deps.settings.reminders.grace_minutes).total_seconds()
    waited, wait = 0.0, RETRY_FIRST_WAIT
    while True:
        try:
            await job.run(deps, instant)
            return
        except Exception as error:
            if not is_transient(error) or waited + wait > give_up:
                raise
            log.warning("job %s for %s: database busy or away (%s), running it again in %.0f s",
                        job.id, instant, type(error).__name__, wait)
        await deps.sleep(wait)
        waited += wait
        wait = min(2 * wait, RETRY_LONGEST_WAIT)

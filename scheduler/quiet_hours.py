"""The reminders quiet hours held back, sent when they end (issue 26, item 8).

A reminder job due in quiet hours does nothing then (scheduler/jobs.py run_job); at the end of
the quiet spell this job runs each one that fell due in it, once, now — unless the day it was
for is over (scoring/reminder_budget.py `obsolete`): yesterday's 17:30 nudge is no use at 08:00.
Each pass re-plans who is due, so whoever logged or handed in meanwhile is left out, and its
claims keep a rerun (another replica, a catch-up) from sending anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob, due_between, run_job
from scheduler.log_jobs import LOG_JOBS
from scheduler.round_jobs import JOBS as ROUND_JOBS
from scoring.reminder_budget import obsolete

log = logging.getLogger(__name__)

_JUST_BEFORE = timedelta(microseconds=1)


def reminder_jobs() -> list[ScheduledJob]:
    return [job for job in (*LOG_JOBS, *ROUND_JOBS) if job.reminder]


async def send_held_back(deps: JobDeps, now: datetime, jobs: Sequence[ScheduledJob] | None = None) -> None:
    """`now`: the end of a quiet spell. Runs the reminders that fell due in it."""
    quiet = deps.settings.reminders.quiet_hours
    if quiet.start == quiet.end:
        return
    began = quiet.began_before(now)
    # due_between takes (after, until]; the spell is [began, now).
    held = due_between(reminder_jobs() if jobs is None else jobs, deps.settings, began - _JUST_BEFORE, now - _JUST_BEFORE)
    for instant, job in held:
        if obsolete(instant.date(), now.date()):
            log.info("job %s due %s in quiet hours: its day is over, dropped", job.id, instant)
            continue
        log.info("job %s due %s in quiet hours: running it now", job.id, instant)
        await run_job(job, deps, now)


JOBS: list[ScheduledJob] = [
    # Every day: a quiet spell may hold back reminders of any day the jobs run.
    ScheduledJob("reminders-after-quiet", lambda s: s.reminders.quiet_end, send_held_back, working_days_only=False),
]

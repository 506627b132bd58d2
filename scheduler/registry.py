"""Every scheduled job of the bot, in one list the wiring registers."""

from __future__ import annotations

from scheduler.jobs import ScheduledJob
from scheduler.log_jobs import LOG_JOBS


def all_jobs() -> list[ScheduledJob]:
    jobs = list(LOG_JOBS)
    # Rating-round jobs (scheduler/rating_jobs.py) are appended here:
    #   from scheduler.rating_jobs import RATING_JOBS
    #   jobs += RATING_JOBS
    return jobs

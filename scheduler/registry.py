"""Every scheduled job of the bot, in one list the wiring registers."""

from __future__ import annotations

from scheduler.calendar_jobs import JOBS as CALENDAR_JOBS
from scheduler.housekeeping import JOBS as HOUSEKEEPING_JOBS
from scheduler.jobs import ScheduledJob
from scheduler.log_jobs import LOG_JOBS
from scheduler.notice_jobs import JOBS as NOTICE_JOBS
from scheduler.quiet_hours import JOBS as QUIET_JOBS
from scheduler.round_jobs import JOBS as ROUND_JOBS
from scheduler.trust_jobs import JOBS as TRUST_JOBS


def all_jobs() -> list[ScheduledJob]:
    return [*LOG_JOBS, *ROUND_JOBS, *QUIET_JOBS, *TRUST_JOBS, *HOUSEKEEPING_JOBS, *CALENDAR_JOBS, *NOTICE_JOBS]

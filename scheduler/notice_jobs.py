"""The year's 公示 check (handlers/services/year_notice.py `daily_check`), once per working
day: remind the 考核办 of objections still open as a 公示 nears its end, and make a year
final once every unit's 公示 has ended with none open.

Exactly once across replicas, as the round jobs (scheduler/round_jobs.py): one unit of work
through the committer; the final mark is an INSERT that only one run wins, and each reminder
is an outbox row under a per-day key.
"""

from __future__ import annotations

from datetime import datetime

from handlers.services.year_notice import daily_check
from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob
from scheduler.round_jobs import in_unit_of_work


async def check_year_notices(deps: JobDeps, now: datetime) -> None:
    await in_unit_of_work(deps, now, daily_check)
    deps.wake_sender()


JOBS: list[ScheduledJob] = [ScheduledJob("year-notice-check", lambda rules: rules.notice.check_at, check_year_notices)]

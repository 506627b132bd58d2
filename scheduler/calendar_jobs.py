"""Next year's holiday schedule, asked for in time: from `[calendar] warn_from` (e.g. 12-01)
every working day, the admins are told until `shiji calendar load` has loaded it. A year that
has started without its schedule is asked for too. Once a day whoever runs it: the message
shares its outbox key with every other missing-calendar alert of that year and day
(handlers/services/calendar_missing.py), so replicas, restarts and a refused message that day add none.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.services import calendar_missing
from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob
from scoring.golive import next_year_warning_due
from storage.repos import Store

log = logging.getLogger(__name__)


async def warn_missing_year(deps: JobDeps, now: datetime) -> int | None:
    """The year the admins were told to load (None if nothing was missing or due)."""
    today = now.date()
    due = [today.year] + ([today.year + 1] if next_year_warning_due(today, deps.settings.calendar.warn_from_day) else [])
    known = (await deps.calendar.reload()).years  # another process may have loaded it since
    missing = next((year for year in due if year not in known), None)
    if missing is None:
        return None
    log.warning("no working-day schedule loaded for %s: telling the admins", missing)

    async def work(session: AsyncSession) -> None:
        await calendar_missing.warn_admins(Store(session), deps.settings.admin.userids, missing, today, deps.clock.now())

    await deps.committer.run(work)
    deps.wake_sender()
    return missing


async def _run(deps: JobDeps, now: datetime) -> None:
    await warn_missing_year(deps, now)


JOBS = [ScheduledJob("calendar-warn", lambda s: s.calendar.warn_at, _run)]

"""Housekeeping: forget dedupe records once WeCom can no longer retry them.

Each inbound callback leaves a row (with its reply, for WeCom's retries of it) so that a
retry is answered, not redone. Retries come within seconds and a callback older than
`[wecom] max_callback_age_seconds` is refused anyway, so rows older than
`[housekeeping] inbound_keep_days` serve no one. The day's run is claimed first: however many
replicas fire the job, one of them prunes. The same run blanks what unknown users wrote after
as long, and erases what rounds left in the database files (storage/erasure.py): the SQLite
WAL every night; on PostgreSQL, while a close is recent, the ballot tables again and the
message tables, whose rewrite would lock callbacks out for seconds in the daytime.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.context import JobDeps
from scheduler.jobs import ScheduledJob
from storage.erasure import AFTER_CLOSE
from storage.repos import Store

log = logging.getLogger(__name__)

JOB_ID = "prune-inbound"


async def prune_inbound(deps: JobDeps, now: datetime) -> int | None:
    """Prune once for the day of `now`; None if another run (or replica) already did."""
    keep = timedelta(days=deps.settings.housekeeping.inbound_keep_days)

    async def work(session: AsyncSession) -> tuple[int, bool] | None:
        store = Store(session)
        if not await store.housekeeping.claim_day(JOB_ID, now.date(), deps.clock.now()):
            return None
        await store.housekeeping.forget_unknown_texts(now - keep)
        # A close's message rows are pruned `keep` days later; rewrite until then (and a day more).
        recent_close = await store.housekeeping.closed_since(now - keep - timedelta(days=1))
        return await store.housekeeping.prune_inbound(now - keep), recent_close

    outcome = await deps.committer.run(work)
    if outcome is None:
        return None
    pruned, recent_close = outcome
    log.info("pruned %d dedupe records received before %s", pruned, now - keep)
    await deps.eraser.erase(AFTER_CLOSE if recent_close else (), largest=None)
    return pruned


async def _run(deps: JobDeps, now: datetime) -> None:
    await prune_inbound(deps, now)


JOBS = [ScheduledJob(JOB_ID, lambda s: s.housekeeping.prune_at, _run, working_days_only=False)]

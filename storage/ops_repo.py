"""SQL of the audit trail, job claims, admin jobs, dedupe pruning and what the nightly erasure needs."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import InboundMessage, UnknownUser
from storage.models_ops import AdminJob, AuditEvent, JobClaim
from storage.models_rating import RatingRound
from storage.models_year import YearEval
from storage.sql import dialect_insert, rowcount, table_of

DETAIL_MAX = 500
JOB_QUEUED = "shiji_admin_job_queued"  # session.info flag: wake the job runner after commit


class AuditRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(self, actor: str, action: str, detail: str, now: datetime) -> None:
        """Record an admin action in the caller's transaction: it is there exactly when the
        action is. `detail` says what was acted on (a quarter, a file, counts), never a score."""
        self.s.add(AuditEvent(at=now, actor=actor[:64], action=action[:40], detail=detail[:DETAIL_MAX]))

    async def recent(self, since: datetime, limit: int) -> list[AuditEvent]:
        # Newest first by insertion: the clock of a demo or a CLI run may repeat an instant.
        rows = await self.s.execute(
            select(AuditEvent).where(col(AuditEvent.at) >= since).order_by(col(AuditEvent.id).desc()).limit(limit)
        )
        return list(rows.scalars().all())


class HousekeepingRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def claim_day(self, job: str, day: date, now: datetime) -> bool:
        """True for the first run of `job` on `day` anywhere; a second replica gets False
        (on PostgreSQL it waits for the first to commit, then skips)."""
        stmt = (
            dialect_insert(self.s, table_of(JobClaim))
            .values(job=job, day=day, claimed_at=now)
            .on_conflict_do_nothing(index_elements=["job", "day"])
            .returning(table_of(JobClaim).c.job)
        )
        return (await self.s.execute(stmt)).first() is not None

    async def prune_inbound(self, received_before: datetime) -> int:
        """Forget dedupe records (and their stored replies) older than the retry window."""
        result = await self.s.execute(delete(InboundMessage).where(col(InboundMessage.received_at) < received_before))
        return int(rowcount(result) or 0)

    async def forget_unknown_texts(self, seen_before: datetime) -> int:
        """Blank what strangers wrote once it is as old as a pruned dedupe record: the admin
        needed it to recognise them, not to keep it."""
        result = await self.s.execute(
            update(UnknownUser).where(col(UnknownUser.last_seen) < seen_before, col(UnknownUser.last_text) != "")
            .values(last_text="")
        )
        return int(rowcount(result) or 0)

    async def closed_since(self, moment: datetime) -> bool:
        """Whether a rating round or a democratic evaluation closed at or after `moment`."""
        rounds = exists().where(col(RatingRound.closed_at) >= moment)
        evaluations = exists().where(col(YearEval.closed_at) >= moment)
        return bool((await self.s.execute(select(rounds | evaluations))).scalar())


class AdminJobRepo:
    """Admin jobs (storage/models_ops.py AdminJob). Claims are compare-and-set UPDATEs on the
    wall clock, like the outbox's: on SQLite and PostgreSQL alike exactly one replica's
    UPDATE matches a row, and a later one sees it claimed (PostgreSQL re-reads the row after
    the first commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def enqueue(self, kind: str, args: dict[str, Any], title: str, requested_by: str, now: datetime) -> int:
        """Queue a job in the caller's transaction (a chat message's: its dedupe makes a
        WeCom retry answer from the stored reply, never queue it again)."""
        self.s.info[JOB_QUEUED] = True
        job = AdminJob(kind=kind, args=json.dumps(args, ensure_ascii=False), title=title[:100],
                       requested_by=requested_by[:64], created_at=now)
        self.s.add(job)
        await self.s.flush()
        assert job.id is not None
        return job.id

    async def claim(self, token: str, wall_now: datetime, lease_until: datetime) -> AdminJob | None:
        """The oldest job that is queued, or running under a lease that has passed (its
        replica died), now claimed by `token`; None when there is none to take."""
        claimable = or_(
            col(AdminJob.state) == "queued",
            (col(AdminJob.state) == "running") & (col(AdminJob.lease_until) < wall_now),
        )
        candidates = await self.s.execute(select(col(AdminJob.id)).where(claimable).order_by(col(AdminJob.id)).limit(5))
        for (job_id,) in candidates.all():
            taken = await self.s.execute(
                update(AdminJob).where(col(AdminJob.id) == job_id, claimable)
                .values(state="running", claimed_by=token, lease_until=lease_until,
                        attempts=col(AdminJob.attempts) + 1)
            )
            if rowcount(taken) == 1:
                return await self.s.get(AdminJob, job_id, populate_existing=True)
        return None

    async def renew(self, job_id: int, token: str, lease_until: datetime) -> bool:
        """Extend the lease while the job runs; False once another replica has taken it over."""
        result = await self.s.execute(
            update(AdminJob).where(*self._held(job_id, token)).values(lease_until=lease_until)
        )
        return rowcount(result) == 1

    async def progress(self, job_id: int, token: str, done: int, total: int, stage: str) -> None:
        await self.s.execute(
            update(AdminJob).where(*self._held(job_id, token)).values(done=done, total=total, stage=stage[:100])
        )

    async def holds(self, job_id: int, token: str) -> bool:
        found = await self.s.execute(select(col(AdminJob.id)).where(*self._held(job_id, token)))
        return found.first() is not None

    async def finish(self, job_id: int, token: str, state: str, result: str, error: str, now: datetime) -> bool:
        """Close the job as done or failed; False if `token` no longer holds it (then the
        caller's transaction must roll back: the replica that took over does the work)."""
        finished = await self.s.execute(
            update(AdminJob).where(*self._held(job_id, token))
            .values(state=state, result=result, error=error[:2000], finished_at=now, lease_until=None)
        )
        return rowcount(finished) == 1

    async def release(self, job_id: int, token: str) -> None:
        """Back to the queue (the database blinked): any replica runs it again. The attempt
        still counts, so a fault that only looks passing (a full disk, a read-only database)
        ends after MAX_ATTEMPTS with the asker told, not a job queued forever."""
        await self.s.execute(
            update(AdminJob).where(*self._held(job_id, token)).values(state="queued", claimed_by=None, lease_until=None)
        )

    async def get(self, job_id: int) -> AdminJob | None:
        return await self.s.get(AdminJob, job_id)

    async def active(self) -> list[AdminJob]:
        """Jobs queued or running."""
        rows = await self.s.execute(select(AdminJob).where(col(AdminJob.finished_at).is_(None)).order_by(col(AdminJob.id)))
        return list(rows.scalars().all())

    async def recent(self, finished_since: datetime, limit: int = 10) -> list[AdminJob]:
        """Every job not finished, then those finished since `finished_since`; newest first
        in each (a running job is never pushed off the list by many finished ones)."""
        rows = await self.s.execute(
            select(AdminJob)
            .where(or_(col(AdminJob.finished_at).is_(None), col(AdminJob.finished_at) >= finished_since))
            .order_by(col(AdminJob.finished_at).is_not(None), col(AdminJob.id).desc()).limit(limit)
        )
        return list(rows.scalars().all())

    @staticmethod
    def _held(job_id: int, token: str) -> tuple[Any, ...]:
        return (col(AdminJob.id) == job_id, col(AdminJob.state) == "running", col(AdminJob.claimed_by) == token)

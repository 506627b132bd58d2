"""SQL of the audit trail, job claims, dedupe pruning and what the nightly erasure needs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import InboundMessage, UnknownUser
from storage.models_ops import AuditEvent, JobClaim
from storage.models_rating import RatingRound
from storage.models_year import YearEval
from storage.sql import dialect_insert, rowcount, table_of

DETAIL_MAX = 500


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

"""Repositories for leave (请假/出差) and reminder claims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Leave, Outbox
from storage.models_reminders import ReminderClaim

OPEN_STATUSES = ("pending", "approved")


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class LeaveRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(
        self, userid: str, start: date, end: date, kind: str, reason: str, now: datetime
    ) -> Leave:
        leave = Leave(userid=userid, start=start, end=end, kind=kind, reason=reason,
                      status="pending", created_at=now)
        self.s.add(leave)
        await self.s.flush()
        return leave

    async def get(self, leave_id: int) -> Leave | None:
        return await self.s.get(Leave, leave_id)

    async def overlapping(self, userid: str, start: date, end: date) -> list[Leave]:
        """Pending or approved leave of this person that shares a day with [start, end]."""
        result = await self.s.execute(
            select(Leave).where(
                Leave.userid == userid,
                Leave.status.in_(OPEN_STATUSES),  # type: ignore[attr-defined]
                Leave.start <= end,
                Leave.end >= start,
            )
        )
        return list(result.scalars().all())

    async def of_user(self, userid: str, since: date) -> list[Leave]:
        result = await self.s.execute(
            select(Leave).where(Leave.userid == userid, Leave.end >= since).order_by(Leave.start)
        )
        return list(result.scalars().all())

    async def pending(self) -> list[Leave]:
        result = await self.s.execute(select(Leave).where(Leave.status == "pending").order_by(Leave.id))
        return list(result.scalars().all())

    async def decide(self, leave_id: int, status: str, by: str, now: datetime) -> bool:
        """pending → approved/rejected; False if someone else decided first (one winner)."""
        result = await self.s.execute(
            update(Leave)
            .where(Leave.id == leave_id, Leave.status == "pending")  # type: ignore[arg-type]
            .values(status=status, decided_by=by, decided_at=now)
        )
        return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    async def excused_between(self, start: date, end: date) -> dict[str, set[date]]:
        """Approved leave days in [start, end] of everyone, by userid: one query."""
        rows = await self.s.execute(
            select(Leave.userid, Leave.start, Leave.end).where(
                Leave.status == "approved", Leave.start <= end, Leave.end >= start
            )
        )
        out: dict[str, set[date]] = {}
        for row in rows:
            day = max(row.start, start)
            while day <= min(row.end, end):
                out.setdefault(row.userid, set()).add(day)
                day += timedelta(days=1)
        return out


@dataclass(frozen=True)
class ReminderOutcome:
    kind: str
    day: date
    userid: str
    status: str  # the carrying outbox row's: pending | sending | sent | failed
    error: str


class ReminderRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def claim(
        self, kind: str, day: date, userids: Sequence[str], outbox_key: str, now: datetime
    ) -> list[str]:
        """Claim (kind, day, person) for each of `userids`; returns only those newly claimed.

        Someone claimed by an earlier run, another replica or a concurrent transaction is left
        out: on PostgreSQL the second inserter waits for the first to commit, then skips.
        """
        if not userids:
            return []
        stmt = (
            _insert(self.s, ReminderClaim.__table__)
            .values([
                {"kind": kind, "day": day, "userid": u, "outbox_key": outbox_key, "claimed_at": now}
                for u in userids
            ])
            .on_conflict_do_nothing(index_elements=["kind", "day", "userid"])
            .returning(ReminderClaim.__table__.c.userid)
        )
        claimed = {row.userid for row in await self.s.execute(stmt)}
        return [u for u in userids if u in claimed]

    async def outcomes(self, start: date, end: date) -> list[ReminderOutcome]:
        """Every reminder claimed for days in [start, end] and how its send went."""
        rows = await self.s.execute(
            select(
                ReminderClaim.kind, ReminderClaim.day, ReminderClaim.userid, Outbox.status, Outbox.error
            )
            .join(Outbox, Outbox.dedupe_key == ReminderClaim.outbox_key, isouter=True)
            .where(ReminderClaim.day >= start, ReminderClaim.day <= end)
            .order_by(ReminderClaim.day, ReminderClaim.kind, ReminderClaim.userid)
        )
        return [
            ReminderOutcome(r.kind, r.day, r.userid, r.status or "missing", r.error or "")
            for r in rows
        ]

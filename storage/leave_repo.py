"""SQL of leave (请假/出差): registrations, decisions and the days they excuse."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.leave import leave_days
from storage.models import Leave
from storage.sql import rowcount

OPEN_STATUSES = ("pending", "approved")


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
                col(Leave.userid) == userid,
                col(Leave.status).in_(OPEN_STATUSES),
                col(Leave.start) <= end,
                col(Leave.end) >= start,
            )
        )
        return list(result.scalars().all())

    async def overlapping_of(self, userids: list[str], start: date, end: date) -> list[Leave]:
        """`overlapping` for several people in one query (a unit's digest)."""
        if not userids:
            return []
        result = await self.s.execute(
            select(Leave).where(
                col(Leave.userid).in_(userids),
                col(Leave.status).in_(OPEN_STATUSES),
                col(Leave.start) <= end,
                col(Leave.end) >= start,
            )
        )
        return list(result.scalars().all())

    async def of_user(self, userid: str, since: date) -> list[Leave]:
        result = await self.s.execute(
            select(Leave).where(col(Leave.userid) == userid, col(Leave.end) >= since).order_by(col(Leave.start))
        )
        return list(result.scalars().all())

    async def pending(self) -> list[Leave]:
        result = await self.s.execute(select(Leave).where(col(Leave.status) == "pending").order_by(col(Leave.id)))
        return list(result.scalars().all())

    async def decide(self, leave_id: int, status: str, by: str, now: datetime) -> bool:
        """pending → approved/rejected; False if someone else decided first (one winner)."""
        result = await self.s.execute(
            update(Leave)
            .where(col(Leave.id) == leave_id, col(Leave.status) == "pending")
            .values(status=status, decided_by=by, decided_at=now)
        )
        return rowcount(result) == 1

    async def excused_between(self, start: date, end: date) -> dict[str, set[date]]:
        """Approved leave days in [start, end] of everyone, by userid: one query."""
        rows = await self.s.execute(
            select(col(Leave.userid), col(Leave.start), col(Leave.end)).where(
                col(Leave.status) == "approved", col(Leave.start) <= end, col(Leave.end) >= start
            )
        )
        out: dict[str, set[date]] = {}
        for row in rows:
            out.setdefault(row.userid, set()).update(leave_days(row.start, row.end, start, end))
        return out

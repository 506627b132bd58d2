"""SQL of leave (请假/出差): registrations, decisions and the days they excuse."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.leave import leave_days
from storage.models import Leave

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
            out.setdefault(row.userid, set()).update(leave_days(row.start, row.end, start, end))
        return out

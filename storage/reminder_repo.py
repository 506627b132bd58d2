"""SQL of reminder claims: who was reminded of what, and how the send went."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Outbox
from storage.models_reminders import ReminderClaim
from storage.sql import dialect_insert, table_of


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
            dialect_insert(self.s, table_of(ReminderClaim))
            .on_conflict_do_nothing(index_elements=["kind", "day", "userid"])
            .returning(table_of(ReminderClaim).c.userid)
        )
        # Parameters as a list: SQLAlchemy renders multi-row VALUES from one cached statement
        # (a literal 1,000-row VALUES would be compiled afresh every time: ~0.9 s a send).
        rows = [
            {"kind": kind, "day": day, "userid": u, "outbox_key": outbox_key, "claimed_at": now}
            for u in userids
        ]
        claimed = {row.userid for row in await self.s.execute(stmt, rows)}
        return [u for u in userids if u in claimed]

    async def outcomes(self, start: date, end: date) -> list[ReminderOutcome]:
        """Every reminder claimed for days in [start, end] and how its send went."""
        rows = await self.s.execute(
            select(
                col(ReminderClaim.kind), col(ReminderClaim.day), col(ReminderClaim.userid), col(Outbox.status), col(Outbox.error)
            )
            .join(Outbox, col(Outbox.dedupe_key) == col(ReminderClaim.outbox_key), isouter=True)
            .where(col(ReminderClaim.day) >= start, col(ReminderClaim.day) <= end)
            .order_by(col(ReminderClaim.day), col(ReminderClaim.kind), col(ReminderClaim.userid))
        )
        return [
            ReminderOutcome(r.kind, r.day, r.userid, r.status or "missing", r.error or "")
            for r in rows
        ]

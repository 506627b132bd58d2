"""SQL of log mentions: who was asked to confirm taking part in whose log, and the answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models_trust import LogMention
from storage.sql import dialect_insert, rowcount, table_of

ASKED, CONFIRMED, DENIED = "asked", "confirmed", "denied"


class MentionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def ask(self, author: str, day: date, colleague: str, now: datetime) -> int | None:
        """A new mention's id; None when this colleague was already asked about this log."""
        stmt = (
            dialect_insert(self.s, table_of(LogMention))
            .values(author=author, day=day, colleague=colleague, status=ASKED, asked_at=now)
            .on_conflict_do_nothing(index_elements=["author", "day", "colleague"])
            .returning(table_of(LogMention).c.id)
        )
        return (await self.s.execute(stmt)).scalar()

    async def get(self, mention_id: int) -> LogMention | None:
        return await self.s.get(LogMention, mention_id)

    async def answer(self, mention_id: int, status: str, now: datetime) -> bool:
        """Record the colleague's answer once: False if it was answered before (a second tap)."""
        result = await self.s.execute(
            update(LogMention)
            .where(col(LogMention.id) == mention_id, col(LogMention.status) == ASKED)
            .values(status=status, answered_at=now)
        )
        return rowcount(result) == 1

    async def waiting_for(self, colleague: str) -> list[LogMention]:
        """The cards this colleague has not answered yet, oldest first."""
        rows = await self.s.execute(
            select(LogMention)
            .where(col(LogMention.colleague) == colleague, col(LogMention.status) == ASKED)
            .order_by(col(LogMention.day), col(LogMention.id))
        )
        return list(rows.scalars())

    async def of_logs(self, authors: Sequence[str], start: date, end: date) -> list[LogMention]:
        """Every mention in the logs of `authors` on days in [start, end]."""
        if not authors:
            return []
        rows = await self.s.execute(
            select(LogMention)
            .where(col(LogMention.author).in_(authors), col(LogMention.day) >= start, col(LogMention.day) <= end)
            .order_by(col(LogMention.day), col(LogMention.id))
        )
        return list(rows.scalars())

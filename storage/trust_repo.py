"""SQL behind issue 26's views of the logs: their texts over a span, for the copy check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import DailyLog

CHUNK = 1000  # userids per statement: PostgreSQL takes at most 32,767 parameters


@dataclass(frozen=True)
class LogText:
    userid: str
    day: date
    content: str
    created_at: datetime


class TrustRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def log_texts(self, userids: Sequence[str], start: date, end: date) -> list[LogText]:
        """Every log of `userids` dated in [start, end]."""
        found: list[LogText] = []
        for at in range(0, len(userids), CHUNK):
            rows = await self.s.execute(
                select(col(DailyLog.userid), col(DailyLog.day), col(DailyLog.content), col(DailyLog.created_at)).where(
                    col(DailyLog.userid).in_(userids[at : at + CHUNK]),
                    col(DailyLog.day) >= start, col(DailyLog.day) <= end,
                )
            )
            found += [LogText(r.userid, r.day, r.content, r.created_at) for r in rows]
        return found

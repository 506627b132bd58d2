"""SQL behind issue 26's views of the logs: their texts over a span for the copy check, and the
flags it stores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.copied_logs import Flag, Flagged
from storage.models import DailyLog
from storage.models_trust import LogFlag

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

    async def replace_flags(self, start: date, end: date, flags: Sequence[Flagged], now: datetime) -> None:
        """The flags of every log dated in [start, end], replacing those found before (a
        backfill or a 修改 since may have made or unmade one)."""
        await self.s.execute(delete(LogFlag).where(col(LogFlag.day) >= start, col(LogFlag.day) <= end))
        self.s.add_all(
            LogFlag(author=f.author, day=f.day, kind=f.flag.value, like_author=f.like_author, like_day=f.like_day,
                    similarity=f.similarity, flagged_at=now)
            for f in flags
        )
        await self.s.flush()

    async def flags(self, userids: Sequence[str] | None, start: date, end: date) -> list[Flagged]:
        """Stored flags of logs dated in [start, end] (of `userids`; None: everyone's)."""
        query = select(LogFlag).where(col(LogFlag.day) >= start, col(LogFlag.day) <= end)
        found: list[Flagged] = []
        chunks = [None] if userids is None else [userids[at : at + CHUNK] for at in range(0, len(userids), CHUNK)]
        for chunk in chunks:
            limited = query if chunk is None else query.where(col(LogFlag.author).in_(chunk))
            for row in (await self.s.execute(limited)).scalars():
                found.append(Flagged(row.author, row.day, Flag(row.kind), row.like_author, row.like_day, row.similarity))
        return sorted(found, key=lambda f: (f.day, f.author))

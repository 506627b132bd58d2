"""The year's 公示, its objections and the final mark (storage/models_year_notice.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models_year_notice import (
    YearFinal,
    YearNoticeReply,
    YearObjection,
    YearPublicity,
    YearReview,
)
from storage.sql import dialect_insert, rowcount, table_of


class YearNoticeRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ---- 公示 ----

    async def publicities(self, year: int) -> list[YearPublicity]:
        """Every 公示 of `year`, oldest first."""
        found = await self.s.execute(
            select(YearPublicity).where(col(YearPublicity.year) == year).order_by(col(YearPublicity.id))
        )
        return list(found.scalars())

    async def current(self, year: int) -> dict[int, YearPublicity]:
        """Each unit's latest 公示 of `year` (unit id → row)."""
        return {p.unit_id: p for p in await self.publicities(year)}

    async def add_publicity(self, row: YearPublicity) -> YearPublicity:
        self.s.add(row)
        await self.s.flush()
        return row

    async def years_in_publicity(self) -> list[int]:
        """Years with a 公示 and not yet final."""
        final = select(col(YearFinal.year))
        found = await self.s.execute(
            select(col(YearPublicity.year)).where(col(YearPublicity.year).not_in(final)).distinct()
        )
        return sorted(found.scalars())

    # ---- objections ----

    async def add_objection(self, row: YearObjection) -> int:
        self.s.add(row)
        await self.s.flush()
        assert row.id is not None
        return row.id

    async def objections(self, year: int, *, open_only: bool = False) -> list[YearObjection]:
        query = select(YearObjection).where(col(YearObjection.year) == year)
        if open_only:
            query = query.where(col(YearObjection.status) == "open")
        return list((await self.s.execute(query.order_by(col(YearObjection.id)))).scalars())

    async def objection(self, objection_id: int) -> YearObjection | None:
        return await self.s.get(YearObjection, objection_id)

    async def decide(self, objection_id: int, status: str, by: str, at: datetime, reason: str) -> bool:
        """Decide an open objection; False if it was decided meanwhile (another replica)."""
        result = await self.s.execute(
            update(YearObjection)
            .where(col(YearObjection.id) == objection_id, col(YearObjection.status) == "open")
            .values(status=status, decided_by=by, decided_at=at, reason=reason)
        )
        return rowcount(result) == 1

    async def barred(self, year: int) -> frozenset[str]:
        """Who may not be 优秀 in `year`: an objection against them was upheld."""
        found = await self.s.execute(
            select(col(YearObjection.target)).where(
                col(YearObjection.year) == year, col(YearObjection.status) == "upheld"
            )
        )
        return frozenset(found.scalars())

    # ---- final ----

    async def final(self, year: int) -> YearFinal | None:
        return await self.s.get(YearFinal, year)

    async def make_final(self, year: int, version: int, at: datetime) -> bool:
        """Mark `year` final once: False if it already was (a retry, another replica)."""
        stmt = (
            dialect_insert(self.s, table_of(YearFinal))
            .values(year=year, version=version, final_at=at)
            .on_conflict_do_nothing(index_elements=["year"])
            .returning(table_of(YearFinal).c.year)
        )
        return (await self.s.execute(stmt)).first() is not None

    async def open_count(self, year: int) -> int:
        found = await self.s.execute(
            select(func.count()).select_from(YearObjection).where(
                col(YearObjection.year) == year, col(YearObjection.status) == "open"
            )
        )
        return int(found.scalar_one())

    # ---- the written notice and 本人意见 ----

    async def add_replies(self, rows: Sequence[YearNoticeReply]) -> None:
        self.s.add_all(rows)
        await self.s.flush()

    async def reply_by_task(self, task_id: str) -> YearNoticeReply | None:
        found = await self.s.execute(select(YearNoticeReply).where(col(YearNoticeReply.task_id) == task_id))
        return found.scalars().first()

    async def reply_of(self, userid: str, year: int | None = None) -> YearNoticeReply | None:
        """`userid`'s notice of `year`, or of the latest year noticed."""
        query = select(YearNoticeReply).where(col(YearNoticeReply.userid) == userid)
        if year is not None:
            query = query.where(col(YearNoticeReply.year) == year)
        found = await self.s.execute(query.order_by(col(YearNoticeReply.year).desc()).limit(1))
        return found.scalars().first()

    async def replies(self, year: int) -> list[YearNoticeReply]:
        found = await self.s.execute(
            select(YearNoticeReply).where(col(YearNoticeReply.year) == year).order_by(col(YearNoticeReply.userid))
        )
        return list(found.scalars())

    async def unanswered_years(self) -> list[int]:
        found = await self.s.execute(
            select(col(YearNoticeReply.year)).where(col(YearNoticeReply.answer) == "").distinct()
        )
        return sorted(found.scalars())

    # ---- 复核 and 申诉 ----

    async def add_review(self, row: YearReview) -> int:
        self.s.add(row)
        await self.s.flush()
        assert row.id is not None
        return row.id

    async def review(self, review_id: int) -> YearReview | None:
        return await self.s.get(YearReview, review_id)

    async def review_of(self, year: int, userid: str) -> YearReview | None:
        found = await self.s.execute(
            select(YearReview).where(col(YearReview.year) == year, col(YearReview.userid) == userid)
        )
        return found.scalars().first()

    async def reviews(self, year: int | None = None) -> list[YearReview]:
        query = select(YearReview)
        if year is not None:
            query = query.where(col(YearReview.year) == year)
        return list((await self.s.execute(query.order_by(col(YearReview.id)))).scalars())

    async def open_reviews(self) -> list[YearReview]:
        found = await self.s.execute(select(YearReview).where(col(YearReview.decision) == "").order_by(col(YearReview.id)))
        return list(found.scalars())

    async def changed_to(self, year: int) -> dict[str, str]:
        """userid → the grade a 复核 decision changed theirs to, for `year`."""
        found = await self.s.execute(
            select(col(YearReview.userid), col(YearReview.changed_to)).where(
                col(YearReview.year) == year, col(YearReview.decision) == "changed"
            )
        )
        return {userid: grade for userid, grade in found.all() if grade}

"""The anonymous ballot box shared by the quarterly rating and the democratic evaluation.

Both keep the same four tables — assignments (who is asked about whom), drafts (the only
rater-linked scores), hand-ins (only "this rater handed in") and sealed scores (no rater, no
time, random ids) — with the same column names (`round_id`, `rater`, `ratee`, `unit_id`).
`hand_in` is the only way a score leaves the drafts: it writes the lines without the rater,
in random order under random ids, deletes the drafts and blanks the stored passive replies
of the rater's messages in the round (they echo the scores given), all in one transaction.
`reseal` rewrites a closed round's lines in one shuffled batch. See README, security.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundMessage
from storage.sql import dialect_insert

# A system-wide secure RNG: score ids and row order must not be predictable from each other.
_rng = random.SystemRandom()


class Round(Protocol):
    id: int | None
    opened_at: datetime


@dataclass(frozen=True)
class UnitProgress:
    unit_id: int
    raters: int  # raters holding cards for this unit's cadres
    handed_in: int


@dataclass(frozen=True)
class RaterTodo:
    rater: str
    cards: int
    answered: int  # drafts so far (before hand-in)


class BallotBox:
    """SQL over one round's four tables; subclasses name them."""

    assignment_table: ClassVar[Any]
    draft_table: ClassVar[Any]
    handin_table: ClassVar[Any]
    score_table: ClassVar[Any]

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def assignment(self, assignment_id: str) -> Any:
        return await self.s.get(self.assignment_table, assignment_id)

    async def assignments_of(self, round_id: int, rater: str) -> list[Any]:
        a = self.assignment_table
        result = await self.s.execute(
            select(a).where(a.round_id == round_id, a.rater == rater).order_by(a.unit_id, a.ratee)
        )
        return list(result.scalars().all())

    async def raters(self, round_id: int) -> set[str]:
        a = self.assignment_table
        result = await self.s.execute(select(a.rater).where(a.round_id == round_id).distinct())
        return set(result.scalars().all())

    async def has_handed_in(self, round_id: int, rater: str) -> bool:
        return await self.s.get(self.handin_table, (round_id, rater)) is not None

    async def handed_in(self, round_id: int) -> set[str]:
        h = self.handin_table
        result = await self.s.execute(select(h.rater).where(h.round_id == round_id))
        return set(result.scalars().all())

    async def seal(self, rnd: Round, rater: str, lines: Sequence[dict[str, Any]]) -> bool:
        """Hand in a ballot: `lines` (score columns without id, round or rater) sealed.

        False (and nothing written) if this rater had already handed in.
        """
        assert rnd.id is not None
        table = self.handin_table.__table__
        claimed = (
            await self.s.execute(
                dialect_insert(self.s, table)
                .values(round_id=rnd.id, rater=rater)
                .on_conflict_do_nothing(index_elements=["round_id", "rater"])
                .returning(table.c.rater)
            )
        ).first()
        if claimed is None:
            return False
        rows = [{"id": uuid.uuid4().hex, "round_id": rnd.id, **line} for line in lines]
        _rng.shuffle(rows)
        if rows:
            await self.s.execute(self.score_table.__table__.insert(), rows)
        await self.drop_drafts(rnd, rater)
        return True

    async def drop_drafts(self, rnd: Round, rater: str) -> None:
        """Delete a rater's drafts and blank the stored replies that echoed them.

        The dispatcher keeps each message's passive reply for WeCom's retries (seconds to
        minutes); in a round those replies say "张三 92 分", so they must not outlive the draft.
        """
        d = self.draft_table
        await self.s.execute(delete(d).where(d.round_id == rnd.id, d.rater == rater))
        await self.s.execute(
            update(InboundMessage)
            .where(
                InboundMessage.userid == rater,
                InboundMessage.received_at >= rnd.opened_at,
                InboundMessage.reply.is_not(None),  # type: ignore[union-attr]
            )
            .values(reply=None)
        )

    async def reseal(self, round_id: int) -> int:
        """Rewrite a round's scores in one shuffled batch under fresh ids.

        Rows written at hand-in still sit where (and, on PostgreSQL, in the transaction) they
        were written, which groups one ballot's rows; after this they all share one batch.
        """
        table = self.score_table.__table__
        kept = [c for c in table.columns if c.name != "id"]
        result = await self.s.execute(select(*kept).where(table.c.round_id == round_id))
        rows = [{"id": uuid.uuid4().hex, **row._mapping} for row in result]
        _rng.shuffle(rows)
        await self.s.execute(delete(table).where(table.c.round_id == round_id))
        if rows:
            await self.s.execute(table.insert(), rows)
        return len(rows)

    async def progress(self, round_id: int) -> list[UnitProgress]:
        a, h = self.assignment_table, self.handin_table
        handed = and_(h.round_id == a.round_id, h.rater == a.rater)
        result = await self.s.execute(
            select(a.unit_id, func.count(func.distinct(a.rater)), func.count(func.distinct(h.rater)))
            .select_from(a)
            .outerjoin(h, handed)
            .where(a.round_id == round_id)
            .group_by(a.unit_id)
        )
        return [UnitProgress(unit_id, raters, done) for unit_id, raters, done in result.all()]

    async def todo(self, round_id: int) -> list[RaterTodo]:
        """Raters who have not handed in, with their card and draft counts."""
        a, d, h = self.assignment_table, self.draft_table, self.handin_table
        cards = (
            select(a.rater, func.count().label("cards"))
            .where(a.round_id == round_id).group_by(a.rater).subquery()
        )
        drafts = (
            select(d.rater, func.count().label("answered"))
            .where(d.round_id == round_id).group_by(d.rater).subquery()
        )
        done = select(h.rater).where(h.round_id == round_id)
        result = await self.s.execute(
            select(cards.c.rater, cards.c.cards, func.coalesce(drafts.c.answered, 0))
            .outerjoin(drafts, drafts.c.rater == cards.c.rater)
            .where(cards.c.rater.not_in(done))
            .order_by(cards.c.rater)
        )
        return [RaterTodo(rater, n, answered) for rater, n, answered in result.all()]

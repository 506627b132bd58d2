"""The anonymous ballot box shared by the quarterly rating and the democratic evaluation.

Both keep the same four tables — assignments (who is asked about whom), drafts (the only
rater-linked scores), hand-ins (only "this rater handed in") and sealed scores (no rater, no
time, random ids) — with the same column names (`round_id`, `rater`, `ratee`, `unit_id`).
`seal` is the only way a score leaves the drafts: it writes the lines without the rater,
in random order under random ids and drops the rater's traces (`drop_traces`), all in one
transaction. `reseal` rewrites a closed round's lines and hand-ins in one shuffled batch.
See README, security.

The box also names the outbox rows a round queues for a rater (`card_key`, `submit_key`,
`update_key`), so that it can find them again at hand-in: a card resent or updated during the
round shows what the rater gave so far (marks preselected, 「本单位还可给 2 人」) and must not
outlive the drafts.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import String, and_, cast, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import BLANKED_PAYLOAD, InboundMessage, Outbox, OutboxBody
from storage.records import record_of
from storage.sql import dialect_insert, table_of

# A system-wide secure RNG: score ids and row order must not be predictable from each other.
_rng = random.SystemRandom()

# Outbox key suffix of the cards a round opens with; a rater's n-th resend uses "r<n>".
FIRST_SEND = "0"
# Resend suffixes probed per query (a rater who resends more often costs one more query).
_PROBE = 16
# The key a sent round card keeps once its rater's traces are dropped, before its row id.
BLANKED_KEY = "blanked:"
# session.info key: raters whose traces this transaction dropped. After COMMIT the bot
# forgets its in-memory copies of their replies (bot/dispatch.py, storage/db.after_commit_with).
TRACES_DROPPED = "shiji_traces_dropped"


def update_key(sent_key: str) -> str:
    """The outbox key of the one update a card sent under `sent_key` may get: WeCom lets the
    response_code its send returned be used once (doc 94888)."""
    return f"{sent_key}:u"


class Round(Protocol):
    """A round as the box needs it (storage/records.py QuarterRound, YearRound)."""

    @property
    def id(self) -> int: ...

    @property
    def opened_at(self) -> datetime: ...


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
    # The frozen record a card row is handed up as (storage/records.py).
    card_record: ClassVar[Any]
    # Outbox key prefixes of the round's cards ("rate-card", "rate-submit", ...).
    card_prefix: ClassVar[str]
    submit_prefix: ClassVar[str]

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def assignment(self, assignment_id: str) -> Any:
        row = await self.s.get(self.assignment_table, assignment_id)
        return None if row is None else record_of(self.card_record, row)

    async def assignments_of(self, round_id: int, rater: str) -> list[Any]:
        a = self.assignment_table
        result = await self.s.execute(
            select(a).where(a.round_id == round_id, a.rater == rater).order_by(a.unit_id, a.ratee)
        )
        return [record_of(self.card_record, row) for row in result.scalars().all()]

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
        table = table_of(self.handin_table)
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
            await self.s.execute(table_of(self.score_table).insert(), rows)
        await self.drop_traces(rnd, rater)
        return True

    # ---- the outbox rows a round queues for a rater ----

    def card_key(self, assignment_id: str, suffix: str) -> str:
        return f"{self.card_prefix}:{assignment_id}:{suffix}"

    def submit_key(self, round_id: int, rater: str, suffix: str) -> str:
        return f"{self.submit_prefix}:{round_id}:{rater}:{suffix}"

    async def sent_keys(
        self, round_id: int, rater: str, assignment_ids: Sequence[str] | None = None, *, submit: bool = True,
    ) -> dict[str, str | None]:
        """Every key the rater's cards of the round may have gone out under (the first send
        and each resend) → the card's assignment id, None for a submit card. `assignment_ids`:
        only those cards (default all); `submit`: the submit cards too."""
        suffixes = [FIRST_SEND, *await self._resends(round_id, rater)]
        if assignment_ids is None:
            assignment_ids = [card.id for card in await self.assignments_of(round_id, rater)]
        keys: dict[str, str | None] = {
            self.card_key(card, suffix): card for card in assignment_ids for suffix in suffixes
        }
        if submit:
            keys.update((self.submit_key(round_id, rater, suffix), None) for suffix in suffixes)
        return keys

    async def _resends(self, round_id: int, rater: str) -> list[str]:
        """Suffixes of the rater's resends so far, found by their submit cards' keys (every
        resend queues one), by exact key: the outbox's unique index, no scan."""
        found: list[str] = []
        while True:
            batch = [f"r{n}" for n in range(len(found) + 1, len(found) + 1 + _PROBE)]
            keys = {self.submit_key(round_id, rater, suffix): suffix for suffix in batch}
            result = await self.s.execute(select(col(Outbox.dedupe_key)).where(col(Outbox.dedupe_key).in_(keys)))
            present = {keys[key] for key in result.scalars()}
            found += [suffix for suffix in batch if suffix in present]
            if len(present) < _PROBE:
                return found

    async def next_resend(self, round_id: int, rater: str) -> str:
        """The outbox key suffix of this rater's next resend of their cards."""
        return f"r{len(await self._resends(round_id, rater)) + 1}"

    # ---- dropping what links a rater to what they gave ----

    async def drop_traces(self, rnd: Round, rater: str) -> None:
        """Delete a rater's drafts and everything rendered from them under the rater's name.

        - the stored passive replies of their messages in the round (kept for WeCom's
          retries; they say "张三 92 分" and carry the updated card with its selected_id);
        - their round cards in the outbox: unsent ones are deleted (useless after hand-in),
          sent ones keep the row (the sender's bookkeeping) with an empty payload; a resend's
          own bodies (「本单位还可给 2 人」) are deleted. The round's first cards show no marks,
          but they go the same way: nothing of the round stays addressed to the rater;
        - the updates of those cards (`update_key`): a mark given by text, shown on its card.
        The bot forgets its in-memory copies of the replies after COMMIT (`TRACES_DROPPED`).
        """
        d = self.draft_table
        await self.s.execute(delete(d).where(d.round_id == rnd.id, d.rater == rater))
        await self._blank_replies(rnd, [rater])
        suffixes = [FIRST_SEND, *await self._resends(rnd.id, rater)]
        cards = await self.assignments_of(rnd.id, rater)
        keys = [self.submit_key(rnd.id, rater, s) for s in suffixes]
        keys += [self.card_key(card.id, s) for card in cards for s in suffixes]
        keys += [update_key(key) for key in keys]  # a card updated to show a mark given by text
        for at in range(0, len(keys), 500):
            await self._drop_rows(keys[at:at + 500])

    async def _drop_rows(self, keys: Sequence[str]) -> None:
        chosen = col(Outbox.dedupe_key).in_(keys)
        resent = col(Outbox.dedupe_key).not_like(f"%:{FIRST_SEND}")
        # A resend's bodies are its own (rendered for this rater's ballot); the first cards'
        # bodies are shared by every rater of the ratee and show no marks.
        bodies = (await self.s.execute(
            select(col(Outbox.body_id)).where(chosen, resent, col(Outbox.body_id).is_not(None)).distinct()
        )).scalars().all()
        await self.s.execute(delete(Outbox).where(chosen, col(Outbox.status) == "pending"))
        # A sent row keeps its status, times and WeCom's answer; its key, which names the
        # card (so the rater and ratee) and which resend it was, goes with the payload.
        await self.s.execute(
            update(Outbox).where(chosen).values(
                payload=BLANKED_PAYLOAD, body_id=None,
                dedupe_key=literal(BLANKED_KEY).concat(cast(col(Outbox.id), String)),
            )
        )
        if bodies:
            await self.s.execute(delete(OutboxBody).where(col(OutboxBody.id).in_(bodies)))

    async def _blank_replies(self, rnd: Round, raters: Sequence[str] | None) -> None:
        """Blank the stored replies to `raters`' messages since the round opened (None: to
        every rater of the round), and have the bot forget its copies after COMMIT."""
        a = self.assignment_table
        who = (
            col(InboundMessage.userid).in_(raters) if raters is not None
            else col(InboundMessage.userid).in_(select(a.rater).where(a.round_id == rnd.id).distinct())
        )
        await self.s.execute(
            update(InboundMessage)
            .where(who, col(InboundMessage.received_at) >= rnd.opened_at, col(InboundMessage.reply).is_not(None))
            .values(reply=None)
        )
        forgotten: set[str] = self.s.info.setdefault(TRACES_DROPPED, set())
        forgotten.update(raters if raters is not None else await self.raters(rnd.id))

    # ---- close ----

    async def reseal(self, rnd: Round) -> int:
        """At close: rewrite the round's scores and hand-ins, each in one shuffled batch
        (scores under fresh ids), and blank the stored replies of every rater of the round.

        Rows written at hand-in sit where, in the order and (on PostgreSQL) in the
        transaction they were written, which groups one ballot's rows and tells who handed
        in when; after this they all share the close's transaction and a random order.
        """
        scores = table_of(self.score_table)
        kept = [c for c in scores.columns if c.name != "id"]
        result = await self.s.execute(select(*kept).where(scores.c.round_id == rnd.id))
        rows = [{"id": uuid.uuid4().hex, **row._mapping} for row in result]
        await self._rewrite(scores, rnd.id, rows)
        handins = table_of(self.handin_table)
        result = await self.s.execute(select(handins).where(handins.c.round_id == rnd.id))
        await self._rewrite(handins, rnd.id, [dict(row._mapping) for row in result])
        await self._blank_replies(rnd, None)
        return len(rows)

    async def _rewrite(self, table: Any, round_id: int, rows: list[dict[str, Any]]) -> None:
        _rng.shuffle(rows)
        await self.s.execute(delete(table).where(table.c.round_id == round_id))
        if rows:
            await self.s.execute(table.insert(), rows)

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

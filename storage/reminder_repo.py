"""SQL of reminder claims: who was reminded of what, and how the send went."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.reminder_budget import next_slot
from storage.models import Outbox
from storage.models_reminders import ReminderClaim
from storage.sql import dialect_insert, table_of

MUTED = "muted"  # the claim kind of 「今天不提醒」: no daily nudge that day
CLAIM_CHUNK = 1000  # people per statement: PostgreSQL takes at most 32,767 parameters


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
        self, kind: str, day: date, userids: Sequence[str], outbox_key: str | Callable[[str], str],
        now: datetime, *, budget: int,
    ) -> list[str]:
        """Claim (kind, day, person) for each of `userids`, each taking the next slot of their
        daily `budget` (scoring/reminder_budget.py); returns only those newly claimed.

        Someone claimed by an earlier run, another replica or a concurrent transaction is left
        out, and so is someone whose budget today is spent: on PostgreSQL the second inserter
        waits for the first to commit, then skips. `outbox_key`: the row that carries the
        reminder, one for all or one per person.
        """
        key_of = outbox_key if callable(outbox_key) else (lambda _userid: outbox_key)
        claimed: set[str] = set()
        people = list(dict.fromkeys(userids))
        for start in range(0, len(people), CLAIM_CHUNK):
            claimed |= await self._claim_chunk(kind, day, people[start : start + CLAIM_CHUNK], key_of, now, budget)
        return [u for u in userids if u in claimed]

    async def _claim_chunk(
        self, kind: str, day: date, pending: list[str], key_of: Callable[[str], str],
        now: datetime, budget: int,
    ) -> set[str]:
        sent_on = now.date()
        claimed: set[str] = set()
        # A person whose slot a concurrent pass took tries the next one; each round one more
        # slot of theirs is taken, so budget + 1 rounds settle everyone.
        for _ in range(budget + 1):
            used = await self._last_slots(pending, sent_on)
            rows = [
                {"kind": kind, "day": day, "userid": u, "outbox_key": key_of(u), "claimed_at": now,
                 "sent_on": sent_on, "slot": slot}
                for u in pending if (slot := next_slot(used.get(u, 0), budget)) is not None
            ]
            if not rows:
                break
            # No conflict target: a row is skipped on either key, (kind, day, person) or the slot.
            stmt = (
                dialect_insert(self.s, table_of(ReminderClaim))
                .on_conflict_do_nothing()
                .returning(table_of(ReminderClaim).c.userid)
            )
            # Parameters as a list: SQLAlchemy renders multi-row VALUES from one cached statement
            # (a literal 1,000-row VALUES would be compiled afresh every time: ~0.9 s a send).
            got = {row.userid for row in await self.s.execute(stmt, rows)}
            claimed |= got
            lost = [u for u in (str(r["userid"]) for r in rows) if u not in got]
            if not lost:
                break
            done = await self._claimed(kind, day, lost)
            pending = [u for u in lost if u not in done]
        return claimed

    async def _last_slots(self, userids: Sequence[str], sent_on: date) -> dict[str, int]:
        rows = await self.s.execute(
            select(col(ReminderClaim.userid), func.max(col(ReminderClaim.slot)).label("slot"))
            .where(col(ReminderClaim.sent_on) == sent_on, col(ReminderClaim.userid).in_(userids))
            .group_by(col(ReminderClaim.userid))
        )
        return {r.userid: r.slot or 0 for r in rows}

    async def _claimed(self, kind: str, day: date, userids: Sequence[str]) -> set[str]:
        rows = await self.s.execute(
            select(col(ReminderClaim.userid)).where(
                col(ReminderClaim.kind) == kind, col(ReminderClaim.day) == day,
                col(ReminderClaim.userid).in_(userids),
            )
        )
        return set(rows.scalars())

    async def mute(self, userid: str, day: date, now: datetime) -> bool:
        """「今天不提醒」: `day`'s daily nudge skips `userid`. False if already muted."""
        stmt = (
            dialect_insert(self.s, table_of(ReminderClaim))
            .values(kind=MUTED, day=day, userid=userid, outbox_key="", claimed_at=now)
            .on_conflict_do_nothing(index_elements=["kind", "day", "userid"])
            .returning(table_of(ReminderClaim).c.userid)
        )
        return (await self.s.execute(stmt)).first() is not None

    async def muted(self, day: date) -> set[str]:
        """Who asked not to be nudged about `day`'s log."""
        return await self._of_kind(MUTED, day)

    async def reminded(self, kind: str, day: date, userid: str) -> bool:
        return userid in await self._claimed(kind, day, [userid])

    async def _of_kind(self, kind: str, day: date) -> set[str]:
        rows = await self.s.execute(
            select(col(ReminderClaim.userid)).where(col(ReminderClaim.kind) == kind, col(ReminderClaim.day) == day)
        )
        return set(rows.scalars())

    async def outcomes(self, start: date, end: date) -> list[ReminderOutcome]:
        """Every reminder claimed for days in [start, end] and how its send went."""
        rows = await self.s.execute(
            select(
                col(ReminderClaim.kind), col(ReminderClaim.day), col(ReminderClaim.userid), col(Outbox.status), col(Outbox.error)
            )
            .join(Outbox, col(Outbox.dedupe_key) == col(ReminderClaim.outbox_key), isouter=True)
            .where(col(ReminderClaim.day) >= start, col(ReminderClaim.day) <= end, col(ReminderClaim.kind) != MUTED)
            .order_by(col(ReminderClaim.day), col(ReminderClaim.kind), col(ReminderClaim.userid))
        )
        return [
            ReminderOutcome(r.kind, r.day, r.userid, r.status or "missing", r.error or "")
            for r in rows
        ]

"""SQL of the quarterly rating. Nothing here decides a rule; see handlers/services/rating.py and scoring/.

Anonymity (R-RATE-5) is enforced here as much as by the schema: the hand-in, the dropping of
drafts and the resealing at close are the shared ballot box's (storage/ballot_box.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import col

from storage.ballot_box import BallotBox
from storage.ids import OrderedIds
from storage.models import DailyLog, Leave, Outbox, Summary
from storage.models_rating import (
    QuarterPublication,
    QuarterResult,
    RatingAssignment,
    RatingDraft,
    RatingExtraProposal,
    RatingExtraRater,
    RatingHandin,
    RatingRoleGroup,
    RatingRound,
    RatingScore,
)
from storage.quarter_versions import newest
from storage.records import CadreQuarter, QuarterRound, RatingCard, RoundStatus
from storage.sql import dialect_insert, insert_rows, rowcount, table_of

# A card's id goes into the assignment key and the outbox dedupe key: see OrderedIds.
ASSIGNMENT_IDS = OrderedIds()


class NewCard(NamedTuple):
    """A card just assigned: what queuing it needs, without an ORM object per card."""

    id: str
    rater: str
    ratee: str
    unit_size: int


class RatingRepo(BallotBox):
    assignment_table = RatingAssignment
    draft_table = RatingDraft
    handin_table = RatingHandin
    score_table = RatingScore
    card_record = RatingCard
    card_prefix = "rate-card"
    submit_prefix = "rate-submit"

    # ---- rounds ----

    async def round_by_quarter(self, quarter: str) -> QuarterRound | None:
        result = await self.s.execute(select(RatingRound).where(col(RatingRound.quarter) == quarter))
        row = result.scalars().first()
        return None if row is None else QuarterRound.of(row)

    async def round_by_id(self, round_id: int) -> QuarterRound | None:
        row = await self.s.get(RatingRound, round_id)
        return None if row is None else QuarterRound.of(row)

    async def rounds(self, status: RoundStatus | None = None) -> list[QuarterRound]:
        stmt = select(RatingRound).order_by(col(RatingRound.quarter))
        if status is not None:
            stmt = stmt.where(col(RatingRound.status) == status)
        return [QuarterRound.of(row) for row in (await self.s.execute(stmt)).scalars().all()]

    async def create_round(
        self, quarter: str, opened_by: str, opened_at: datetime, closes_at: datetime
    ) -> QuarterRound | None:
        """The round, or None if one for this quarter exists (another replica or admin won)."""
        stmt = (
            dialect_insert(self.s, table_of(RatingRound))
            .values(quarter=quarter, status=RoundStatus.open, opened_by=opened_by,
                    opened_at=opened_at, closes_at=closes_at)
            .on_conflict_do_nothing(index_elements=["quarter"])
            .returning(table_of(RatingRound).c.id)
        )
        row = (await self.s.execute(stmt)).first()
        if row is None:
            return None
        return await self.round_by_id(row.id)

    async def set_status(self, round_id: int, old: RoundStatus, new: RoundStatus, now: datetime) -> bool:
        """Move a round from `old` to `new`; False if it was not in `old` (someone else did it)."""
        values: dict[str, object] = {"status": new}
        values["closed_at" if new is RoundStatus.closed else "published_at"] = now
        result = await self.s.execute(
            update(RatingRound)
            .where(col(RatingRound.id) == round_id, col(RatingRound.status) == old)
            .values(**values)
        )
        return rowcount(result) == 1

    async def void(self, rnd: QuarterRound) -> set[str] | None:
        """Void an unpublished round: mark it 'voided' (kept, so nothing reopens it by itself)
        and delete all it collected — cards, drafts (with everything rendered from them, drop_traces),
        hand-ins, sealed scores — and skip its pushes still pending. Returns the raters who
        held cards; None if it was published or voided meanwhile."""
        moved = await self.s.execute(
            update(RatingRound)
            .where(col(RatingRound.id) == rnd.id, col(RatingRound.status).in_((RoundStatus.open, RoundStatus.closed)))
            .values(status=RoundStatus.voided)
        )
        if rowcount(moved) != 1:
            return None
        raters = await self.raters(rnd.id)
        for todo in await self.todo(rnd.id):
            if todo.answered:
                await self.drop_traces(rnd, todo.rater)
        cards = set((await self.s.execute(
            select(col(RatingAssignment.id)).where(col(RatingAssignment.round_id) == rnd.id)
        )).scalars())
        for table in (RatingDraft, RatingHandin, RatingScore, RatingAssignment):
            await self.s.execute(delete(table).where(col(table.round_id) == rnd.id))
        await self._skip_pending(rnd.id, cards)
        return raters

    async def forget_voided(self, rnd: QuarterRound) -> None:
        """Delete a voided round's row (it holds nothing else) so its quarter can open afresh."""
        await self.s.execute(
            delete(RatingRound).where(col(RatingRound.id) == rnd.id, col(RatingRound.status) == RoundStatus.voided)
        )

    async def _skip_pending(self, round_id: int, cards: set[str]) -> None:
        """Pending pushes of a voided round are skipped, not sent (outbox rows are never deleted):
        its cards (`rate-card:<assignment>:…`), submit cards, reminders and close notices."""
        keyed = [f"rate-{kind}:{round_id}:%" for kind in ("submit", "remind", "nudge", "closed")]
        pending = await self.s.execute(
            select(col(Outbox.id), col(Outbox.dedupe_key)).where(
                col(Outbox.status) == "pending",
                or_(col(Outbox.dedupe_key).like("rate-card:%"), *(col(Outbox.dedupe_key).like(k) for k in keyed)),
            )
        )
        ids = [row_id for row_id, key in pending.all()
               if not key.startswith("rate-card:") or key.split(":")[1] in cards]
        for start in range(0, len(ids), 1000):
            await self.s.execute(
                update(Outbox)
                .where(col(Outbox.id).in_(ids[start:start + 1000]), col(Outbox.status) == "pending")
                .values(status="skipped", error="round voided")
            )

    # ---- assignments ----

    async def add_assignments(
        self, round_id: int, rows: Iterable[tuple[str, str, int, str, int]]
    ) -> list[NewCard]:
        """Insert (rater, ratee, unit_id, group, unit_size) cards with ordered ids (`OrderedIds`)
        through the driver's executemany; returns them as plain tuples (a province has ~1.5 M)."""
        wanted = list(rows)
        made = [NewCard(card_id, rater, ratee, size)
                for card_id, (rater, ratee, _unit, _grp, size) in zip(ASSIGNMENT_IDS.take(len(wanted)), wanted, strict=True)]
        await insert_rows(
            self.s, table_of(RatingAssignment),
            ("id", "round_id", "rater", "ratee", "unit_id", "grp", "unit_size"),
            ((card.id, round_id, card.rater, card.ratee, unit_id, grp, card.unit_size)
             for card, (_rater, _ratee, unit_id, grp, _size) in zip(made, wanted, strict=True)),
        )
        return made

    async def ratees(self, round_id: int) -> set[str]:
        result = await self.s.execute(
            select(col(RatingAssignment.ratee)).where(col(RatingAssignment.round_id) == round_id).distinct()
        )
        return set(result.scalars().all())

    # ---- drafts and hand-in ----

    async def drafts(self, round_id: int, rater: str) -> dict[str, int]:
        result = await self.s.execute(
            select(col(RatingDraft.ratee), col(RatingDraft.score)).where(
                col(RatingDraft.round_id) == round_id, col(RatingDraft.rater) == rater
            )
        )
        return {row.ratee: row.score for row in result}

    async def put_draft(self, round_id: int, rater: str, ratee: str, score: int) -> None:
        stmt = dialect_insert(self.s, table_of(RatingDraft)).values(
            round_id=round_id, rater=rater, ratee=ratee, score=score
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "rater", "ratee"], set_={"score": stmt.excluded.score}
        )
        await self.s.execute(stmt)

    async def hand_in(
        self, rnd: QuarterRound, rater: str, scores: Sequence[tuple[str, str, int]]
    ) -> bool:
        """Seal a ballot of (ratee, group, score); False if this rater had already handed in."""
        return await self.seal(
            rnd, rater, [{"ratee": ratee, "grp": grp, "score": score} for ratee, grp, score in scores]
        )

    async def scores_by_ratee(self, round_id: int) -> dict[str, dict[str, list[int]]]:
        result = await self.s.execute(
            select(col(RatingScore.ratee), col(RatingScore.grp), col(RatingScore.score)).where(
                col(RatingScore.round_id) == round_id
            )
        )
        grouped: defaultdict[str, defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for row in result:
            grouped[row.ratee][row.grp].append(row.score)
        return {ratee: dict(groups) for ratee, groups in grouped.items()}

    async def drop_lines(self, round_id: int) -> None:
        """Delete a published round's score lines: the published composite is the record.

        A group of one (the 主评 is usually the main leader alone) makes its line that person's
        score; kept, any reader of the database would see it. Nothing reads the lines after
        publishing: ratings cannot change once the round is closed, only what the results show."""
        await self.s.execute(delete(RatingScore).where(col(RatingScore.round_id) == round_id))

    # ---- what the cards show ----

    async def log_counts(self, start: date, end: date, only: str | None = None) -> dict[str, int]:
        """Logs per cadre in [start, end]; `only` restricts it to one cadre (a card update)."""
        stmt = select(col(DailyLog.userid), func.count()).where(col(DailyLog.day) >= start, col(DailyLog.day) <= end)
        if only is not None:
            stmt = stmt.where(col(DailyLog.userid) == only)
        result = await self.s.execute(stmt.group_by(col(DailyLog.userid)))
        return {userid: count for userid, count in result.all()}

    async def logs_on_leave(self, start: date, end: date, only: str | None = None) -> dict[str, int]:
        """Logs per cadre in [start, end] written for a day of their approved leave (a day no
        one owes, so a card counts it in neither 已记 nor 应记)."""
        on_leave = and_(col(Leave.userid) == col(DailyLog.userid), col(Leave.status) == "approved",
                        col(Leave.start) <= col(DailyLog.day), col(Leave.end) >= col(DailyLog.day))
        stmt = (
            select(col(DailyLog.userid), func.count(func.distinct(col(DailyLog.day))))
            .join(Leave, on_leave)
            .where(col(DailyLog.day) >= start, col(DailyLog.day) <= end)
        )
        if only is not None:
            stmt = stmt.where(col(DailyLog.userid) == only)
        result = await self.s.execute(stmt.group_by(col(DailyLog.userid)))
        return {userid: count for userid, count in result.all()}

    async def summaries(
        self, kind: str, period: str, only: str | None = None, *, prefix_chars: int | None = None
    ) -> dict[str, str]:
        """Summaries by userid; with `prefix_chars`, only their start (a card's quote)."""
        content = col(Summary.content) if prefix_chars is None else func.substr(col(Summary.content), 1, prefix_chars)
        stmt = select(col(Summary.userid), content.label("content")).where(
            col(Summary.kind) == kind, col(Summary.period) == period
        )
        if only is not None:
            stmt = stmt.where(col(Summary.userid) == only)
        return {row.userid: row.content for row in await self.s.execute(stmt)}

    # ---- results ----

    async def save_results(self, rows: Sequence[CadreQuarter]) -> None:
        for row in rows:
            self.s.add(QuarterResult(**asdict(row)))
        await self.s.flush()

    async def add_publication(self, publication: QuarterPublication) -> bool:
        """Record a version of a published quarter; False if that version exists (another
        admin or replica published it first: the caller's rows must not be written)."""
        table = table_of(QuarterPublication)
        stmt = (
            dialect_insert(self.s, table).values(publication.model_dump())
            .on_conflict_do_nothing(index_elements=["round_id", "version"])
            .returning(table.c.version)
        )
        return (await self.s.execute(stmt)).first() is not None

    async def publications(self, round_id: int) -> list[QuarterPublication]:
        """Every version of a published quarter, oldest first (who, when, what changed)."""
        result = await self.s.execute(
            select(QuarterPublication).where(col(QuarterPublication.round_id) == round_id)
            .order_by(col(QuarterPublication.version))
        )
        return list(result.scalars().all())

    async def result(self, round_id: int, userid: str) -> CadreQuarter | None:
        """A cadre's row in the newest version of a published quarter."""
        stmt = newest(select(QuarterResult).where(col(QuarterResult.round_id) == round_id, col(QuarterResult.userid) == userid))
        row = (await self.s.execute(stmt)).scalars().first()
        return None if row is None else CadreQuarter.of(row)

    # ---- extra raters of small units (R-RATE-6) ----

    async def extra_raters(self) -> dict[int, set[str]]:
        result = await self.s.execute(select(col(RatingExtraRater.unit_id), col(RatingExtraRater.userid)))
        by_unit: defaultdict[int, set[str]] = defaultdict(set)
        for unit_id, userid in result.all():
            by_unit[unit_id].add(userid)
        return dict(by_unit)

    async def approve_extra(self, unit_id: int, userids: Iterable[str], now: datetime, source: str) -> int:
        """Add approved extra raters (already approved ones stay as they are); returns new ones."""
        added = 0
        for userid in userids:
            stmt = (
                dialect_insert(self.s, table_of(RatingExtraRater))
                .values(unit_id=unit_id, userid=userid, approved_at=now, source=source)
                .on_conflict_do_nothing(index_elements=["unit_id", "userid"])
                .returning(table_of(RatingExtraRater).c.userid)
            )
            if (await self.s.execute(stmt)).first() is not None:
                added += 1
        return added

    async def propose_extra(
        self, unit_id: int, proposed_by: str, userids: Sequence[str], unmatched: Sequence[str], now: datetime
    ) -> RatingExtraProposal:
        proposal = RatingExtraProposal(
            unit_id=unit_id, proposed_by=proposed_by, userids="|".join(userids), unmatched="|".join(unmatched),
            created_at=now,
        )
        self.s.add(proposal)
        await self.s.flush()
        return proposal

    async def proposal(self, proposal_id: int) -> RatingExtraProposal | None:
        return await self.s.get(RatingExtraProposal, proposal_id)

    async def pending_proposals(self) -> list[RatingExtraProposal]:
        result = await self.s.execute(
            select(RatingExtraProposal).where(col(RatingExtraProposal.status) == "pending").order_by(col(RatingExtraProposal.id))
        )
        return list(result.scalars().all())

    async def decide_proposal(self, proposal_id: int, status: str, by: str, now: datetime) -> bool:
        """pending → approved/rejected; False if someone decided it first."""
        result = await self.s.execute(
            update(RatingExtraProposal)
            .where(col(RatingExtraProposal.id) == proposal_id, col(RatingExtraProposal.status) == "pending")
            .values(status=status, decided_by=by, decided_at=now)
        )
        return rowcount(result) == 1

    async def role_group(self, name: str) -> list[str]:
        result = await self.s.execute(
            select(col(RatingRoleGroup.userid)).where(col(RatingRoleGroup.name) == name).order_by(col(RatingRoleGroup.userid))
        )
        return list(result.scalars().all())

    async def replace_role_groups(self, groups: dict[str, list[str]]) -> None:
        """Replace the named groups given (others stay)."""
        for name, userids in groups.items():
            await self.s.execute(delete(RatingRoleGroup).where(col(RatingRoleGroup.name) == name))
            for userid in userids:
                self.s.add(RatingRoleGroup(name=name, userid=userid))
        await self.s.flush()


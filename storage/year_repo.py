"""SQL of the year's close. Nothing here decides a rule; see handlers/services/year_*.py and scoring/.

The democratic evaluation is a ballot box like the quarterly rating's (storage/ballot_box.py).

Read API for other features (rankings, archives): `published(year)` is "the published annual
results of year Y" — the newest version, frozen as published — and `published_years()` the
years there are; `versions(year)` lists every version with what it changed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.ballot_box import BallotBox
from storage.models_rating import QuarterResult, RatingRound
from storage.models_year import (
    MARK_COLUMNS,
    AnnualPublication,
    AnnualResult,
    AwardRecord,
    ExcellentDecision,
    GradeRecord,
    HistoryResult,
    QuarterExcuse,
    UnitResult,
    YearEval,
    YearEvalAssignment,
    YearEvalDraft,
    YearEvalHandin,
    YearEvalScore,
)
from storage.quarter_versions import newest
from storage.records import EvaluationCard, RoundStatus, YearRound
from storage.sql import dialect_insert, rowcount, table_of


@dataclass(frozen=True)
class PublishedYear:
    """One year as published (its newest version): the rows are frozen figures."""

    year: int
    version: int
    published_at: datetime
    rows: list[AnnualResult]

    def of(self, userid: str) -> AnnualResult | None:
        return next((row for row in self.rows if row.userid == userid), None)


@dataclass(frozen=True)
class Marks:
    """What the database added up for one evaluated cadre: the sum of every mark and the
    number of handed-in lines (the scoring rule divides; the database never rounds)."""

    total: int
    ballots: int


class EvaluationRepo(BallotBox):
    assignment_table = YearEvalAssignment
    draft_table = YearEvalDraft
    handin_table = YearEvalHandin
    score_table = YearEvalScore
    card_record = EvaluationCard
    card_prefix = "dem-card"
    submit_prefix = "dem-submit"

    async def by_year(self, year: int) -> YearRound | None:
        result = await self.s.execute(select(YearEval).where(col(YearEval.year) == year))
        row = result.scalars().first()
        return None if row is None else YearRound.of(row)

    async def by_id(self, eval_id: int) -> YearRound | None:
        row = await self.s.get(YearEval, eval_id)
        return None if row is None else YearRound.of(row)

    async def rounds(self, status: RoundStatus | None = None) -> list[YearRound]:
        stmt = select(YearEval).order_by(col(YearEval.year))
        if status is not None:
            stmt = stmt.where(col(YearEval.status) == status)
        return [YearRound.of(row) for row in (await self.s.execute(stmt)).scalars().all()]

    async def create(self, year: int, opened_by: str, opened_at: datetime, closes_at: datetime) -> YearRound | None:
        """The evaluation, or None if the year has one (another replica or admin won)."""
        table = table_of(YearEval)
        stmt = (
            dialect_insert(self.s, table)
            .values(year=year, status=RoundStatus.open, opened_by=opened_by, opened_at=opened_at, closes_at=closes_at)
            .on_conflict_do_nothing(index_elements=["year"])
            .returning(table.c.id)
        )
        row = (await self.s.execute(stmt)).first()
        return None if row is None else await self.by_id(row.id)

    async def close(self, eval_id: int, now: datetime) -> bool:
        """open → closed; False if someone closed it first."""
        result = await self.s.execute(
            update(YearEval).where(col(YearEval.id) == eval_id, col(YearEval.status) == RoundStatus.open)
            .values(status=RoundStatus.closed, closed_at=now)
        )
        return rowcount(result) == 1

    async def add_assignments(self, eval_id: int, rows: Iterable[tuple[str, str, int]]) -> list[EvaluationCard]:
        """Insert (rater, ratee, unit_id) with random ids; returns them."""
        made = [
            EvaluationCard(id=uuid.uuid4().hex[:16], round_id=eval_id, rater=rater, ratee=ratee, unit_id=unit_id)
            for rater, ratee, unit_id in rows
        ]
        if made:
            await self.s.execute(table_of(YearEvalAssignment).insert(), [asdict(m) for m in made])
        return made

    async def drafts(self, eval_id: int, rater: str) -> dict[str, dict[int, int]]:
        """ratee -> {dimension index: mark} of the marks given so far."""
        d = YearEvalDraft
        result = await self.s.execute(select(d).where(col(d.round_id) == eval_id, col(d.rater) == rater))
        return {
            row.ratee: {i: getattr(row, c) for i, c in enumerate(MARK_COLUMNS) if getattr(row, c) is not None}
            for row in result.scalars()
        }

    async def put_marks(self, eval_id: int, rater: str, ratee: str, marks: dict[int, int]) -> None:
        """Set some of a draft's five marks (a card step gives three or two)."""
        values = {MARK_COLUMNS[i]: mark for i, mark in marks.items()}
        stmt = dialect_insert(self.s, table_of(YearEvalDraft)).values(
            round_id=eval_id, rater=rater, ratee=ratee, **values
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["round_id", "rater", "ratee"], set_={c: stmt.excluded[c] for c in values}
        )
        await self.s.execute(stmt)

    async def marks_by_ratee(self, eval_id: int) -> dict[str, Marks]:
        s = YearEvalScore
        total = col(s.de) + col(s.neng) + col(s.qin) + col(s.ji) + col(s.lian)
        result = await self.s.execute(
            select(col(s.ratee), func.sum(total), func.count()).where(col(s.round_id) == eval_id).group_by(col(s.ratee))
        )
        return {ratee: Marks(int(t), n) for ratee, t, n in result.all()}


class YearRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.evaluation = EvaluationRepo(session)

    # ---- unit results (R-YEAR-2) ----

    async def replace_unit_results(self, year: int, scores: dict[int, str], now: datetime) -> None:
        await self.s.execute(delete(UnitResult).where(col(UnitResult.year) == year))
        self.s.add_all(UnitResult(year=year, unit_id=u, score=v, imported_at=now) for u, v in scores.items())
        await self.s.flush()

    async def unit_results(self, year: int) -> dict[int, str]:
        result = await self.s.execute(select(col(UnitResult.unit_id), col(UnitResult.score)).where(col(UnitResult.year) == year))
        return {unit_id: score for unit_id, score in result.all()}

    # ---- history of earlier years ----

    async def replace_history(self, rows: Sequence[HistoryResult]) -> None:
        """Replace the years present in `rows` with them."""
        years = {row.year for row in rows}
        await self.s.execute(delete(HistoryResult).where(col(HistoryResult.year).in_(years)))
        self.s.add_all(rows)
        await self.s.flush()

    async def replace_awards(self, years: set[int], rows: Sequence[AwardRecord]) -> None:
        """Replace the 奖惩 of `years` with `rows`."""
        await self.s.execute(delete(AwardRecord).where(col(AwardRecord.year).in_(years)))
        self.s.add_all(rows)
        await self.s.flush()

    async def awards_of_year(self, year: int) -> dict[str, list[AwardRecord]]:
        """The year's 奖惩 by cadre, by date (undated last) then as imported."""
        found = (await self.s.execute(
            select(AwardRecord).where(col(AwardRecord.year) == year).order_by(col(AwardRecord.id))
        )).scalars().all()
        by_cadre: dict[str, list[AwardRecord]] = defaultdict(list)
        for row in sorted(found, key=lambda r: (r.day is None, r.day or date.min)):
            by_cadre[row.userid].append(row)
        return dict(by_cadre)

    async def history(self) -> list[HistoryResult]:
        return list((await self.s.execute(select(HistoryResult))).scalars().all())

    # ---- excused quarters ----

    async def excuse(self, row: QuarterExcuse) -> None:
        stmt = dialect_insert(self.s, table_of(QuarterExcuse)).values(row.model_dump())
        stmt = stmt.on_conflict_do_update(
            index_elements=["year", "userid", "quarter"],
            set_={"reason": stmt.excluded.reason, "excused_by": stmt.excluded.excused_by,
                  "excused_at": stmt.excluded.excused_at},
        )
        await self.s.execute(stmt)

    async def excuses(self, year: int) -> dict[str, set[int]]:
        """userid (or '*' for everyone) -> excused quarters."""
        result = await self.s.execute(
            select(col(QuarterExcuse.userid), col(QuarterExcuse.quarter)).where(col(QuarterExcuse.year) == year)
        )
        found: defaultdict[str, set[int]] = defaultdict(set)
        for userid, quarter in result.all():
            found[userid].add(quarter)
        return dict(found)

    # ---- the admin's decisions on excellent ties (R-USE-1) ----

    async def excellent_decisions(self, year: int) -> dict[str, bool]:
        result = await self.s.execute(
            select(col(ExcellentDecision.userid), col(ExcellentDecision.granted)).where(col(ExcellentDecision.year) == year)
        )
        return {userid: granted for userid, granted in result.all()}

    async def decide_excellent(self, row: ExcellentDecision) -> None:
        stmt = dialect_insert(self.s, table_of(ExcellentDecision)).values(row.model_dump())
        stmt = stmt.on_conflict_do_update(
            index_elements=["year", "userid"],
            set_={"granted": stmt.excluded.granted, "decided_by": stmt.excluded.decided_by,
                  "decided_at": stmt.excluded.decided_at},
        )
        await self.s.execute(stmt)

    # ---- the 考核办's records on annual grades (issue 24) ----

    async def grade_records(self, year: int) -> dict[str, dict[str, GradeRecord]]:
        """userid -> kind ("grade" / "bar") -> the record, for `year`."""
        found: dict[str, dict[str, GradeRecord]] = defaultdict(dict)
        for row in (await self.s.execute(select(GradeRecord).where(col(GradeRecord.year) == year))).scalars():
            found[row.userid][row.kind] = row
        return dict(found)

    async def record_grade(self, row: GradeRecord) -> None:
        """Record (or replace) one record of a cadre's year."""
        await self.s.execute(delete(GradeRecord).where(
            col(GradeRecord.year) == row.year, col(GradeRecord.userid) == row.userid, col(GradeRecord.kind) == row.kind,
        ))
        self.s.add(row)
        await self.s.flush()

    async def remove_grade_records(self, year: int, userid: str) -> int:
        result = await self.s.execute(
            delete(GradeRecord).where(col(GradeRecord.year) == year, col(GradeRecord.userid) == userid)
        )
        return rowcount(result)

    async def missing_log_days(self, year: int) -> dict[str, int]:
        """userid -> log days deducted in `year`'s published quarters (newest versions), summed
        by the database; only cadres with any."""
        result = await self.s.execute(newest(
            select(col(QuarterResult.userid), func.sum(col(QuarterResult.missing_log_days)))
            .join(RatingRound, col(QuarterResult.round_id) == col(RatingRound.id))
            .where(col(RatingRound.quarter).startswith(f"{year}Q"), col(RatingRound.status) == RoundStatus.published,
                   col(QuarterResult.missing_log_days) > 0)
            .group_by(col(QuarterResult.userid))
        ))
        return {userid: int(days) for userid, days in result.all()}

    async def quarter_grades(self, year: int) -> dict[str, list[str]]:
        """userid -> the 平时考核 grades of `year`'s published quarters (newest versions), in
        quarter order; a quarter without a grade (unscored, or published before grades) is left out."""
        result = await self.s.execute(newest(
            select(col(RatingRound.quarter), col(QuarterResult.userid), col(QuarterResult.grade))
            .join(RatingRound, col(QuarterResult.round_id) == col(RatingRound.id))
            .where(col(RatingRound.quarter).startswith(f"{year}Q"), col(RatingRound.status) == RoundStatus.published)
        ))
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for quarter, userid, grade in result.all():
            if grade is not None:
                found[userid].append((quarter, grade))
        return {userid: [g for _, g in sorted(pairs)] for userid, pairs in found.items()}

    # ---- the year's published quarters ----

    async def quarter_scores(self, year: int) -> dict[str, dict[int, str]]:
        """userid -> quarter -> published score (the quarter's newest version), for the year's
        published rounds only (a quarter without a score is left out): the database pivots
        them to one row per cadre."""
        quarters = [f"{year}Q{q}" for q in range(1, 5)]
        result = await self.s.execute(newest(
            select(col(QuarterResult.userid), *(
                func.max(case((col(RatingRound.quarter) == quarter, col(QuarterResult.score)))) for quarter in quarters
            ))
            .join(RatingRound, col(QuarterResult.round_id) == col(RatingRound.id))
            .where(col(RatingRound.quarter).in_(quarters), col(RatingRound.status) == RoundStatus.published)
            .group_by(col(QuarterResult.userid))
        ))
        return {
            userid: {q: score for q, score in enumerate(scores, start=1) if score is not None}
            for userid, *scores in result.all()
        }

    # ---- published years (the read API) ----

    async def latest_version(self, year: int) -> AnnualPublication | None:
        result = await self.s.execute(
            select(AnnualPublication).where(col(AnnualPublication.year) == year)
            .order_by(col(AnnualPublication.version).desc()).limit(1)
        )
        return result.scalars().first()

    async def versions(self, year: int) -> list[AnnualPublication]:
        result = await self.s.execute(
            select(AnnualPublication).where(col(AnnualPublication.year) == year).order_by(col(AnnualPublication.version))
        )
        return list(result.scalars().all())

    async def published_years(self) -> list[int]:
        result = await self.s.execute(select(col(AnnualPublication.year)).distinct().order_by(col(AnnualPublication.year)))
        return list(result.scalars().all())

    async def published(self, year: int, *, version: int | None = None, userid: str | None = None) -> PublishedYear | None:
        """The published annual results of `year` (newest version unless `version`), or None.
        `userid` narrows the rows to one cadre (a personal answer needs no whole year)."""
        publication = (
            await self.latest_version(year) if version is None
            else await self.s.get(AnnualPublication, (year, version))
        )
        if publication is None:
            return None
        stmt = select(AnnualResult).where(col(AnnualResult.year) == year, col(AnnualResult.version) == publication.version)
        if userid is not None:
            stmt = stmt.where(col(AnnualResult.userid) == userid)
        rows = list((await self.s.execute(stmt.order_by(col(AnnualResult.userid)))).scalars().all())
        return PublishedYear(year, publication.version, publication.published_at, rows)

    async def save_publication(self, publication: AnnualPublication, rows: Sequence[dict[str, Any]]) -> None:
        """One version: its header and every cadre's row, written in bulk."""
        self.s.add(publication)
        await self.s.flush()
        if rows:
            await self.s.execute(table_of(AnnualResult).insert(), list(rows))

"""Reads of published results and of a year's record, for rankings and the archive (实绩档案).

Nothing here decides a rule. The archive's reads stream: a province has 100,000 cadres and
a year of daily logs is tens of millions of rows, so they come ordered by cadre in pages of
`batch` rows rather than as one list.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.log_record import Change, Version, as_read, note_line
from storage.log_batch import log_parts
from storage.models import DailyLog, Leave, Summary
from storage.models_rating import QuarterResult, RatingRound
from storage.models_record import DailyLogVersion, LogNote
from storage.quarter_versions import newest
from storage.records import CadreQuarter, QuarterRound, RoundStatus


class QuarterCells(NamedTuple):
    """What the workbook shows of one published quarter: a tuple, since a province holds 400,000."""

    score: str | None
    deduction: str
    rank_in_unit: int | None
    unit_ranked: int
    rank_in_level: int | None
    level_ranked: int
    missing_log_days: int
    raters: int = 0  # how many raters the score rests on (handlers decide what may be shown)
    grade: str | None = None  # 平时考核; None: unscored, or published before grades existed


def rater_total(rater_counts: str) -> int:
    """The raters behind a published quarter score, from its `rater_counts` JSON."""
    return sum(json.loads(rater_counts).values())


class ResultsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def published_rounds(self, year: int | None = None) -> list[QuarterRound]:
        """Published quarterly rounds, oldest first (of one year when `year` is given)."""
        stmt = select(RatingRound).where(col(RatingRound.status) == RoundStatus.published).order_by(col(RatingRound.quarter))
        if year is not None:
            stmt = stmt.where(col(RatingRound.quarter).startswith(f"{year}Q"))
        return [QuarterRound.of(row) for row in (await self.s.execute(stmt)).scalars().all()]

    async def round_results(self, round_id: int, version: int | None = None) -> list[CadreQuarter]:
        """A published quarter's rows: its newest version, or `version` (an earlier one, for the audit)."""
        stmt = select(QuarterResult).where(col(QuarterResult.round_id) == round_id).order_by(col(QuarterResult.userid))
        stmt = newest(stmt) if version is None else stmt.where(col(QuarterResult.version) == version)
        return [CadreQuarter.of(row) for row in (await self.s.execute(stmt)).scalars().all()]

    def _year_rows(self, year: int) -> Select[str, QuarterResult]:
        return newest(
            select(col(RatingRound.quarter), QuarterResult)
            .join(QuarterResult, col(QuarterResult.round_id) == col(RatingRound.id))
            .where(col(RatingRound.status) == RoundStatus.published, col(RatingRound.quarter).startswith(f"{year}Q"))
        )

    async def quarter_cells(self, year: int) -> dict[str, dict[int, QuarterCells]]:
        """userid -> quarter (1–4) -> the published figures, for every published quarter of `year`."""
        q = QuarterResult
        result = await self.s.execute(newest(
            select(col(RatingRound.quarter), col(q.userid), col(q.score), col(q.deduction), col(q.rank_in_unit), col(q.unit_ranked),
                   col(q.rank_in_level), col(q.level_ranked), col(q.missing_log_days), col(q.rater_counts), col(q.grade))
            .join(q, col(q.round_id) == col(RatingRound.id))
            .where(col(RatingRound.status) == RoundStatus.published, col(RatingRound.quarter).startswith(f"{year}Q"))
        ))
        found: dict[str, dict[int, QuarterCells]] = {}
        for quarter, userid, *cells, counts, grade in result.all():
            found.setdefault(userid, {})[int(quarter[-1])] = QuarterCells._make((*cells, rater_total(counts), grade))
        return found

    async def quarter_raters(self, year: int, userid: str | None = None) -> dict[str, dict[int, int]]:
        """userid -> quarter (1–4) -> raters behind the published score, for `year`'s published
        quarters (only `userid`'s when given)."""
        q = QuarterResult
        stmt = newest(
            select(col(RatingRound.quarter), col(q.userid), col(q.rater_counts))
            .join(q, col(q.round_id) == col(RatingRound.id))
            .where(col(RatingRound.status) == RoundStatus.published, col(RatingRound.quarter).startswith(f"{year}Q"))
        )
        if userid is not None:
            stmt = stmt.where(col(q.userid) == userid)
        found: dict[str, dict[int, int]] = {}
        for quarter, who, counts in (await self.s.execute(stmt)).all():
            found.setdefault(who, {})[int(quarter[-1])] = rater_total(counts)
        return found

    async def quarter_rows_by_cadre(
        self, year: int, userid: str | None = None
    ) -> AsyncIterator[tuple[str, dict[int, CadreQuarter]]]:
        """(userid, {quarter: published row}) by userid: one cadre's rows in memory at a time."""
        stmt = self._year_rows(year).order_by(col(QuarterResult.userid)).execution_options(yield_per=5_000)
        if userid is not None:
            stmt = stmt.where(col(QuarterResult.userid) == userid)
        current: str | None = None
        rows: dict[int, CadreQuarter] = {}
        async for quarter, row in await self.s.stream(stmt):
            if row.userid != current:
                if current is not None:
                    yield current, rows
                current, rows = row.userid, {}
            rows[int(quarter[-1])] = CadreQuarter.of(row)
        if current is not None:
            yield current, rows

    async def _marking_versions(self, start: date, end: date) -> dict[tuple[str, date], list[Version]]:
        """The versions of every log in [start, end] that a late write or a replace marks:
        a few in a hundred, read whole, so a district's year streams without a version each."""
        v = DailyLogVersion
        in_range = (col(v.day) >= start, col(v.day) <= end)
        marked = (
            select(col(v.userid), col(v.day))
            .where(*in_range, (col(v.written_on) > col(v.day)) | (col(v.change) != Change.ADD.value))
            .distinct().subquery()
        )
        rows = await self.s.execute(
            select(col(v.userid), col(v.day), col(v.change), col(v.text), col(v.at))
            .join(marked, (marked.c.userid == col(v.userid)) & (marked.c.day == col(v.day)))
            .order_by(col(v.id))
        )
        out: dict[tuple[str, date], list[Version]] = {}
        for r in rows:
            out.setdefault((r.userid, r.day), []).append(Version(Change(r.change), r.text, r.at))
        return out

    async def log_counts(self, start: date, end: date) -> dict[str, int]:
        """Daily logs per cadre in [start, end]."""
        result = await self.s.execute(
            select(col(DailyLog.userid), func.count())
            .where(col(DailyLog.day) >= start, col(DailyLog.day) <= end)
            .group_by(col(DailyLog.userid))
        )
        return {userid: count for userid, count in result.all()}

    async def logs_by_cadre(
        self, start: date, end: date, batch: int = 20_000
    ) -> AsyncIterator[tuple[str, list[tuple[date, str]]]]:
        """(userid, [(day, text as read)…]) for every cadre with logs in [start, end], by
        userid; a late part or a replace is marked as every reader sees it (LogRepo)."""
        versions = await self._marking_versions(start, end)
        notes: dict[tuple[str, date], str] = {}
        n = LogNote
        for r in await self.s.execute(
            select(col(n.userid), col(n.day), col(n.author_name), col(n.text), col(n.at))
            .where(col(n.day) >= start, col(n.day) <= end).order_by(col(n.id))
        ):
            notes[(r.userid, r.day)] = notes.get((r.userid, r.day), "") + note_line(r.author_name, r.at, r.text)
        stmt = (
            select(col(DailyLog.userid), col(DailyLog.day), col(DailyLog.content), col(DailyLog.part_lengths))
            .where(col(DailyLog.day) >= start, col(DailyLog.day) <= end)
            .order_by(col(DailyLog.userid), col(DailyLog.day))
            .execution_options(yield_per=batch)
        )
        current: str | None = None
        days: list[tuple[date, str]] = []
        async for userid, day, content, lengths in await self.s.stream(stmt):
            if userid != current:
                if current is not None:
                    yield current, days
                current, days = userid, []
            kept = versions.get((userid, day))
            shown = content if kept is None else as_read(log_parts(content, lengths), day, kept)
            days.append((day, shown + notes.get((userid, day), "")))
        if current is not None:
            yield current, days

    async def summaries_of_year(self, year: int, userid: str | None = None) -> dict[str, dict[str, str]]:
        """userid -> period ("2026Q1" … "2026") -> summary text (only `userid`'s when given)."""
        stmt = select(col(Summary.userid), col(Summary.period), col(Summary.content)).where(
            col(Summary.period).startswith(str(year))
        )
        if userid is not None:
            stmt = stmt.where(col(Summary.userid) == userid)
        result = await self.s.execute(stmt)
        found: dict[str, dict[str, str]] = {}
        for userid, period, content in result.all():
            found.setdefault(userid, {})[period] = content
        return found

    async def leave_of_year(self, year: int) -> dict[str, list[Leave]]:
        """Approved leave overlapping the year, per cadre, oldest first."""
        result = await self.s.execute(
            select(Leave)
            .where(col(Leave.status) == "approved", col(Leave.start) <= date(year, 12, 31), col(Leave.end) >= date(year, 1, 1))
            .order_by(col(Leave.userid), col(Leave.start))
        )
        found: dict[str, list[Leave]] = {}
        for row in result.scalars().all():
            found.setdefault(row.userid, []).append(row)
        return found

"""What the archive shows of a year, read once and handed to the renderers.

Only published figures and what cadres wrote themselves: nothing here (or in a table it
reads) links a score to whoever gave it, so no export can name a rater (R-RATE-5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Generic, TypeVar

from handlers.base import Ctx, span_label
from handlers.render.records import Award, Dossier, YearRecord
from handlers.services import annual
from handlers.services.golive import go_live_date
from handlers.services.rating import quarter_of
from handlers.services.record_start import record_starts
from handlers.services.year_result_notice import notice_lines
from handlers.services.year_review import review_lines
from scoring.grades import StaffCategory
from scoring.logs import counting_start
from storage.directory import Person, roster_order
from storage.records import CadreQuarter

T = TypeVar("T")


async def year_record(ctx: Ctx, year: int) -> YearRecord:
    rounds = await ctx.store.results.published_rounds(year)
    quarters = await ctx.store.results.quarter_cells(year)
    figures = await annual.published_year(ctx.store, year, ctx.cfg.min_group_size) or []
    rated = set(quarters) | {f.userid for f in figures}
    people = [p for p in ctx.directory.people.values() if not p.is_superior and (p.active or p.userid in rated)]
    people.sort(key=roster_order)
    start = counting_start(date(year, 1, 1), go_live_date(ctx.settings, ctx.directory))
    end = min(date(year, 12, 31), ctx.today)
    starts = await record_starts(ctx.store, ctx.settings, ctx.directory, people)
    owed_from: dict[date, int] = {}  # few distinct starts: the year's go-live and the joiners'
    for begins in starts.values():
        first = max(begins.day, start)
        if first not in owed_from:
            owed_from[first] = sum(1 for _ in ctx.calendar.working_days(first, end)) if first <= end else 0
    return YearRecord(
        year=year,
        people=people,
        quarters=quarters,
        published_quarters=tuple(quarter_of(r).quarter for r in rounds),
        annual={f.userid: f for f in figures},
        log_counts=await ctx.store.results.log_counts(date(year, 1, 1), date(year, 12, 31)),
        leave=await ctx.store.results.leave_of_year(year),
        workdays=sum(1 for _ in ctx.calendar.working_days(start, end)) if start <= end else 0,
        min_raters=ctx.cfg.min_group_size,
        awards={userid: [Award(a.kind, a.content, a.day) for a in found]
                for userid, found in (await ctx.store.year.awards_of_year(year)).items()},
        starts={userid: (b.day, b.began) for userid, b in starts.items()},
        owed_days={userid: owed_from[max(b.day, start)] for userid, b in starts.items()},
        notice=await _notice_record(ctx, year),
        publicity=await _publicity_record(ctx, year),
        default_category=StaffCategory(ctx.settings.grades.default_category),
    )


async def _notice_record(ctx: Ctx, year: int) -> dict[str, list[str]]:
    """Per cadre: the written notice and 本人意见, then any 复核 and 申诉 (issue 24)."""
    lines = await notice_lines(ctx, year)
    for review in await ctx.store.notice.reviews(year):
        lines.setdefault(review.userid, []).extend(review_lines(ctx, review))
    return lines


async def _publicity_record(ctx: Ctx, year: int) -> dict[str, list[str]]:
    """Per cadre listed in a 公示 of `year`: when it ran and how it ended for them — the
    outcome only, never who objected or what they wrote (issue 24 item 5)."""
    objections: dict[tuple[int, str], list[str]] = {}
    for objection in await ctx.store.notice.objections(year):
        objections.setdefault((objection.publicity_id, objection.target), []).append(objection.status)
    lines: dict[str, list[str]] = {}
    for publicity in await ctx.store.notice.publicities(year):
        for userid in filter(None, publicity.listed.split(",")):
            statuses = objections.get((publicity.id or 0, userid), [])
            outcome = (
                "异议经核实成立，不评为优秀" if "upheld" in statuses
                else "有异议待处理" if "open" in statuses
                else "异议经核实不成立" if statuses
                else "公示期内无异议"
            )
            lines.setdefault(userid, []).append(
                f"公示：{publicity.unit_name}拟评优秀，{span_label(publicity.starts, publicity.ends)}公示；{outcome}"
            )
    return lines


async def dossiers(ctx: Ctx, record: YearRecord) -> AsyncIterator[Dossier]:
    """Every cadre's dossier, by userid: the year's logs are streamed in the same order, so
    only one cadre's logs are in memory at a time."""
    summaries = await ctx.store.results.summaries_of_year(record.year)
    logs = _Merged(ctx.store.results.logs_by_cadre(date(record.year, 1, 1), date(record.year, 12, 31)))
    rows = _Merged(ctx.store.results.quarter_rows_by_cadre(record.year))
    for person in sorted(record.people, key=lambda p: p.userid):
        yield _dossier(record, person, await logs.of(person.userid, []), await rows.of(person.userid, {}),
                       summaries.get(person.userid, {}))


class _Merged(Generic[T]):
    """Walks a stream of (userid, value) ordered by userid alongside cadres in the same order."""

    def __init__(self, stream: AsyncIterator[tuple[str, T]]) -> None:
        self.stream = stream
        self.pending: tuple[str, T] | None = None
        self.started = False

    async def of(self, userid: str, missing: T) -> T:
        if not self.started:
            self.pending, self.started = await anext(self.stream, None), True
        while self.pending is not None and self.pending[0] < userid:
            self.pending = await anext(self.stream, None)
        return self.pending[1] if self.pending is not None and self.pending[0] == userid else missing


async def dossier_of(ctx: Ctx, record: YearRecord, person: Person) -> Dossier:
    """One cadre's dossier (导出档案 2026 张三)."""
    entries = await ctx.store.logs.between(person.userid, date(record.year, 1, 1), date(record.year, 12, 31))
    summaries = await ctx.store.results.summaries_of_year(record.year, person.userid)
    rows = {}
    async for _, found in ctx.store.results.quarter_rows_by_cadre(record.year, person.userid):
        rows = found
    return _dossier(record, person, [(e.day, e.shown) for e in entries], rows, summaries.get(person.userid, {}))


def _dossier(
    record: YearRecord, person: Person, logs: list[tuple[date, str]], quarters: dict[int, CadreQuarter],
    summaries: dict[str, str],
) -> Dossier:
    return Dossier(
        person=person,
        logs=logs,
        summaries=summaries,
        quarters=quarters,
        annual=record.annual.get(person.userid),
        leave=record.leave.get(person.userid, []),
        awards=record.awards.get(person.userid, []),
        begins=record.starts.get(person.userid),
        notice=record.notice.get(person.userid, []),
        publicity=record.publicity.get(person.userid, []),
        category=StaffCategory(person.category or record.default_category),
    )

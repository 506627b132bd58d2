"""What the archive shows of a year, read once and handed to the renderers.

Only published figures and what cadres wrote themselves: nothing here (or in a table it
reads) links a score to whoever gave it, so no export can name a rater (R-RATE-5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from handlers.golive import go_live_date
from handlers.rating.service import RatingEnv, quarter_of
from handlers.results import annual
from handlers.results.annual import AnnualFigures
from scoring.logs import counting_start
from storage.directory import Person, roster_order
from storage.models import Leave
from storage.models_rating import QuarterResult
from storage.results_repo import QuarterCells

QUARTERS = (1, 2, 3, 4)
T = TypeVar("T")


@dataclass(frozen=True)
class Award:
    """An imported reward or penalty (奖惩), as the dossier prints it."""

    kind: str  # 奖励 or 惩处
    content: str
    day: date | None


@dataclass
class YearRecord:
    """The district's published year: quarter rows and annual figures by cadre, plus what
    every cadre's log coverage is measured against."""

    year: int
    people: list[Person]  # everyone rated this year or on the roster now, by unit then name
    quarters: dict[str, dict[int, QuarterCells]]  # userid -> quarter -> published figures
    published_quarters: tuple[int, ...]
    annual: dict[str, AnnualFigures]
    log_counts: dict[str, int]
    leave: dict[str, list[Leave]]
    workdays: int  # working days owed a log in the year (from the system's start)
    min_raters: int  # the disclosure rule's threshold (ScoringConfig.min_group_size)
    awards: dict[str, list[Award]] = field(default_factory=dict)  # userid -> imported 奖惩


@dataclass
class Dossier:
    """One cadre's year, as their PDF shows it."""

    person: Person
    logs: list[tuple[date, str]]
    summaries: dict[str, str]  # "2026Q1" … "2026" -> text
    quarters: dict[int, QuarterResult]
    annual: AnnualFigures | None
    leave: list[Leave] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)


def file_name(year: int, person: Person) -> str:
    """`年份-单位-姓名-userid.pdf`, safe on every file system."""
    stem = f"{year}-{person.unit.name}-{person.name}-{person.userid}"
    return "".join("_" if c in '/\\:*?"<>|' else c for c in stem) + ".pdf"


async def year_record(env: RatingEnv, year: int) -> YearRecord:
    rounds = await env.store.results.published_rounds(year)
    quarters = await env.store.results.quarter_cells(year)
    figures = await annual.published_year(env.store, year, env.cfg.min_group_size) or []
    rated = set(quarters) | {f.userid for f in figures}
    people = [p for p in env.directory.people.values() if not p.is_superior and (p.active or p.userid in rated)]
    people.sort(key=roster_order)
    start = counting_start(date(year, 1, 1), go_live_date(env.settings, env.directory))
    end = min(date(year, 12, 31), env.today)
    return YearRecord(
        year=year,
        people=people,
        quarters=quarters,
        published_quarters=tuple(quarter_of(r).quarter for r in rounds),
        annual={f.userid: f for f in figures},
        log_counts=await env.store.results.log_counts(date(year, 1, 1), date(year, 12, 31)),
        leave=await env.store.results.leave_of_year(year),
        workdays=sum(1 for _ in env.calendar.working_days(start, end)) if start <= end else 0,
        min_raters=env.cfg.min_group_size,
        awards={userid: [Award(a.kind, a.content, a.day) for a in found]
                for userid, found in (await env.store.year.awards_of_year(year)).items()},
    )


async def dossiers(env: RatingEnv, record: YearRecord) -> AsyncIterator[Dossier]:
    """Every cadre's dossier, by userid: the year's logs are streamed in the same order, so
    only one cadre's logs are in memory at a time."""
    summaries = await env.store.results.summaries_of_year(record.year)
    logs = _Merged(env.store.results.logs_by_cadre(date(record.year, 1, 1), date(record.year, 12, 31)))
    rows = _Merged(env.store.results.quarter_rows_by_cadre(record.year))
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


async def dossier_of(env: RatingEnv, record: YearRecord, person: Person) -> Dossier:
    """One cadre's dossier (导出档案 2026 张三)."""
    entries = await env.store.logs.between(person.userid, date(record.year, 1, 1), date(record.year, 12, 31))
    summaries = await env.store.results.summaries_of_year(record.year, person.userid)
    rows = {}
    async for _, found in env.store.results.quarter_rows_by_cadre(record.year, person.userid):
        rows = found
    return _dossier(record, person, [(e.day, e.content) for e in entries], rows, summaries.get(person.userid, {}))


def _dossier(
    record: YearRecord, person: Person, logs: list[tuple[date, str]], quarters: dict[int, QuarterResult],
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
    )

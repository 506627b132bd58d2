"""One published period (a quarter or a year) as rankings read it: who scored what, where.

A quarter's figures come from its published rating round, a year's from `services/annual.py`; both
become `Standing`s, and every ranking of either is built by `scoring.ranking` from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from handlers.base import Refusal
from handlers.dates import parse_quarter, parse_year, quarter_label
from handlers.services import annual
from handlers.services.rating import quarter_of
from handlers.text import fold
from scoring.disclosure import shows
from scoring.ranking import Ranking, competition_ranking
from scoring.types import Rank
from scoring.workdays import QuarterId
from storage.directory import Directory
from storage.records import RoundStatus
from storage.repos import Store
from storage.results_repo import rater_total


@dataclass(frozen=True, order=True)
class Period:
    """A quarter (quarter 1–4) or a whole year (quarter 5 sorts it after its Q4)."""

    year: int
    quarter: int

    @property
    def is_year(self) -> bool:
        return self.quarter == 5

    @property
    def label(self) -> str:
        return f"{self.year}年度" if self.is_year else quarter_label(QuarterId(self.year, self.quarter))

    def __str__(self) -> str:
        return str(self.year) if self.is_year else f"{self.year}Q{self.quarter}"


def parse_period(text: str) -> Period | None:
    """`2026Q4`, `2026年第4季度`, `2026`, `2026年`, `2026年度`; None if it is none of them."""
    quarter = parse_quarter(text)
    if quarter is not None:
        return Period(quarter.year, quarter.quarter)
    year = parse_year(fold(text))
    return Period(year, 5) if year is not None else None


@dataclass(frozen=True)
class Standing:
    """A cadre's published figure in one period; `score` None: nobody rated them.

    The score still ranks whether or not it may be shown (scoring.disclosure): `shown` to the
    cadre and the admin, `shown_to_colleagues` to a leader who may have rated them.
    """

    userid: str
    name: str
    unit_id: int
    unit_name: str
    level: Rank | None
    score: Decimal | None
    shown: bool = True
    shown_to_colleagues: bool = True

    def shown_to(self, viewer: str, is_admin: bool) -> bool:
        return self.shown if is_admin or viewer == self.userid else self.shown_to_colleagues


@dataclass(frozen=True)
class PeriodResults:
    period: Period
    standings: tuple[Standing, ...]

    def of(self, userid: str) -> Standing | None:
        return next((s for s in self.standings if s.userid == userid), None)

    def unit_ranking(self, unit_id: int) -> Ranking:
        return _ranking(s for s in self.standings if s.unit_id == unit_id)

    def level_ranking(self, level: Rank) -> Ranking:
        return _ranking(s for s in self.standings if s.level == level)


def _ranking(standings: Iterable[Standing]) -> Ranking:
    return competition_ranking([(s.userid, s.score) for s in standings])


async def latest_period(store: Store) -> Period | None:
    """The period published last: a year counts after its fourth quarter."""
    found = [Period(q.year, q.quarter) for q in map(quarter_of, await store.results.published_rounds())]
    found += [Period(year, 5) for year in await annual.published_years(store)]
    return max(found, default=None)


async def period_results(store: Store, directory: Directory, period: Period, k: int) -> PeriodResults:
    """The published figures of `period`, or a refusal saying it is not published. `k` is
    the disclosure rule's threshold (`min_group_size`)."""
    if period.is_year:
        rows = await annual.published_year(store, period.year, k)
        if rows is None:
            raise Refusal(f"{period.label}考核结果尚未发布，发布后即可查看排名。")
        return PeriodResults(period, tuple(
            Standing(r.userid, r.name, r.unit_id, r.unit_name, r.level, r.score,
                     r.shown.composite, r.shown_to_colleagues.composite)
            for r in rows
        ))
    rnd = await store.rating.round_by_quarter(str(period))
    if rnd is None or rnd.status != RoundStatus.published:
        raise Refusal(f"{period.label}考核结果尚未发布，发布后即可查看排名。")
    standings = []
    for row in await store.results.round_results(rnd.id):
        person = directory.people.get(row.userid)
        unit = directory.units.get(row.unit_id)
        raters = rater_total(row.rater_counts)
        standings.append(Standing(
            row.userid,
            person.name if person else row.userid,
            row.unit_id,
            unit.name if unit else str(row.unit_id),
            Rank(row.rank_level) if row.rank_level else None,
            None if row.score is None else Decimal(row.score),
            shows(raters, k),
            shows(raters, k, viewer_may_be_rater=True),
        ))
    return PeriodResults(period, tuple(standings))

"""The year's close (R-YEAR-1..4, R-USE-1..4): the democratic ballot, who evaluates whom, and
everything a published year decides, in one pure computation.

`year_outcome` composes the rules of `annual`, `ranking` and `use` for one year: it is what
publishing stores and what the results file, the cadres' messages and the admin's lists
show, so all of them agree by construction. Earlier years enter only as who was excellent
and who was last in their unit (an imported history or earlier published years).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from scoring.annual import AnnualResult
from scoring.ballot import RawScore, Violation, check_value
from scoring.config import ScoringConfig
from scoring.grades import (
    AnnualGrade,
    GradeCandidate,
    LastPlaceCase,
    ProposedGrade,
    bounded_last_place,
    propose_unit,
)
from scoring.groups import assignments
from scoring.ranking import (
    Extremes,
    Ranking,
    competition_ranking,
    level_extremes,
    rank_within_levels,
    rank_within_units,
)
from scoring.rounds import planned_round_window
from scoring.rule_settings import GradeSettings
from scoring.types import DIMENSIONS_ZH, Member, Rank, RaterGroup, Role
from scoring.use import (
    Eligibility,
    ExcellentGrades,
    commendations,
    excellent_in_unit,
    last_place,
    last_place_ladder,
    promotions,
)
from scoring.workdays import QuarterId, WorkCalendar

# --- the democratic ballot (R-YEAR-1) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarksCheck:
    """Some of a ballot line's five marks, by dimension index (0 = 德 … 4 = 廉)."""

    marks: Mapping[int, int]  # the valid ones
    reasons_zh: tuple[str, ...]  # one per invalid mark, naming its dimension

    @property
    def ok(self) -> bool:
        return not self.reasons_zh


def check_marks(raw: Mapping[int, RawScore], cfg: ScoringConfig) -> MarksCheck:
    """Each given mark must be an integer in [score_min, score_max], as a rating score."""
    marks: dict[int, int] = {}
    reasons: list[str] = []
    for index in sorted(raw):
        checked = check_value(DIMENSIONS_ZH[index], raw[index], cfg)
        if isinstance(checked, Violation):
            reasons.append(f"{DIMENSIONS_ZH[index]}：{checked.reason_zh}")
        else:
            marks[index] = checked
    return MarksCheck(marks, tuple(reasons))


def check_evaluation(raw: Sequence[RawScore], cfg: ScoringConfig) -> MarksCheck:
    """A whole line `90 88 92 85 95`: exactly five marks, 德、能、勤、绩、廉 in that order."""
    if len(raw) != len(DIMENSIONS_ZH):
        dims = "、".join(DIMENSIONS_ZH)
        return MarksCheck({}, (
            f"需要{dims} {len(DIMENSIONS_ZH)} 项分数（按此顺序），收到 {len(raw)} 项",
        ))
    return check_marks(dict(enumerate(raw)), cfg)


@lru_cache(maxsize=8)
def _evaluation_config(cfg: ScoringConfig, pairs: frozenset[tuple[Role, Role]]) -> ScoringConfig:
    # The democratic evaluation has no groups: any group will do, only who-rates-whom counts.
    return replace(cfg, rater_groups={pair: RaterGroup.other for pair in pairs},
                   extra_rater_group=RaterGroup.other)


ALL_PAIRS: frozenset[tuple[Role, Role]] = frozenset(
    (rater, ratee)
    for rater in (Role.main_leader, Role.leadership, Role.staff)
    for ratee in (Role.main_leader, Role.leadership, Role.staff)
)


def evaluation_assignments(
    unit_members: Iterable[Member],
    extra_raters: Iterable[str],
    cfg: ScoringConfig,
    pairs: Collection[tuple[Role, Role]] = ALL_PAIRS,
) -> list[tuple[str, str]]:
    """(evaluator, evaluated) pairs of one unit, sorted: the same rule as the quarterly
    cards (`groups.assignments`: nobody evaluates themself, superiors are never evaluated,
    approved extra raters evaluate everyone), with `pairs` (rater role, ratee role) the
    setting of who evaluates whom; by default every member evaluates every other member.
    """
    evaluation_cfg = _evaluation_config(cfg, frozenset(pairs))
    return [(a.rater, a.ratee) for a in assignments(unit_members, extra_raters, evaluation_cfg)]


# --- one published year --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EarlierYears:
    """What earlier years contribute: who was graded excellent, who was last in their unit."""

    excellent: Mapping[int, frozenset[str]]
    last_in_unit: Mapping[int, frozenset[str]]

    def excellent_years(self, userid: str) -> list[int]:
        return [year for year, who in self.excellent.items() if userid in who]


@dataclass(frozen=True, slots=True)
class YearOutcome:
    year: int
    results: tuple[AnnualResult, ...]
    unit_rankings: Mapping[str, Ranking]
    level_rankings: Mapping[Rank, Ranking]
    extremes: Mapping[Rank, Extremes]
    excellent: Mapping[str, ExcellentGrades]  # per unit
    promotion: Mapping[str, Eligibility]  # per cadre, with this year as "last year"
    commendation: Mapping[str, Eligibility]
    # Last in their unit (units of at least last_place_min_unit_size): the ladder's action,
    # or a conflict the admin decides.
    last_place: tuple[LastPlaceCase, ...]
    # The annual 等次 proposed for each cadre (scoring.grades.propose_grades), when graded.
    grades: Mapping[str, ProposedGrade] = field(default_factory=dict)

    def is_excellent(self, userid: str, unit: str) -> bool:
        return userid in self.excellent[unit].excellent

    def is_tied(self, userid: str, unit: str) -> bool:
        return userid in self.excellent[unit].tied_at_boundary


def _without(ranking: Ranking, barred: frozenset[str]) -> Ranking:
    """`ranking` re-ranked without the barred (the same object when none is in it)."""
    if not barred.intersection(ranking.positions):
        return ranking
    return competition_ranking(
        [(e.userid, e.score) for e in ranking.entries if e.userid not in barred]
        + [(u, None) for u in ranking.unranked if u not in barred]
    )


# Why a grade differs from what score and quota alone propose (notice24's outside decisions).
OBJECTION_UPHELD = "公示期间异议经核实成立"
REVIEW_GRANTED = "复核决定变更为优秀"


def year_outcome(
    year: int,
    results: Sequence[AnnualResult],
    earlier: EarlierYears,
    cfg: ScoringConfig,
    headcounts: Mapping[str, int] | None = None,
    decisions: Mapping[str, bool] | None = None,
    grading: tuple[Mapping[str, GradeCandidate], GradeSettings] | None = None,
    barred: frozenset[str] = frozenset(),
    granted: frozenset[str] = frozenset(),
) -> YearOutcome:
    """Rankings (R-YEAR-4), excellent grades (R-USE-1), promotion eligibility for the next
    year (R-USE-2: this year is "last year"), commendation (R-USE-3) and the last-place
    ladder (R-USE-4) of one year's annual results.

    `headcounts` gives each unit's size for its excellent quota (default: the cadres in
    `results`); `decisions` the admin's on ties at a quota's boundary (userid → granted);
    `barred` those who may not be excellent this year (a 公示 objection upheld): their place
    passes to the next by score, and the unit's quota still counts them; `granted` those a
    复核 decision made excellent (公务员法 第九十六条: an authority's decision, outside the
    quota's arithmetic, which leaves everyone else's grade as it was).
    """
    unit_rankings = rank_within_units(results)
    level_rankings = rank_within_levels(results)
    sizes = {unit: (headcounts or {}).get(unit, ranking.size + len(ranking.unranked)) for unit, ranking in unit_rankings.items()}
    proposed: dict[str, ProposedGrade] = {}
    if grading is None:
        excellent = {
            unit: excellent_in_unit(unit, _without(ranking, barred), cfg, sizes[unit], decisions)
            for unit, ranking in unit_rankings.items()
        }
    else:
        # 优秀 as the annual 等次 proposes it: by score within the quota among the unbarred
        # (a 公示 objection upheld bars like a 处分 recorded by the admin).
        candidates, rules = grading
        excellent = {}
        for unit, ranking in unit_rankings.items():
            people = [
                replace(candidates[u], barred_from_excellent=OBJECTION_UPHELD) if u in barred else candidates[u]
                for u in (*(e.userid for e in ranking.entries), *ranking.unranked)
            ]
            excellent[unit], unit_grades = propose_unit(unit, people, rules, cfg, decisions)
            proposed.update((p.userid, p) for p in unit_grades)
    for unit, ranking in unit_rankings.items():
        extra = tuple(u for u in sorted(granted) if u in ranking.positions and u not in excellent[unit].excellent)
        if extra:
            grades = excellent[unit]
            excellent[unit] = replace(grades, excellent=grades.excellent + extra,
                                      tied_at_boundary=tuple(u for u in grades.tied_at_boundary if u not in extra))
            proposed.update((u, ProposedGrade(u, AnnualGrade.excellent, REVIEW_GRANTED)) for u in extra if u in proposed)
    excellent_now = {userid for grades in excellent.values() for userid in grades.excellent}
    userids = [result.userid for result in results]
    years = {u: earlier.excellent_years(u) + ([year] if u in excellent_now else []) for u in userids}
    promotion = promotions(level_rankings, years, year, cfg, userids)
    commendation = commendations(level_rankings, year, userids)
    last_now = {
        userid: unit for unit, ranking in unit_rankings.items() for userid in last_place(ranking)
    }
    top_half = {e.userid for ranking in level_rankings.values() for e in ranking.entries if ranking.in_top_half(e.userid)}
    cases = bounded_last_place(
        last_place_ladder(last_now, earlier.last_in_unit, year), sizes, cfg.last_place_min_unit_size,
        top_half_of_level=top_half, proposed_excellent=excellent_now,
    )
    return YearOutcome(
        year,
        tuple(results),
        unit_rankings,
        level_rankings,
        level_extremes(level_rankings),
        excellent,
        promotion,
        commendation,
        tuple(cases),
        proposed,
    )


# --- a re-publish says what changed --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    userid: str
    field: str
    before: str | None  # None: not in the earlier version
    after: str | None  # None: not in the new version


def publication_changes(
    before: Mapping[str, Mapping[str, str]], after: Mapping[str, Mapping[str, str]]
) -> list[Change]:
    """Every published figure that differs between two versions of a year, by cadre then
    field; a cadre only in one version is one change with field "" (added or removed)."""
    changes: list[Change] = []
    for userid in sorted(before.keys() | after.keys()):
        old, new = before.get(userid), after.get(userid)
        if old is None or new is None:
            changes.append(Change(userid, "", None if old is None else "", None if new is None else ""))
            continue
        for name in sorted(old.keys() | new.keys()):
            if old.get(name) != new.get(name):
                changes.append(Change(userid, name, old.get(name), new.get(name)))
    return changes


def unfinished_lines(
    drafts: Mapping[str, Mapping[int, int]], assigned: Iterable[str]
) -> dict[str, tuple[int, ...]]:
    """An evaluator's ballot is complete when every assigned colleague has all five marks;
    this names, per colleague, the dimensions (indices) still without a mark."""
    missing = {
        ratee: tuple(i for i in range(len(DIMENSIONS_ZH)) if i not in drafts.get(ratee, {}))
        for ratee in assigned
    }
    return {ratee: dims for ratee, dims in sorted(missing.items()) if dims}


def read_result(raw: str) -> Decimal | str:
    """An imported annual figure (a unit's result, R-YEAR-2, or a history score): a number
    in [0, 100] with at most two decimals, returned as published (two places), or the
    reason it is refused in plain Chinese."""
    text = raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"「{raw}」不是数字"
    if not value.is_finite():
        return f"「{raw}」不是数字"
    places = value.as_tuple().exponent  # an int, as the value is finite ('n' or 'F' otherwise)
    if isinstance(places, int) and places < -2:
        return f"「{raw}」最多两位小数"
    if not 0 <= value <= 100:
        return f"「{raw}」须在 0–100 之间"
    return value.quantize(Decimal("0.01"))


def evaluation_due(
    calendar: WorkCalendar, now: datetime, *, open_after: int, duration: int, open_at: time
) -> int | None:
    """The year whose democratic evaluation should open by itself at `now`: last year's, on a
    working day of its planned window (it opens `open_after` working days after 31 December
    and would last `duration`), from `open_at` on. `open_after` 0: only the admin opens it."""
    today = now.date()
    if open_after == 0 or not calendar.is_working_day(today) or now.time() < open_at:
        return None
    year = today.year - 1
    opens, last = planned_round_window(calendar, QuarterId(year, 4), open_after=open_after, duration=duration)
    return year if opens <= today <= last else None

"""Using the results (R-USE-1..4): excellent grades, promotion and commendation eligibility,
and the talks that follow a last place in the unit.

Every decision carries its reason in plain Chinese so the bot can answer "can X be promoted?"
with the why, and the admin's lists can show it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from math import floor

from scoring.bulk import bulk, quick_init
from scoring.config import ScoringConfig
from scoring.ranking import Ranking, rank_within_units
from scoring.types import RANK_ZH, Rank, Scored

_NUMERALS_ZH = "零一二三四五六七八九十"


def _count_zh(n: int) -> str:
    return _NUMERALS_ZH[n] if 0 <= n <= 10 else str(n)


# --- R-USE-1 excellent ------------------------------------------------------------------


@quick_init
@dataclass(frozen=True, slots=True)
class ExcellentGrades:
    """Excellent grades of one unit for one year.

    `excellent` never holds more than `quota` cadres (save those a 复核 decision made excellent:
    `scoring.year_end.year_outcome`, `granted`). When cadres tie on the score of the last
    slot and taking them all would exceed the quota, the tie is the admin's to decide (a rule
    cannot pick one of two equal scores fairly, and granting both would break the quota): the
    tied cadres are `tied`; those the admin has granted are excellent, and `tied_at_boundary`
    lists those still awaiting a decision.
    """

    unit: str
    headcount: int
    quota: int
    excellent: tuple[str, ...]  # best first; a 复核 decision may add one beyond the quota (year_outcome)
    tied_at_boundary: tuple[str, ...]  # awaiting the admin's decision
    tied: tuple[str, ...] = ()  # the whole tie at the boundary, decided or not

    @property
    def places_for_the_tie(self) -> int:
        """How many of the tie may be graded excellent: the quota less those above it."""
        return self.quota - sum(1 for userid in self.excellent if userid not in self.tied)


def excellent_quota(headcount: int, cfg: ScoringConfig) -> int:
    """floor(excellent_share × headcount), at least 1 in a unit of `excellent_min_unit_size`
    (5) or more; 0 in a smaller unit, where one excellent in three or four would be far above
    the district's share (such units are for the admin to handle, e.g. pooled with others).
    """
    if headcount < cfg.excellent_min_unit_size:
        return 0
    return max(1, floor(Fraction(cfg.excellent_share) * headcount))


def excellent_in_unit(
    unit: str,
    ranking: Ranking,
    cfg: ScoringConfig,
    headcount: int | None = None,
    decisions: Mapping[str, bool] | None = None,
) -> ExcellentGrades:
    """Grade the top of one unit's annual ranking excellent, up to the unit's quota.

    `headcount` defaults to everyone in the ranking, scored or not: the quota belongs to the
    unit, and a cadre without a score does not shrink it. `decisions` are the admin's on a
    tie that overflows the quota (userid → granted): the granted are excellent; the
    undecided are excellent too if they fit the places left, else they await a decision
    (none are left to decide once the places are taken). Decisions that no longer fit the
    quota (the figures changed since) are set aside and the whole tie awaits a decision.
    """
    if headcount is None:
        headcount = ranking.size + len(ranking.unranked)
    quota = excellent_quota(headcount, cfg)
    userids, scores = ranking.userids, ranking.scores
    if quota == 0 or not userids:
        return ExcellentGrades(unit, headcount, quota, (), ())
    if quota >= len(userids):
        return ExcellentGrades(unit, headcount, quota, userids, ())
    boundary = scores[quota - 1]
    if scores[quota] != boundary:
        return ExcellentGrades(unit, headcount, quota, userids[:quota], ())
    above = tuple(u for u, score in zip(userids, scores, strict=True) if score > boundary)
    tied = tuple(u for u, score in zip(userids, scores, strict=True) if score == boundary)
    decided = {userid: granted for userid, granted in (decisions or {}).items() if userid in tied}
    granted = tuple(userid for userid in tied if decided.get(userid))
    places = quota - len(above) - len(granted)
    if places < 0:
        return ExcellentGrades(unit, headcount, quota, above, tied, tied)
    undecided = tuple(userid for userid in tied if userid not in decided)
    if len(undecided) <= places:
        chosen = set(granted) | set(undecided)
        return ExcellentGrades(unit, headcount, quota, above + tuple(u for u in tied if u in chosen), (), tied)
    return ExcellentGrades(unit, headcount, quota, above + granted, undecided if places else (), tied)


def tie_decision_refusal(grades: ExcellentGrades, userid: str, grant: bool, decisions: Mapping[str, bool]) -> str | None:
    """Why the admin may not take this decision on `userid` (R-USE-1), or None: only a cadre
    of the unit's tie at the boundary is decided, and a grant only while the tie has a place."""
    if userid not in grades.tied:
        return "不在本单位优秀名额边界的同分人员中，等次由得分决定，无需考核办评定"
    others = sum(1 for u in grades.tied if u != userid and decisions.get(u))
    if grant and others >= grades.places_for_the_tie:
        return (
            f"本单位优秀名额 {grades.quota} 个，同分人员中可评 {grades.places_for_the_tie} 人，已评定 {others} 人，"
            "名额已满"
        )
    return None


@bulk
def excellent_by_unit(
    results: Iterable[Scored],
    cfg: ScoringConfig,
    headcounts: Mapping[str, int] | None = None,
    unit_rankings: Mapping[str, Ranking] | None = None,
) -> dict[str, ExcellentGrades]:
    """`excellent_in_unit` for every unit in `results` (annual results). `unit_rankings`, if
    the caller has them already (`rank_within_units(results)`), saves ranking them again."""
    rankings = rank_within_units(results) if unit_rankings is None else unit_rankings
    return {
        unit: excellent_in_unit(unit, ranking, cfg, (headcounts or {}).get(unit))
        for unit, ranking in rankings.items()
    }


# --- R-USE-2 promotion, R-USE-3 commendation ----------------------------------------------


@quick_init
@dataclass(frozen=True, slots=True)
class Eligibility:
    """A yes/no with its reasons; the booleans say which condition held."""

    userid: str
    eligible: bool
    reason_zh: str
    in_top_half: bool
    excellent_years: tuple[int, ...] = ()  # excellent years inside the window (promotion)


def _find_level(userid: str, rankings: Mapping[Rank, Ranking]) -> tuple[Rank, Ranking] | None:
    for level, ranking in rankings.items():
        if userid in ranking.positions:
            return level, ranking
    return None


@lru_cache(maxsize=16)
def _window_zh(window_years: int, last_year: int) -> str:
    """近三年（2024–2026年）: the same words for a whole province's promotion list."""
    return f"近{_count_zh(window_years)}年（{last_year - window_years + 1}–{last_year}年）"


@lru_cache(maxsize=64)
def _among_zh(year: int, where: str, level: Rank, size: int) -> str:
    """2026年度考核成绩在全区一般干部 80000 人中: shared by everyone of one ranking."""
    return f"{year}年度考核成绩在{where}{RANK_ZH[level]} {size} 人中"


def _ranking_clause(
    userid: str, year: int, found: tuple[Rank, Ranking] | None, where: str, place_shown: bool = True
) -> tuple[bool, str]:
    if found is None:
        return False, f"{year}年度无{where}同职级考核排名"
    level, ranking = found
    position = ranking.positions[userid]
    top = 2 * position <= ranking.size  # `Ranking.in_top_half`, the position in hand
    verdict = "列前 1/2" if top else "未列前 1/2"
    among = _among_zh(year, where, level, ranking.size)
    if not place_shown:  # a withheld score's place is not told to others (scoring.disclosure)
        return top, f"{among}{verdict}（名次不公布）"
    return top, f"{among}排第 {position} 名，{verdict}"


def promotion_eligibility(
    userid: str,
    last_year_rankings: Mapping[Rank, Ranking],
    excellent_years: Iterable[int],
    last_year: int,
    cfg: ScoringConfig,
    place_shown: bool = True,
) -> Eligibility:
    """R-USE-2: eligible if in the top half (position ≤ n/2) of their rank level's district
    ranking in `last_year`, or graded excellent at least once in the window of
    `promotion_window_years` evaluation years ending with `last_year` (default 3:
    last_year−2 .. last_year).

    The level is the one the cadre was ranked in last year (`last_year_rankings` holds the
    district-wide rankings per level from `rank_within_levels`). `place_shown` False words
    the reason without the place (a withheld score's, scoring.disclosure).
    """
    found = _find_level(userid, last_year_rankings)
    facts = _promotion_facts(userid, found, excellent_years, last_year, cfg)
    return _promotion(userid, found, facts, last_year, cfg, place_shown)


def _level_index(rankings: Mapping[Rank, Ranking]) -> dict[str, tuple[Rank, Ranking]]:
    """`_find_level` for everyone at once: userid -> (level, ranking), the first level wins."""
    index: dict[str, tuple[Rank, Ranking]] = {}
    for level, ranking in reversed(list(rankings.items())):
        index.update(dict.fromkeys(ranking.positions, (level, ranking)))
    return index


def _promotion_facts(
    userid: str, found: tuple[Rank, Ranking] | None, excellent_years: Iterable[int], last_year: int, cfg: ScoringConfig
) -> tuple[bool, tuple[int, ...]]:
    """R-USE-2's two conditions: (in the top half last year, excellent years in the window)."""
    top = found is not None and found[1].in_top_half(userid)
    first_year = last_year - cfg.promotion_window_years + 1
    return top, tuple(sorted({y for y in excellent_years if first_year <= y <= last_year}))


def _promotion(
    userid: str,
    found: tuple[Rank, Ranking] | None,
    facts: tuple[bool, tuple[int, ...]],
    last_year: int,
    cfg: ScoringConfig,
    place_shown: bool,
) -> Eligibility:
    """The decision with its reasons, from `_promotion_facts`."""
    top, in_window = facts
    ranking_text = _ranking_clause(userid, last_year, found, "全区", place_shown)[1]
    window = _window_zh(cfg.promotion_window_years, last_year)
    if in_window:
        years = "、".join(str(y) for y in in_window)
        excellent_text = f"{window}有 {len(in_window)} 次优秀（{years}年）"
    else:
        excellent_text = f"{window}无优秀等次"
    eligible = top or bool(in_window)
    verdict = "符合" if eligible else "不符合"
    return Eligibility(
        userid, eligible, f"{verdict}提拔的实绩条件：{ranking_text}；{excellent_text}",
        top, in_window,
    )


@bulk
def promotions(
    last_year_rankings: Mapping[Rank, Ranking],
    excellent_years: Mapping[str, Iterable[int]],
    last_year: int,
    cfg: ScoringConfig,
    userids: Iterable[str],
) -> dict[str, Eligibility]:
    """`promotion_eligibility` of many cadres (reasons with places), each one's level looked
    up once for all; `excellent_years` by userid (none: no excellent year)."""
    levels = _level_index(last_year_rankings)
    decided: dict[str, Eligibility] = {}
    for userid in userids:
        found = levels.get(userid)
        facts = _promotion_facts(userid, found, excellent_years.get(userid, ()), last_year, cfg)
        decided[userid] = _promotion(userid, found, facts, last_year, cfg, True)
    return decided


@bulk
def eligible_for_promotion(
    last_year_rankings: Mapping[Rank, Ranking],
    excellent_history: Mapping[str, Iterable[int]],
    last_year: int,
    cfg: ScoringConfig,
    candidates: Mapping[str, Rank],
) -> dict[Rank, tuple[Eligibility, ...]]:
    """The admin's list: eligible candidates per current rank level, by userid.

    `candidates` maps each cadre to their current level (the list's grouping); eligibility
    itself uses the level they were ranked in last year.
    """
    per_level: defaultdict[Rank, list[Eligibility]] = defaultdict(list)
    levels = _level_index(last_year_rankings)
    for userid in sorted(candidates):
        found, history = levels.get(userid), excellent_history.get(userid, ())
        facts = _promotion_facts(userid, found, history, last_year, cfg)
        if facts[0] or facts[1]:  # the reasons are worded for those on the list only
            per_level[candidates[userid]].append(_promotion(userid, found, facts, last_year, cfg, True))
    return {level: tuple(found) for level, found in per_level.items()}


def commendation_eligibility(
    userid: str, level_rankings: Mapping[Rank, Ranking], year: int
) -> Eligibility:
    """R-USE-3: the annual total is in the top half (position ≤ n/2) of the district's ranking
    of the cadre's rank level that year."""
    return _commendation(userid, _find_level(userid, level_rankings), year)


@bulk
def commendations(
    level_rankings: Mapping[Rank, Ranking], year: int, userids: Iterable[str]
) -> dict[str, Eligibility]:
    """`commendation_eligibility` of many cadres, each one's level looked up once for all."""
    levels = _level_index(level_rankings)
    return {userid: _commendation(userid, levels.get(userid), year) for userid in userids}


def _commendation(userid: str, found: tuple[Rank, Ranking] | None, year: int) -> Eligibility:
    top, text = _ranking_clause(userid, year, found, "全区")
    verdict = "可推荐评先评优" if top else "不符合评先评优条件"
    return Eligibility(userid, top, f"{text}，{verdict}", top)


# --- R-USE-4 last place -------------------------------------------------------------------


class LastPlaceAction(StrEnum):
    reminder_talk = "reminder_talk"  # 1 year
    admonishment = "admonishment"  # 2 years in a row
    organisational_handling = "organisational_handling"  # 3 or more years in a row


LAST_PLACE_ZH: dict[LastPlaceAction, str] = {
    LastPlaceAction.reminder_talk: "提醒谈话",
    LastPlaceAction.admonishment: "诫勉谈话",
    LastPlaceAction.organisational_handling: "组织处理（经组织考察认定，视情况免职等）",
}


@quick_init
@dataclass(frozen=True, slots=True)
class LastPlaceFlag:
    userid: str
    unit: str  # the unit they were last in, in the flagged year
    streak: int  # consecutive years last in their unit, ending with the flagged year
    years: tuple[int, ...]
    action: LastPlaceAction

    @property
    def action_zh(self) -> str:
        return LAST_PLACE_ZH[self.action]


def last_place(ranking: Ranking) -> tuple[str, ...]:
    """Cadres at the bottom of a unit's ranking; everyone tied for last is last.

    A unit with fewer than two ranked cadres, or where all are tied, has no last place:
    nobody there did worse than a colleague.
    """
    scores = ranking.scores
    if len(scores) < 2 or scores[0] == scores[-1]:
        return ()
    lowest = scores[-1]
    return tuple(u for u, score in zip(ranking.userids, scores, strict=True) if score == lowest)


def _action_for(streak: int) -> LastPlaceAction:
    if streak >= 3:
        return LastPlaceAction.organisational_handling
    if streak == 2:
        return LastPlaceAction.admonishment
    return LastPlaceAction.reminder_talk


@bulk
def last_place_flags(
    unit_rankings_by_year: Mapping[int, Mapping[str, Ranking]], year: int
) -> list[LastPlaceFlag]:
    """The admin's list when `year` is published: everyone last in their unit that year, with
    the consecutive-year streak (counting back while the cadre was last in their unit, in
    whatever unit they were then) and the action it calls for. A year absent from the history
    ends a streak. Sorted by longest streak first, then unit and userid.
    """
    last_by_year = {
        y: {userid: unit for unit, ranking in rankings.items() for userid in last_place(ranking)}
        for y, rankings in unit_rankings_by_year.items()
    }
    this_year = last_by_year.pop(year, {})
    return last_place_ladder(this_year, last_by_year, year)


def last_place_ladder(
    last_this_year: Mapping[str, str], last_in_earlier_years: Mapping[int, Collection[str]], year: int
) -> list[LastPlaceFlag]:
    """R-USE-4 from who was last: `last_this_year` maps each cadre last in their unit in
    `year` to that unit; `last_in_earlier_years` holds, per earlier year, who was last in
    their unit then (from published years or an imported history). A year absent from it
    ends a streak. Sorted by longest streak first, then unit and userid.
    """
    flags: list[LastPlaceFlag] = []
    for userid, unit in last_this_year.items():
        streak = 1
        while userid in last_in_earlier_years.get(year - streak, ()):
            streak += 1
        years = tuple(range(year - streak + 1, year + 1))
        flags.append(LastPlaceFlag(userid, unit, streak, years, _action_for(streak)))
    flags.sort(key=lambda f: (-f.streak, f.unit, f.userid))
    return flags

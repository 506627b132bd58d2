"""The year's result as national rules frame it (issue 24): 平时考核 grades per quarter, the
annual 等次 by staff category, the consequences the rules attach to grades, a last-place ladder
bounded to units where it means something, and the clocks of 公示, 复核 and 申诉.

Pure rules over plain values, like the rest of scoring/: storage and chat build the inputs.
Each default and its source is in `GradeSettings` (scoring/rule_settings.py) and README.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from math import floor

from scoring.config import ScoringConfig
from scoring.ranking import competition_ranking
from scoring.rule_settings import GradeSettings
from scoring.use import ExcellentGrades, LastPlaceFlag, excellent_in_unit
from scoring.workdays import WorkCalendar

# --- 平时考核: a grade per published quarter ------------------------------------------------


class QuarterGrade(StrEnum):
    """公务员平时考核办法（试行）: 好、较好、一般、较差."""

    good = "好"
    fairly_good = "较好"
    fair = "一般"
    poor = "较差"


def band_grade(score: Decimal, rules: GradeSettings) -> QuarterGrade:
    """The grade a quarterly score earns by the bands alone (before the unit's cap on 好)."""
    if score >= rules.good_from:
        return QuarterGrade.good
    if score >= rules.fairly_good_from:
        return QuarterGrade.fairly_good
    if score >= rules.fair_from:
        return QuarterGrade.fair
    return QuarterGrade.poor


def good_quota(headcount: int, rules: GradeSettings) -> int:
    """How many of a unit may be graded 好 in a quarter: floor(share × headcount), never above
    the share (the cap is a ceiling; a unit of two has no 好 at a 40% cap)."""
    return floor(Fraction(rules.good_share) * headcount)


def quarter_grades(scores: Mapping[str, Decimal], rules: GradeSettings, headcount: int | None = None) -> dict[str, QuarterGrade]:
    """One unit's 平时考核 grades for a quarter, from its published scores.

    By the bands first; then, if more earned 好 than the unit's cap allows, the best keep 好 up
    to the cap and the rest get 较好. A tie that straddles the cap all get 较好: two equal scores
    cannot fairly get different grades, and granting both would break the cap.
    `headcount` (default: those scored) sizes the cap.
    """
    grades = {userid: band_grade(score, rules) for userid, score in scores.items()}
    quota = good_quota(len(scores) if headcount is None else headcount, rules)
    earned = sorted((scores[u] for u, g in grades.items() if g is QuarterGrade.good), reverse=True)
    if len(earned) > quota:
        # The lowest score that still keeps 好: above the first score past the cap.
        cut = earned[quota]
        for userid, score in scores.items():
            if grades[userid] is QuarterGrade.good and score <= cut:
                grades[userid] = QuarterGrade.fairly_good
    return grades


# --- 年度考核等次 ------------------------------------------------------------------------


class StaffCategory(StrEnum):
    """The roster's 人员类别: which rules and grade names apply."""

    civil_servant = "civil_servant"  # 公务员（含参照管理）: 公务员法 §36
    institution = "institution"  # 事业单位工作人员: 事业单位工作人员考核规定 (2023)


class AnnualGrade(StrEnum):
    excellent = "excellent"
    competent = "competent"  # 称职 / 合格
    basically_competent = "basically_competent"  # 基本称职 / 基本合格
    incompetent = "incompetent"  # 不称职 / 不合格
    undetermined = "undetermined"  # 不确定等次 (e.g. 试用期, under investigation)
    not_assessed = "not_assessed"  # 不参加年度考核 (e.g. long absence)


GRADE_ZH: dict[StaffCategory, dict[AnnualGrade, str]] = {
    StaffCategory.civil_servant: {
        AnnualGrade.excellent: "优秀", AnnualGrade.competent: "称职",
        AnnualGrade.basically_competent: "基本称职", AnnualGrade.incompetent: "不称职",
        AnnualGrade.undetermined: "不确定等次", AnnualGrade.not_assessed: "不参加年度考核",
    },
    StaffCategory.institution: {
        AnnualGrade.excellent: "优秀", AnnualGrade.competent: "合格",
        AnnualGrade.basically_competent: "基本合格", AnnualGrade.incompetent: "不合格",
        AnnualGrade.undetermined: "不确定等次", AnnualGrade.not_assessed: "不参加年度考核",
    },
}
STAFF_CATEGORY_ZH: dict[StaffCategory, str] = {
    StaffCategory.civil_servant: "公务员（含参照管理）", StaffCategory.institution: "事业单位工作人员",
}
# Grades only the 考核办 gives, by a recorded decision with its reason.
DECIDED_GRADES = frozenset({AnnualGrade.basically_competent, AnnualGrade.incompetent})
# Grades for those the rules leave out of grading.
EXCLUDED_GRADES = frozenset({AnnualGrade.undetermined, AnnualGrade.not_assessed})


@dataclass(frozen=True, slots=True)
class GradeCandidate:
    """What the annual proposal knows of one cadre of a unit."""

    userid: str
    category: StaffCategory
    score: Decimal | None  # the annual composite; None: not scored
    quarter_grades: Sequence[QuarterGrade] = ()  # this year's published quarters
    # The admin's records: a grade the rules set aside (不确定等次/不参加) or decided
    # (基本称职/不称职), and why; a reason 优秀 is barred (处分, 诫勉 period …).
    recorded: tuple[AnnualGrade, str] | None = None
    barred_from_excellent: str | None = None


@dataclass(frozen=True, slots=True)
class ProposedGrade:
    userid: str
    grade: AnnualGrade
    reason_zh: str
    # Awaiting the admin: a tie at the 优秀 quota's edge.
    tied_at_boundary: bool = False

    def grade_zh(self, category: StaffCategory) -> str:
        return GRADE_ZH[category][self.grade]


def excellent_blocker(candidate: GradeCandidate, rules: GradeSettings) -> str | None:
    """Why a cadre may not be proposed 优秀 whatever the score, or None."""
    if candidate.barred_from_excellent:
        return candidate.barred_from_excellent
    grades = list(candidate.quarter_grades)
    if not grades:
        return None
    if rules.excellent_bars_fair_or_poor and any(g in (QuarterGrade.fair, QuarterGrade.poor) for g in grades):
        return "平时考核有「一般」或「较差」"
    good = sum(1 for g in grades if g is QuarterGrade.good)
    if Fraction(good, len(grades)) < Fraction(rules.excellent_needs_good_share):
        return f"平时考核「好」{good} 个季度，不足 {len(grades)} 个季度的 {_percent(rules.excellent_needs_good_share)}"
    return None


def propose_grades(
    unit: str,
    candidates: Iterable[GradeCandidate],
    rules: GradeSettings,
    cfg: ScoringConfig,
    tie_decisions: Mapping[str, bool] | None = None,
) -> list[ProposedGrade]:
    """One unit's proposed annual grades, in the order given.

    Recorded grades stand (the rules' exclusions and the 考核办's decisions); 优秀 goes by
    score within the unit's quota (R-USE-1, `excellent_in_unit`) among those not barred and
    not recorded, so a place a barred cadre would have taken passes to the next by score;
    everyone else is 称职/合格. The quota is the unit's: everyone assessed counts, scored or not.
    """
    return propose_unit(unit, list(candidates), rules, cfg, tie_decisions)[1]


def propose_unit(
    unit: str,
    people: Sequence[GradeCandidate],
    rules: GradeSettings,
    cfg: ScoringConfig,
    tie_decisions: Mapping[str, bool] | None = None,
) -> tuple[ExcellentGrades, list[ProposedGrade]]:
    """`propose_grades` with the unit's 优秀 list and quota it rests on (one computation)."""
    blockers = {c.userid: excellent_blocker(c, rules) for c in people if c.recorded is None}
    grades = _excellent(unit, people, blockers, cfg, tie_decisions)
    proposed: list[ProposedGrade] = []
    for c in people:
        if c.recorded is not None:
            grade, why = c.recorded
            proposed.append(ProposedGrade(c.userid, grade, why))
        elif c.userid in grades.excellent:
            proposed.append(ProposedGrade(c.userid, AnnualGrade.excellent, f"年度得分在本单位优秀名额（{grades.quota} 个）之内"))
        elif c.userid in grades.tied_at_boundary:
            proposed.append(ProposedGrade(
                c.userid, AnnualGrade.competent, "与他人同分处于优秀名额边界，待考核办评定", tied_at_boundary=True,
            ))
        elif (blocker := blockers[c.userid]) is not None and c.score is not None:
            proposed.append(ProposedGrade(c.userid, AnnualGrade.competent, f"不能评为优秀：{blocker}"))
        else:
            proposed.append(ProposedGrade(c.userid, AnnualGrade.competent, "按规定默认"))
    return grades, proposed


def _excellent(
    unit: str,
    people: Sequence[GradeCandidate],
    blockers: Mapping[str, str | None],
    cfg: ScoringConfig,
    tie_decisions: Mapping[str, bool] | None,
) -> ExcellentGrades:
    """The unit's 优秀 by score within its quota (R-USE-1) among those neither recorded nor
    barred (`blockers`); the quota counts everyone assessed, not those left out of grading."""
    eligible = {c.userid: c.score for c in people
                if c.recorded is None and c.score is not None and blockers[c.userid] is None}
    assessed = sum(1 for c in people if c.recorded is None or c.recorded[0] not in EXCLUDED_GRADES)
    return excellent_in_unit(unit, competition_ranking(eligible), cfg, headcount=assessed, decisions=tie_decisions)


@dataclass(frozen=True, slots=True)
class ReviewSignals:
    """What may point to 基本称职/不称职; the 考核办 decides, the system only lists."""

    userid: str
    last_place_streak: int = 0
    unexcused_missing_days: int = 0
    quarter_grades: Sequence[QuarterGrade] = ()


def review_reasons(signals: ReviewSignals, rules: GradeSettings) -> list[str]:
    """Why the 考核办 may want to look at this cadre's grade (empty: no trigger)."""
    reasons = []
    if rules.review_last_place_years and signals.last_place_streak >= rules.review_last_place_years:
        reasons.append(f"连续 {signals.last_place_streak} 年为本单位末位")
    if rules.review_missing_days and signals.unexcused_missing_days >= rules.review_missing_days:
        reasons.append(f"全年无故缺记日志 {signals.unexcused_missing_days} 天")
    weak = sum(1 for g in signals.quarter_grades if g in (QuarterGrade.fair, QuarterGrade.poor))
    if rules.review_weak_quarters and weak >= rules.review_weak_quarters:
        reasons.append(f"平时考核「一般」或「较差」{weak} 个季度")
    return reasons


# --- consequences the rules attach to grades ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Consequence:
    userid: str
    what_zh: str
    source_zh: str


def consequences(
    userid: str, category: StaffCategory, history: Mapping[int, AnnualGrade], year: int, rules: GradeSettings
) -> list[Consequence]:
    """What the rules attach to `year`'s grade, given the years before (year → grade; a year
    absent breaks a streak). Listed to the admin; none is applied by the system."""
    grade = history.get(year)
    if grade is None:
        return []

    def streak(of: AnnualGrade) -> int:
        n = 0
        while history.get(year - n) is of:
            n += 1
        return n

    out: list[Consequence] = []
    civil = category is StaffCategory.civil_servant
    if grade is AnnualGrade.excellent:
        if rules.merit_after_excellent_years and streak(AnnualGrade.excellent) >= rules.merit_after_excellent_years:
            out.append(Consequence(userid, f"连续 {streak(AnnualGrade.excellent)} 年优秀：可记三等功", "公务员考核规定"))
        else:
            out.append(Consequence(userid, "优秀：给予嘉奖", "公务员考核规定"))
    elif grade is AnnualGrade.basically_competent:
        name = GRADE_ZH[category][grade]
        out.append(Consequence(userid, f"{name}：下一年度不得晋升职务职级，本年度不计算为晋升职务职级的任职年限", "公务员考核规定"))
    elif grade is AnnualGrade.incompetent:
        run = streak(AnnualGrade.incompetent)
        if run >= 2:
            what = "连续两年不称职：予以辞退" if civil else "连续两年不合格：单位可以解除聘用合同"
            source = "公务员法 第八十八条" if civil else "事业单位人事管理条例 第十五条"
            out.append(Consequence(userid, what, source))
        elif civil:
            out.append(Consequence(userid, "不称职：降低一个职务或者职级层次任职", "公务员考核规定"))
    return out


# --- 末位 that makes sense -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LastPlaceCase:
    """One cadre last in their unit: the ladder's action, or a conflict for the admin."""

    flag: LastPlaceFlag
    conflict_zh: str | None  # set: no automatic talk; the 考核办 decides

    @property
    def automatic(self) -> bool:
        return self.conflict_zh is None


def bounded_last_place(
    flags: Iterable[LastPlaceFlag],
    unit_sizes: Mapping[str, int],
    min_unit_size: int,
    top_half_of_level: Iterable[str] = (),
    proposed_excellent: Iterable[str] = (),
) -> list[LastPlaceCase]:
    """The seed's ladder (talk → admonish → handle), applied only in units of at least
    `min_unit_size` cadres (ScoringConfig.last_place_min_unit_size) (in a unit of three, someone is always last); a last
    place who also stands in the district's top half of their rank level, or is proposed
    优秀, is the admin's to decide, never an automatic 提醒谈话."""
    top, excellent = set(top_half_of_level), set(proposed_excellent)
    cases = []
    for flag in flags:
        if unit_sizes.get(flag.unit, 0) < min_unit_size:
            continue
        conflicts = []
        if flag.userid in excellent:
            conflicts.append("同时拟评为优秀")
        if flag.userid in top:
            conflicts.append("同时位列全区同职级前 1/2")
        cases.append(LastPlaceCase(flag, "；".join(conflicts) or None))
    return cases


# --- the clocks of 公示, 复核 and 申诉 --------------------------------------------------------


def publicity_ends(start: date, calendar: WorkCalendar, rules: GradeSettings) -> date:
    """The last day of a 公示 that starts on `start`: `publicity_working_days` working days,
    `start` counted when it is one (公务员考核规定: 不少于5个工作日)."""
    first = start if calendar.is_working_day(start) else calendar.add_working_days(start, 1)
    return calendar.add_working_days(first, rules.publicity_working_days - 1)


def review_request_due(notified: date, rules: GradeSettings) -> date:
    """Last day to request 复核: within N days of learning the result (公务员法 第九十五条, 日 =
    calendar days)."""
    return notified + timedelta(days=rules.review_request_days)


def review_decision_due(requested: date, rules: GradeSettings) -> date:
    """Last day for the 考核办's written 复核 decision (公务员法 第九十六条)."""
    return requested + timedelta(days=rules.review_decision_days)


def appeal_due(review_decided: date, rules: GradeSettings) -> date:
    """Last day to file a 申诉 after the 复核 decision (公务员法 第九十五条)."""
    return review_decided + timedelta(days=rules.appeal_request_days)


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"

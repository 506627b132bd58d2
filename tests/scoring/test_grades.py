"""The year's result as national rules frame it (issue 24): each rule against an independent
reading of it, as properties over many units and as the cases the rules name."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from math import floor

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.config import ScoringConfig
from scoring.grades import (
    AnnualGrade,
    GradeCandidate,
    QuarterGrade,
    ReviewSignals,
    StaffCategory,
    appeal_due,
    band_grade,
    bounded_last_place,
    consequences,
    excellent_blocker,
    propose_grades,
    publicity_ends,
    quarter_grades,
    review_decision_due,
    review_reasons,
    review_request_due,
)
from scoring.rule_settings import GradeSettings
from scoring.use import LastPlaceAction, LastPlaceFlag
from scoring.workdays import WorkCalendar, YearSchedule
from tests.scoring.calendars import calendars, days_2026

RULES = GradeSettings()
CFG = ScoringConfig()
ORDER = [QuarterGrade.poor, QuarterGrade.fair, QuarterGrade.fairly_good, QuarterGrade.good]
CIVIL = StaffCategory.civil_servant

scores = st.decimals(min_value=40, max_value=100, places=2, allow_nan=False, allow_infinity=False)
units = st.dictionaries(st.sampled_from([f"c{n:02d}" for n in range(30)]), scores, max_size=30)

# ---- 平时考核 ------------------------------------------------------------------------------


@settings(max_examples=300)
@given(units)
def test_quarter_grades_keep_the_cap_the_bands_and_the_order_of_scores(unit: dict[str, D]) -> None:
    grades = quarter_grades(unit, RULES)
    good = [u for u, g in grades.items() if g is QuarterGrade.good]
    assert len(good) <= floor(len(unit) * D("0.4"))  # never above 40% of the unit
    for userid, score in unit.items():
        band = band_grade(score, RULES)
        # The cap only ever turns a 好 into 较好; the bands decide everything else.
        assert grades[userid] is band or (band is QuarterGrade.good and grades[userid] is QuarterGrade.fairly_good)
    for a in unit:
        for b in unit:
            if unit[a] > unit[b]:
                assert ORDER.index(grades[a]) >= ORDER.index(grades[b])  # a better score, never a worse grade
            if unit[a] == unit[b]:
                assert grades[a] is grades[b]  # equal scores, equal grades
    # The cap is used as far as the order allows: only a tie at its edge leaves places unused.
    earned = sorted((s for s in unit.values() if s >= 90), reverse=True)
    quota = floor(len(unit) * D("0.4"))
    if len(earned) > quota and quota and earned[quota - 1] != earned[quota]:
        assert len(good) == quota


def test_quarter_grades_by_the_bands_of_the_local_practice() -> None:
    unit = {"a": D("95"), "b": D("91"), "c": D("85.5"), "d": D("80"), "e": D("79.99"), "f": D("60"), "g": D("59.99")}
    grades = quarter_grades(unit, RULES)
    # 7 people: 40% caps 好 at 2; a (95) and b (91) keep it.
    assert grades == {
        "a": QuarterGrade.good, "b": QuarterGrade.good, "c": QuarterGrade.fairly_good, "d": QuarterGrade.fairly_good,
        "e": QuarterGrade.fair, "f": QuarterGrade.fair, "g": QuarterGrade.poor,
    }


def test_a_tie_across_the_cap_on_good_gets_fairly_good_together() -> None:
    grades = quarter_grades({"a": D(96), "b": D(92), "c": D(92), "d": D(70), "e": D(70)}, RULES)
    assert grades["a"] is QuarterGrade.good  # 5 people: 2 places; b and c tie for the second
    assert grades["b"] is grades["c"] is QuarterGrade.fairly_good


# ---- 年度等次 ------------------------------------------------------------------------------

grade_lists = st.lists(st.sampled_from(ORDER), max_size=4)
candidates = st.lists(
    st.builds(
        GradeCandidate,
        userid=st.just(""),
        category=st.sampled_from(list(StaffCategory)),
        score=st.one_of(st.none(), scores),
        quarter_grades=grade_lists,
        recorded=st.one_of(
            st.none(),
            st.tuples(st.sampled_from([AnnualGrade.undetermined, AnnualGrade.not_assessed,
                                        AnnualGrade.basically_competent, AnnualGrade.incompetent]), st.just("记录")),
        ),
        barred_from_excellent=st.one_of(st.none(), st.just("诫勉影响期内")),
    ),
    max_size=25,
)


@settings(max_examples=300)
@given(candidates)
def test_annual_grades_keep_the_quota_the_records_and_the_bars(drawn: list[GradeCandidate]) -> None:
    people = [replace(c, userid=f"c{i:02d}") for i, c in enumerate(drawn)]
    proposed = {p.userid: p for p in propose_grades("town", people, RULES, CFG)}
    assessed = [c for c in people if c.recorded is None or c.recorded[0] not in (AnnualGrade.undetermined, AnnualGrade.not_assessed)]
    quota = 0 if len(assessed) < CFG.excellent_min_unit_size else max(1, floor(len(assessed) * CFG.excellent_share))
    excellent = [u for u, p in proposed.items() if p.grade is AnnualGrade.excellent]
    assert len(excellent) <= quota
    for c in people:
        got = proposed[c.userid].grade
        if c.recorded is not None:
            assert got is c.recorded[0]  # the rules' exclusions and the 考核办's decisions stand
        elif excellent_blocker(c, RULES) is not None or c.score is None:
            assert got is AnnualGrade.competent  # barred or unscored: never 优秀, never worse by itself
        else:
            assert got in (AnnualGrade.excellent, AnnualGrade.competent)
    # 优秀 goes by score among the open and unbarred: nobody passed over for a lower score.
    open_scores = {c.userid: c.score for c in people
                   if c.recorded is None and c.score is not None and excellent_blocker(c, RULES) is None}
    for winner in excellent:
        for other, score in open_scores.items():
            if other not in excellent and not proposed[other].tied_at_boundary:
                assert score < open_scores[winner]


def test_a_barred_cadres_place_passes_to_the_next_by_score() -> None:
    people = [GradeCandidate(f"c{i}", CIVIL, D(95 - i), [QuarterGrade.good] * 4) for i in range(7)]
    people[0] = GradeCandidate("c0", CIVIL, D(95), [QuarterGrade.good] * 4, barred_from_excellent="处分影响期内")
    proposed = {p.userid: p for p in propose_grades("town", people, RULES, CFG)}
    assert proposed["c1"].grade is AnnualGrade.excellent  # 7 people × 15% → 1 place
    assert proposed["c0"].grade is AnnualGrade.competent and "处分影响期内" in proposed["c0"].reason_zh
    assert proposed["c0"].grade_zh(CIVIL) == "称职"
    assert proposed["c0"].grade_zh(StaffCategory.institution) == "合格"


def test_quarters_with_a_fair_grade_or_too_few_goods_bar_excellent() -> None:
    assert excellent_blocker(GradeCandidate("a", CIVIL, D(99), [QuarterGrade.good, QuarterGrade.fair]), RULES)
    assert excellent_blocker(GradeCandidate("a", CIVIL, D(99), [QuarterGrade.good] + [QuarterGrade.fairly_good] * 2), RULES)
    assert excellent_blocker(GradeCandidate("a", CIVIL, D(99), [QuarterGrade.good] * 2 + [QuarterGrade.fairly_good] * 2), RULES) is None


def test_review_candidates_are_listed_by_the_triggers_never_graded() -> None:
    assert review_reasons(ReviewSignals("a", last_place_streak=2, unexcused_missing_days=25,
                                        quarter_grades=[QuarterGrade.fair, QuarterGrade.poor]), RULES) == [
        "连续 2 年为本单位末位", "全年无故缺记日志 25 天", "平时考核「一般」或「较差」2 个季度",
    ]
    assert review_reasons(ReviewSignals("a", last_place_streak=1, unexcused_missing_days=3), RULES) == []


# ---- consequences ------------------------------------------------------------------------


def test_consequences_the_rules_attach_to_grades() -> None:
    two_bad = {2025: AnnualGrade.incompetent, 2026: AnnualGrade.incompetent}
    assert [c.what_zh for c in consequences("a", CIVIL, two_bad, 2026, RULES)] == ["连续两年不称职：予以辞退"]
    assert consequences("a", CIVIL, two_bad, 2026, RULES)[0].source_zh == "公务员法 第八十八条"
    assert [c.what_zh for c in consequences("a", StaffCategory.institution, two_bad, 2026, RULES)] == [
        "连续两年不合格：单位可以解除聘用合同"
    ]
    three = {y: AnnualGrade.excellent for y in (2024, 2025, 2026)}
    assert [c.what_zh for c in consequences("a", CIVIL, three, 2026, RULES)] == ["连续 3 年优秀：可记三等功"]
    broken = {2024: AnnualGrade.excellent, 2026: AnnualGrade.excellent}  # 2025 absent breaks the run
    assert [c.what_zh for c in consequences("a", CIVIL, broken, 2026, RULES)] == ["优秀：给予嘉奖"]
    assert "下一年度不得晋升" in consequences("a", CIVIL, {2026: AnnualGrade.basically_competent}, 2026, RULES)[0].what_zh
    assert consequences("a", CIVIL, {2026: AnnualGrade.competent}, 2026, RULES) == []


# ---- 末位 ---------------------------------------------------------------------------------


def flag(userid: str, unit: str, streak: int = 1) -> LastPlaceFlag:
    return LastPlaceFlag(userid, unit, streak, tuple(range(2027 - streak, 2027)), LastPlaceAction.reminder_talk)


def test_the_last_place_ladder_skips_small_units_and_hands_conflicts_to_the_admin() -> None:
    flags = [flag("lvxiao", "团区委"), flag("best", "城关镇"), flag("plain", "城关镇"), flag("star", "发改局")]
    cases = bounded_last_place(
        flags, {"团区委": 3, "城关镇": 12, "发改局": 9}, 5, top_half_of_level={"best"}, proposed_excellent={"star"},
    )
    by_user = {c.flag.userid: c for c in cases}
    assert "lvxiao" not in by_user  # a unit of three: someone is always last
    assert by_user["plain"].automatic
    assert by_user["best"].conflict_zh == "同时位列全区同职级前 1/2"
    assert by_user["star"].conflict_zh == "同时拟评为优秀"


# ---- clocks -------------------------------------------------------------------------------


def test_a_publicity_runs_five_working_days_across_a_holiday_and_a_make_up_day() -> None:
    calendar = WorkCalendar([YearSchedule(2026, frozenset({date(2026, 10, d) for d in range(1, 8)}),
                                          frozenset({date(2026, 9, 27), date(2026, 10, 10)}))])
    # Starts Tue 9-29: 9-29, 9-30, (holidays 10-1..7), 10-8, 10-9, Sat 10-10 (调休 working day).
    assert publicity_ends(date(2026, 9, 29), calendar, RULES) == date(2026, 10, 10)
    # A start on a holiday counts from the next working day.
    assert publicity_ends(date(2026, 10, 3), calendar, RULES) == date(2026, 10, 13)  # 8, 9, 10, 12, 13


@given(calendars(), days_2026)
def test_a_publicity_holds_exactly_its_working_days(calendar: WorkCalendar, start: date) -> None:
    end = publicity_ends(start, calendar, RULES)
    assert calendar.is_working_day(end)
    assert len(list(calendar.working_days(start, end))) == RULES.publicity_working_days


def test_review_and_appeal_run_on_calendar_days_as_the_law_counts_them() -> None:
    assert review_request_due(date(2027, 2, 1), RULES) == date(2027, 3, 3)
    assert review_decision_due(date(2027, 2, 10), RULES) == date(2027, 3, 12)
    assert appeal_due(date(2027, 3, 12), RULES) == date(2027, 3, 27)

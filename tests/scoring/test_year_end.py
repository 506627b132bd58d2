"""The year's close: the democratic ballot, who evaluates whom, a published year's decisions,
what a re-publish changed, imported figures and the automatic opening."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.annual import AnnualInput, annual_score, democratic_from_totals, democratic_score
from scoring.clock import SHANGHAI
from scoring.config import ScoringConfig
from scoring.grades import AnnualGrade, GradeCandidate, QuarterGrade, StaffCategory
from scoring.rule_settings import GradeSettings
from scoring.types import Member, Rank, Role
from scoring.use import LastPlaceAction, last_place_ladder
from scoring.workdays import WorkCalendar
from scoring.year_end import (
    ALL_PAIRS,
    EarlierYears,
    check_evaluation,
    check_marks,
    evaluation_assignments,
    evaluation_due,
    publication_changes,
    read_result,
    unfinished_lines,
    year_outcome,
)
from tests.scoring.calendars import calendars

CFG = ScoringConfig()
D = Decimal
marks = st.integers(50, 100)


@given(st.lists(marks, min_size=5, max_size=5))
def test_five_marks_in_range_are_accepted_as_given(line: list[int]) -> None:
    check = check_evaluation([str(m) for m in line], CFG)
    assert check.ok and [check.marks[i] for i in range(5)] == line


@given(st.lists(marks, min_size=5, max_size=5), st.integers(0, 4), st.sampled_from(["49", "101", "90.5", "九十", ""]))
def test_a_bad_mark_is_refused_naming_its_dimension(line: list[int], index: int, bad: str) -> None:
    raw: list[object] = list(line)
    raw[index] = bad
    check = check_evaluation(raw, CFG)  # type: ignore[arg-type]
    assert not check.ok and index not in check.marks
    assert check.reasons_zh[0].startswith("德能勤绩廉"[index] + "：")


@pytest.mark.parametrize("count", [0, 1, 4, 6])
def test_anything_but_five_marks_is_refused(count: int) -> None:
    check = check_evaluation(["90"] * count, CFG)
    assert not check.ok and "德、能、勤、绩、廉 5 项" in check.reasons_zh[0] and f"收到 {count} 项" in check.reasons_zh[0]


def test_a_card_step_checks_only_its_marks() -> None:
    check = check_marks({3: "85", 4: "95"}, CFG)
    assert check.ok and dict(check.marks) == {3: 85, 4: 95}


roles = st.sampled_from([Role.main_leader, Role.leadership, Role.staff])


@given(st.lists(roles, min_size=1, max_size=8), st.sets(st.sampled_from(["x1", "x2", "m0"]), max_size=3))
def test_everyone_evaluates_every_other_member_and_extras_evaluate_all(unit_roles: list[Role], extra: set[str]) -> None:
    members = [Member(f"m{i}", role) for i, role in enumerate(unit_roles)]
    pairs = set(evaluation_assignments(members, extra, CFG))
    ids = {m.userid for m in members}
    expected = {(a, b) for a in ids for b in ids if a != b} | {(x, b) for x in extra - ids for b in ids}
    assert pairs == expected


def test_who_evaluates_whom_is_a_setting() -> None:
    members = [Member("lead", Role.main_leader), Member("dep", Role.leadership), Member("s", Role.staff)]
    only_up = {(Role.staff, Role.main_leader), (Role.leadership, Role.main_leader)}
    assert evaluation_assignments(members, (), CFG, only_up) == [("dep", "lead"), ("s", "lead")]
    assert len(evaluation_assignments(members, (), CFG, ALL_PAIRS)) == 6


@given(st.lists(st.tuples(marks, marks, marks, marks, marks), max_size=30), st.booleans())
def test_totals_from_the_database_score_like_the_ballots(ballots: list[tuple[int, ...]], no_summary: bool) -> None:
    total = sum(map(sum, ballots))
    assert democratic_from_totals(total, len(ballots), no_summary, CFG) == democratic_score(ballots, no_summary, CFG)


def test_unfinished_lines_name_the_missing_dimensions() -> None:
    drafts = {"a": {0: 90, 1: 90, 2: 90, 3: 90, 4: 90}, "b": {0: 80, 1: 80, 2: 80}}
    assert unfinished_lines(drafts, ["a", "b", "c"]) == {"b": (3, 4), "c": (0, 1, 2, 3, 4)}


@given(st.sets(st.integers(2018, 2025)), st.integers(2019, 2026))
def test_the_ladder_counts_consecutive_years_back(last_years: set[int], year: int) -> None:
    earlier = {y: frozenset({"u"}) if y in last_years else frozenset() for y in range(2015, year)}
    (flag,) = last_place_ladder({"u": "unit"}, earlier, year)
    streak = 1
    while year - streak in last_years:
        streak += 1
    assert flag.streak == streak and flag.years == tuple(range(year - streak + 1, year + 1))
    want = {1: LastPlaceAction.reminder_talk, 2: LastPlaceAction.admonishment}.get(
        streak, LastPlaceAction.organisational_handling)
    assert flag.action is want


published = st.decimals(50, 100, places=2, allow_nan=False, allow_infinity=False)


@given(
    st.lists(st.tuples(st.integers(0, 2), st.sampled_from(list(Rank)), published), min_size=1, max_size=25),
    st.sets(st.integers(0, 24)),
)
def test_a_year_decides_by_its_rules(cadres: list[tuple[int, Rank, Decimal]], excellent_2024: set[int]) -> None:
    results = [
        annual_score(AnnualInput(f"c{i:02d}", f"u{unit}", Role.staff, rank, score, score, {1: score, 2: score, 3: score, 4: score}), CFG)
        for i, (unit, rank, score) in enumerate(cadres)
    ]
    earlier = EarlierYears({2024: frozenset(f"c{i:02d}" for i in excellent_2024), 2022: frozenset(["c00"])}, {})
    outcome = year_outcome(2026, results, earlier, CFG)
    for grades in outcome.excellent.values():
        assert len(grades.excellent) <= grades.quota
        assert not set(grades.excellent) & set(grades.tied_at_boundary)
    for result in results:
        assert result.score is not None
        level = [r.score for r in results if r.rank == result.rank]
        position = 1 + sum(1 for s in level if s > result.score)  # type: ignore[operator]
        top = 2 * position <= len(level)
        assert outcome.commendation[result.userid].eligible is top
        was_excellent = result.userid in earlier.excellent[2024] or outcome.is_excellent(result.userid, result.unit)
        assert outcome.promotion[result.userid].eligible is (top or was_excellent)
        # 末位 (issue 24): last of a unit of 5 or more, never an automatic talk for the best.
        unit = [r.score for r in results if r.unit == result.unit]
        last = len(unit) >= 5 and result.score == min(unit) and max(unit) != min(unit)  # type: ignore[type-var]
        case = next((c for c in outcome.last_place if c.flag.userid == result.userid), None)
        assert (case is not None) is last
        if case is not None:
            best = top or outcome.is_excellent(result.userid, result.unit)
            assert case.automatic is not best


@given(
    st.lists(st.tuples(st.integers(0, 2), published, st.sampled_from(["open", "barred", "weak", "undetermined", "basic"])),
             min_size=1, max_size=25),
)
def test_graded_years_agree_with_the_proposal_and_honour_records_and_bars(
    cadres: list[tuple[int, Decimal, str]],
) -> None:
    """With `grading`, 优秀 everywhere (the unit's list, promotion, the last-place conflict) is
    the 等次 proposal's: nobody barred, recorded or with a weak 平时考核 is 优秀; a cadre with
    nothing against them is passed over only for a better score; the records stand."""
    results = [
        annual_score(AnnualInput(f"c{i:02d}", f"u{unit}", Role.staff, Rank.general, score, score,
                                 {1: score, 2: score, 3: score, 4: score}), CFG)
        for i, (unit, score, _) in enumerate(cadres)
    ]
    good, fair = (QuarterGrade.good,) * 4, (QuarterGrade.good, QuarterGrade.fair)
    candidates = {
        f"c{i:02d}": GradeCandidate(
            f"c{i:02d}", StaffCategory.civil_servant, results[i].score, fair if kind == "weak" else good,
            recorded={"undetermined": (AnnualGrade.undetermined, "试用期"),
                      "basic": (AnnualGrade.basically_competent, "决定")}.get(kind),
            barred_from_excellent="诫勉影响期" if kind == "barred" else None,
        )
        for i, (_, _, kind) in enumerate(cadres)
    }
    outcome = year_outcome(2026, results, EarlierYears({}, {}), CFG, grading=(candidates, GradeSettings()))
    assert set(outcome.grades) == set(candidates)
    for result, (_, _, kind) in zip(results, cadres, strict=True):
        userid, excellent = result.userid, outcome.is_excellent(result.userid, result.unit)
        assert excellent is (outcome.grades[userid].grade is AnnualGrade.excellent)
        if kind != "open":
            assert not excellent
        if kind in ("undetermined", "basic"):
            assert outcome.grades[userid].grade is candidates[userid].recorded[0]  # type: ignore[index]
        case = next((c for c in outcome.last_place if c.flag.userid == userid), None)
        if case is not None and excellent:
            assert not case.automatic
    for unit, grades in outcome.excellent.items():
        assessed = [c for c, r in zip(cadres, results, strict=True) if r.unit == unit and c[2] != "undetermined"]
        assert grades.headcount == len(assessed) and len(grades.excellent) <= grades.quota
        winners = [r.score for r in results if r.userid in grades.excellent]
        for r, (_, _, kind) in zip(results, cadres, strict=True):
            if r.unit == unit and kind == "open" and r.userid not in grades.excellent and r.userid not in grades.tied_at_boundary:
                assert all(r.score < w for w in winners)  # type: ignore[operator]


@given(st.dictionaries(st.sampled_from("abcd"), st.dictionaries(st.sampled_from(["annual", "rank"]), st.sampled_from(["1", "2"]))),
       st.dictionaries(st.sampled_from("abcd"), st.dictionaries(st.sampled_from(["annual", "rank"]), st.sampled_from(["1", "2"]))))
def test_a_republish_lists_exactly_what_differs(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> None:
    changes = publication_changes(before, after)
    assert (not changes) == (before == after)
    for change in changes:
        if change.field:
            assert before[change.userid].get(change.field) != after[change.userid].get(change.field)
        else:
            assert (change.userid in before) != (change.userid in after)


@pytest.mark.parametrize(
    ("raw", "result"),
    [("88.5", D("88.50")), (" 100 ", D("100.00")), ("0", D("0.00")), ("88.125", "「88.125」最多两位小数"),
     ("100.01", "「100.01」须在 0–100 之间"), ("-1", "「-1」须在 0–100 之间"), ("八十", "「八十」不是数字"),
     ("NaN", "「NaN」不是数字"), ("", "「」不是数字")],
)
def test_imported_figures_are_0_to_100_with_two_decimals_at_most(raw: str, result: object) -> None:
    assert read_result(raw) == result


@given(calendars())
def test_the_evaluation_opens_by_itself_only_in_its_window_and_only_when_configured(calendar: WorkCalendar) -> None:
    """open_after 2: the 2nd working day of the new year, then on each working day of the
    window while it is not open yet (after downtime); never before 9:00, never when 0."""
    moments = [datetime(2027, 1, 1, 9, 30, tzinfo=SHANGHAI) + timedelta(days=n) for n in range(45)]
    opens = calendar.add_working_days(date(2026, 12, 31), 2)
    last = calendar.add_working_days(opens, 9)
    due = [m.date() for m in moments if evaluation_due(calendar, m, open_after=2, duration=10, open_at=time(9)) == 2026]
    assert due[0] == opens and due[-1] == last
    assert due == [m.date() for m in moments if calendar.is_working_day(m.date()) and opens <= m.date() <= last]
    early = datetime.combine(opens, time(8, 59), tzinfo=SHANGHAI)
    assert evaluation_due(calendar, early, open_after=2, duration=10, open_at=time(9)) is None
    assert all(evaluation_due(calendar, m, open_after=0, duration=10, open_at=time(9)) is None for m in moments)


@given(
    st.lists(st.tuples(st.integers(0, 1), published), min_size=1, max_size=25),
    st.sets(st.integers(0, 24), max_size=6),
)
def test_a_barred_cadre_is_never_excellent_and_the_next_by_score_takes_the_place(
    cadres: list[tuple[int, Decimal]], barred_at: set[int]
) -> None:
    """A 公示 objection upheld (issue 24): the barred are never excellent, each unit keeps its
    quota (the barred still count), and the places go by score among the rest exactly as if
    the barred had not been ranked for 优秀."""
    results = [
        annual_score(AnnualInput(f"c{i:02d}", f"u{unit}", Role.staff, Rank.general, s, s, {1: s, 2: s, 3: s, 4: s}), CFG)
        for i, (unit, s) in enumerate(cadres)
    ]
    barred = frozenset(f"c{i:02d}" for i in barred_at)
    headcounts = {f"u{u}": sum(1 for unit, _ in cadres if unit == u) for u in (0, 1)}
    outcome = year_outcome(2026, results, EarlierYears({}, {}), CFG, headcounts, barred=barred)
    for unit, grades in outcome.excellent.items():
        assert not barred & set(grades.excellent) and not barred & set(grades.tied_at_boundary)
        assert grades.headcount == headcounts[unit]
        rest = sorted((r.score for r in results if r.unit == unit and r.userid not in barred), reverse=True)
        quota = grades.quota
        if rest and 0 < quota < len(rest) and rest[quota - 1] != rest[quota]:
            assert sorted((r.score for r in results if r.userid in grades.excellent), reverse=True) == rest[:quota]
        elif rest and quota >= len(rest):
            assert {r.userid for r in results if r.unit == unit and r.userid not in barred} == set(grades.excellent)


@given(
    st.lists(st.tuples(st.integers(0, 1), published), min_size=1, max_size=25),
    st.sets(st.integers(0, 24), max_size=3),
)
def test_a_review_decision_makes_its_cadre_excellent_and_moves_no_one_else(
    cadres: list[tuple[int, Decimal]], granted_at: set[int]
) -> None:
    """A 复核 decided in the cadre's favour (issue 24): they are excellent, and every other
    cadre's grade is what it was without the decision."""
    results = [
        annual_score(AnnualInput(f"c{i:02d}", f"u{unit}", Role.staff, Rank.general, s, s, {1: s, 2: s, 3: s, 4: s}), CFG)
        for i, (unit, s) in enumerate(cadres)
    ]
    granted = frozenset(f"c{i:02d}" for i in granted_at if i < len(cadres))
    before = year_outcome(2026, results, EarlierYears({}, {}), CFG)
    after = year_outcome(2026, results, EarlierYears({}, {}), CFG, granted=granted)
    for result in results:
        was = before.is_excellent(result.userid, result.unit)
        now = after.is_excellent(result.userid, result.unit)
        assert now is (was or result.userid in granted)
        assert after.promotion[result.userid].eligible is (before.promotion[result.userid].eligible or result.userid in granted)

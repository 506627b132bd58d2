"""R-USE-1..4: excellent by quota, promotion, commendation, last-place streaks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    LastPlaceAction,
    Rank,
    Ranking,
    ScoredCadre,
    ScoringConfig,
    commendation_eligibility,
    competition_ranking,
    eligible_for_promotion,
    excellent_by_unit,
    excellent_in_unit,
    excellent_quota,
    last_place,
    last_place_flags,
    promotion_eligibility,
)
from scoring.use import tie_decision_refusal

CFG = ScoringConfig()
D = Decimal


@pytest.mark.parametrize(
    ("headcount", "quota"),
    [(3, 0), (4, 0), (5, 1), (6, 1), (7, 1), (13, 1), (14, 2), (20, 3), (100, 15)],
)
def test_excellent_quota_is_15_percent_rounded_down_at_least_one_from_five(
    headcount: int, quota: int
) -> None:
    assert excellent_quota(headcount, CFG) == quota


def test_top_cadres_of_a_unit_are_excellent_up_to_the_quota() -> None:
    ranking = competition_ranking({f"c{i:02d}": D(95 - i) for i in range(14)})
    grades = excellent_in_unit("town", ranking, CFG)
    assert grades.quota == 2
    assert grades.excellent == ("c00", "c01")
    assert grades.tied_at_boundary == ()


def test_a_tie_that_would_overflow_the_quota_is_left_to_the_admin() -> None:
    scores = {"a": D("95"), "b": D("91"), "c": D("91"), **{f"x{i:02d}": D(80) for i in range(11)}}
    grades = excellent_in_unit("town", competition_ranking(scores), CFG)
    assert grades.quota == 2
    assert grades.excellent == ("a",)
    assert grades.tied_at_boundary == ("b", "c")


def test_a_tie_that_fits_the_quota_is_granted() -> None:
    scores = {"a": D("95"), "b": D("95"), **{f"x{i:02d}": D(80) for i in range(12)}}
    grades = excellent_in_unit("town", competition_ranking(scores), CFG)
    assert grades.excellent == ("a", "b")


def test_unscored_cadres_count_in_the_unit_headcount() -> None:
    cadres = [ScoredCadre(f"c{i}", "office", Rank.general, D(90 - i)) for i in range(4)]
    cadres.append(ScoredCadre("absent", "office", Rank.general, None))
    grades = excellent_by_unit(cadres, CFG)["office"]
    assert (grades.headcount, grades.quota, grades.excellent) == (5, 1, ("c0",))


@given(
    scores=st.lists(st.integers(60, 100), max_size=40),
    share=st.sampled_from(["0.15", "0.2", "0.5", "1"]),
)
def test_excellent_count_never_exceeds_quota(scores: list[int], share: str) -> None:
    cfg = ScoringConfig(excellent_share=share)
    ranking = competition_ranking({f"c{i:02d}": D(s) for i, s in enumerate(scores)})
    grades = excellent_in_unit("unit", ranking, cfg)
    assert len(grades.excellent) <= grades.quota
    if grades.excellent:
        worst_excellent = min(ranking.entries[ranking.positions[u] - 1].score for u in grades.excellent)
        # Nobody left out scores better than someone graded excellent.
        assert all(e.score <= worst_excellent for e in ranking.entries if e.userid not in grades.excellent)


def test_the_admin_grants_a_tied_cadre_and_the_rest_of_the_tie_is_settled() -> None:
    scores = {"a": D("95"), "b": D("91"), "c": D("91"), "d": D("91"), **{f"x{i:02d}": D(80) for i in range(10)}}
    ranking = competition_ranking(scores)
    granted = excellent_in_unit("town", ranking, CFG, decisions={"c": True})
    assert (granted.excellent, granted.tied_at_boundary, granted.tied) == (("a", "c"), (), ("b", "c", "d"))
    # Refusing one still leaves two for one place; refusing two leaves one, who fits.
    assert excellent_in_unit("town", ranking, CFG, decisions={"b": False}).tied_at_boundary == ("c", "d")
    two_refused = excellent_in_unit("town", ranking, CFG, decisions={"b": False, "d": False})
    assert two_refused.excellent == ("a", "c")
    assert tie_decision_refusal(granted, "b", True, {"c": True}) == (
        "本单位优秀名额 2 个，同分人员中可评 1 人，已评定 1 人，名额已满"
    )
    assert tie_decision_refusal(granted, "x00", True, {}) is not None
    # Decisions that no longer fit (the figures changed) are set aside: the tie awaits again.
    stale = excellent_in_unit("town", ranking, CFG, decisions={"b": True, "c": True})
    assert (stale.excellent, stale.tied_at_boundary) == (("a",), ("b", "c", "d"))


@given(
    scores=st.lists(st.integers(85, 95), min_size=5, max_size=30),
    decided=st.dictionaries(st.integers(0, 29), st.booleans()),
    share=st.sampled_from(["0.15", "0.2", "0.5"]),
)
def test_decisions_never_break_the_quota_or_pass_over_a_better_score(
    scores: list[int], decided: dict[int, bool], share: str
) -> None:
    cfg = ScoringConfig(excellent_share=share)
    ranking = competition_ranking({f"c{i:02d}": D(s) for i, s in enumerate(scores)})
    decisions = {f"c{i:02d}": granted for i, granted in decided.items() if i < len(scores)}
    grades = excellent_in_unit("unit", ranking, cfg, decisions=decisions)
    assert len(grades.excellent) <= grades.quota
    assert grades.tied == excellent_in_unit("unit", ranking, cfg).tied  # decisions never move the tie
    score = {e.userid: e.score for e in ranking.entries}
    worst = min((score[u] for u in grades.excellent), default=None)
    assert worst is None or all(score[u] <= worst for u in score if u not in grades.excellent)
    for userid in grades.tied:
        if tie_decision_refusal(grades, userid, True, decisions) is None:
            after = excellent_in_unit("unit", ranking, cfg, decisions={**decisions, userid: True})
            assert userid in after.excellent and len(after.excellent) <= after.quota
        refused = excellent_in_unit("unit", ranking, cfg, decisions={**decisions, userid: False})
        assert userid not in refused.excellent


def level(size: int, prefix: str = "c") -> Ranking:
    return competition_ranking({f"{prefix}{i:03d}": D(1000 - i) for i in range(size)})


def test_promotion_by_top_half_of_last_year() -> None:
    rankings = {Rank.zhengke: level(222)}
    decision = promotion_eligibility("c034", rankings, [], 2025, CFG)
    assert decision.eligible and decision.in_top_half
    assert decision.reason_zh == (
        "符合提拔的实绩条件：2025年度考核成绩在全区正科级 222 人中排第 35 名，列前 1/2；"
        "近三年（2023–2025年）无优秀等次"
    )


def test_promotion_by_an_excellent_in_the_last_three_years() -> None:
    rankings = {Rank.zhengke: level(222)}
    decision = promotion_eligibility("c149", rankings, [2019, 2023], 2025, CFG)
    assert decision.eligible and not decision.in_top_half
    assert decision.excellent_years == (2023,)
    assert decision.reason_zh == (
        "符合提拔的实绩条件：2025年度考核成绩在全区正科级 222 人中排第 150 名，未列前 1/2；"
        "近三年（2023–2025年）有 1 次优秀（2023年）"
    )


def test_no_promotion_without_either_condition() -> None:
    rankings = {Rank.fuke: level(387)}
    decision = promotion_eligibility("c200", rankings, [2022], 2025, CFG)
    assert not decision.eligible
    assert decision.reason_zh.startswith("不符合提拔的实绩条件：")
    unranked = promotion_eligibility("newcomer", rankings, [], 2025, CFG)
    assert not unranked.eligible
    assert "2025年度无全区同职级考核排名" in unranked.reason_zh


def test_admin_list_of_eligible_cadres_per_rank() -> None:
    rankings = {Rank.zhengke: level(4, "z"), Rank.fuke: level(4, "f")}
    candidates = {"z000": Rank.zhengke, "z003": Rank.zhengke, "f003": Rank.zhengke, "f002": Rank.fuke}
    result = eligible_for_promotion(rankings, {"f003": [2024]}, 2025, CFG, candidates)
    assert {lvl: [d.userid for d in ds] for lvl, ds in result.items()} == {
        Rank.zhengke: ["f003", "z000"],  # f003 was promoted since; eligible by excellent
    }


def test_commendation_needs_district_top_half_of_the_level() -> None:
    rankings = {Rank.general: level(731)}
    yes = commendation_eligibility("c364", rankings, 2025)
    no = commendation_eligibility("c365", rankings, 2025)
    assert yes.eligible and not no.eligible
    assert yes.reason_zh == "2025年度考核成绩在全区一般干部 731 人中排第 365 名，列前 1/2，可推荐评先评优"


def test_last_place_includes_ties_and_needs_someone_to_be_better() -> None:
    assert last_place(competition_ranking({"a": D(90), "b": D(80), "c": D(80)})) == ("b", "c")
    assert last_place(competition_ranking({"a": D(80), "b": D(80)})) == ()
    assert last_place(competition_ranking({"a": D(80)})) == ()


def unit(**scores: int) -> Ranking:
    return competition_ranking({userid: D(score) for userid, score in scores.items()})


def test_three_year_last_place_streak_escalates() -> None:
    history = {
        2023: {"town": unit(lazy=70, good=90, fine=85)},
        2024: {"town": unit(lazy=72, good=91, fine=71), "office": unit(x=80, y=75)},
        2025: {"town": unit(lazy=60, good=92, fine=80), "office": unit(x=80, y=79)},
    }
    assert [(f.userid, f.streak) for f in last_place_flags(history, 2023)] == [("lazy", 1)]
    flags_2024 = last_place_flags(history, 2024)
    assert [(f.userid, f.streak, f.action) for f in flags_2024] == [
        ("y", 1, LastPlaceAction.reminder_talk),
        ("fine", 1, LastPlaceAction.reminder_talk),
    ]
    flags_2025 = last_place_flags(history, 2025)
    assert [(f.userid, f.unit, f.streak, f.years, f.action) for f in flags_2025] == [
        ("y", "office", 2, (2024, 2025), LastPlaceAction.admonishment),
        ("lazy", "town", 1, (2025,), LastPlaceAction.reminder_talk),
    ]
    history[2024]["town"] = unit(lazy=70, good=91, fine=71)
    flags = last_place_flags(history, 2025)
    assert flags[0].userid == "lazy" and flags[0].streak == 3
    assert flags[0].action is LastPlaceAction.organisational_handling
    assert flags[0].action_zh.startswith("组织处理")


def test_a_gap_in_history_ends_the_streak_and_unit_moves_keep_it() -> None:
    history = {
        2022: {"a": unit(p=60, q=90)},
        2024: {"a": unit(p=60, q=90)},
        2025: {"b": unit(p=60, r=90)},  # p moved to unit b and is last again
    }
    (flag,) = last_place_flags(history, 2025)
    assert (flag.userid, flag.unit, flag.streak, flag.action) == ("p", "b", 2, LastPlaceAction.admonishment)

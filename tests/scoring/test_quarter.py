"""R-RATE-7 quarterly score with R-LOG-6 deductions and R-RATE-5 visibility."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    QuarterInput,
    Rank,
    RaterGroup,
    Role,
    ScoringConfig,
    UnitCategory,
    quarter_deduction,
    rescore,
    score_quarter,
    score_quarters,
)

CFG = ScoringConfig()
LEAD, PEER, OTHER = RaterGroup.lead, RaterGroup.peer, RaterGroup.other


def quarter(
    scores: dict[RaterGroup, list[int]],
    *,
    role: Role = Role.staff,
    missing_days: int = 0,
    no_summary: bool = False,
    userid: str = "clerk",
    category: UnitCategory = UnitCategory.township,
) -> QuarterInput:
    return QuarterInput(userid, "town", category, role, Rank.general, scores, missing_days, no_summary)


def test_four_three_three_worked_example() -> None:
    """主评 90, 互评 mean 80, 参评 mean 80: 0.4×90 + 0.3×80 + 0.3×80 = 84.00."""
    result = score_quarter(quarter({LEAD: [90], PEER: [85, 80, 75], OTHER: [70, 80, 90]}), CFG)
    assert result.raw_score == Decimal("84.00")
    assert result.score == Decimal("84.00")
    assert result.deduction == Decimal("0.00")
    assert dict(result.weights_used) == {LEAD: Fraction(2, 5), PEER: Fraction(3, 10), OTHER: Fraction(3, 10)}
    assert dict(result.rater_counts) == {LEAD: 1, PEER: 3, OTHER: 3}


def test_group_means_are_exact_until_the_end() -> None:
    """互评 mean 80.333…, 参评 mean 81.666…: rounding each mean first would give 83.70."""
    result = score_quarter(quarter({LEAD: [85], PEER: [80, 80, 81], OTHER: [81, 82, 82]}), CFG)
    # 0.4×85 + 0.3×241/3 + 0.3×245/3 = 34 + 24.1 + 24.5 = 82.60 exactly
    assert result.score == Decimal("82.60")


def test_main_leader_without_lead_rater_is_scored_by_the_other_groups() -> None:
    result = score_quarter(quarter({PEER: [80, 90, 85], OTHER: [70, 75, 80, 75]}, role=Role.main_leader), CFG)
    assert dict(result.weights_used) == {PEER: Fraction(1, 2), OTHER: Fraction(1, 2)}
    assert result.score == Decimal("80.00")  # (85 + 75) / 2


def test_deductions_missing_logs_and_summary() -> None:
    scores = {LEAD: [90], PEER: [85, 80, 75], OTHER: [70, 80, 90]}
    result = score_quarter(quarter(scores, missing_days=3, no_summary=True), CFG)
    assert result.deduction == Decimal("2.60")  # 3 × 0.2 + 2
    assert result.score == Decimal("81.40")
    assert result.raw_score == Decimal("84.00")


def test_log_deduction_is_capped_at_ten_per_quarter() -> None:
    assert quarter_deduction(49, False, CFG) == Fraction(49, 5)
    assert quarter_deduction(50, False, CFG) == 10
    assert quarter_deduction(64, False, CFG) == 10
    assert quarter_deduction(64, True, CFG) == 12  # the summary deduction is on top of the cap


def test_deduction_never_drives_a_score_below_zero() -> None:
    cfg = ScoringConfig(log_deduction_per_day=5, log_deduction_cap=1000)
    result = score_quarter(quarter({OTHER: [50]}, missing_days=60), cfg)
    assert result.score == Decimal("0.00")
    assert result.deduction == Decimal("300.00")


def test_nobody_rated_gives_no_score_not_zero() -> None:
    result = score_quarter(quarter({}, missing_days=2), CFG)
    assert result.score is None and result.raw_score is None and not result.rated
    assert result.deduction == Decimal("0.40")
    assert dict(result.weights_used) == {}


def test_group_means_hidden_while_any_group_has_fewer_than_three_raters() -> None:
    # Showing 互评/参评 next to the total would reveal the single 主评 score by subtraction.
    small_lead = score_quarter(quarter({LEAD: [90], PEER: [85, 80, 75], OTHER: [70, 80, 90]}), CFG)
    assert dict(small_lead.group_means_visible) == {}

    all_big = score_quarter(
        quarter({LEAD: [90, 91, 92], PEER: [85, 80, 75], OTHER: [70, 80, 91]}), CFG
    )
    assert dict(all_big.group_means_visible) == {
        LEAD: Decimal("91.00"), PEER: Decimal("80.00"), OTHER: Decimal("80.33")
    }

    main_leader = score_quarter(quarter({PEER: [85, 80, 75], OTHER: [70, 80, 90]}, role=Role.main_leader), CFG)
    assert set(main_leader.group_means_visible) == {PEER, OTHER}


def test_out_of_range_stored_scores_fail_loudly() -> None:
    with pytest.raises(ValueError):
        score_quarter(quarter({OTHER: [49]}), CFG)
    with pytest.raises(ValueError):
        score_quarter(quarter({OTHER: [90.5]}), CFG)  # type: ignore[list-item]
    with pytest.raises(ValueError):
        score_quarter(quarter({OTHER: [80]}, missing_days=-1), CFG)


def test_category_weights_are_per_unit_category() -> None:
    cfg = ScoringConfig(group_weights={
        "township": {"lead": 5, "peer": 3, "other": 2},
        "district_unit": {"lead": 4, "peer": 3, "other": 3},
        "sub_unit": {"lead": 4, "peer": 3, "other": 3},
    })
    scores = {LEAD: [100], PEER: [50, 50, 50], OTHER: [50, 50, 50]}
    assert score_quarter(quarter(scores), cfg).score == Decimal("75.00")
    district = quarter(scores, category=UnitCategory.district_unit)
    assert score_quarter(district, cfg).score == Decimal("70.00")


score_lists = st.lists(st.integers(50, 100), max_size=12)
group_scores = st.fixed_dictionaries({LEAD: score_lists, PEER: score_lists, OTHER: score_lists})


@given(scores=group_scores, category=st.sampled_from(list(UnitCategory)))
def test_score_before_deductions_stays_within_its_inputs(
    scores: dict[RaterGroup, list[int]], category: UnitCategory
) -> None:
    result = score_quarter(quarter(scores, category=category), CFG)
    everything = [s for group in scores.values() for s in group]
    if not everything:
        assert result.raw_score is None
        return
    assert result.raw_score is not None
    assert min(everything) <= result.raw_score <= max(everything)
    assert sum(result.weights_used.values()) == 1


@given(scores=group_scores, days=st.integers(0, 80), no_summary=st.booleans())
def test_score_is_raw_minus_deduction_floored_at_zero(
    scores: dict[RaterGroup, list[int]], days: int, no_summary: bool
) -> None:
    result = score_quarter(quarter(scores, missing_days=days, no_summary=no_summary), CFG)
    if result.raw_score is not None:
        # Deductions are multiples of 0.2, so the rounded figures subtract exactly.
        assert result.score == max(Decimal("0.00"), result.raw_score - result.deduction)
        assert 0 <= result.score <= result.raw_score


@given(scores=group_scores, days=st.integers(0, 80), no_summary=st.booleans(),
       new_days=st.integers(0, 80), new_no_summary=st.booleans(), category=st.sampled_from(list(UnitCategory)))
def test_a_republish_from_the_published_raw_score_gives_what_the_ballots_would(
    scores: dict[RaterGroup, list[int]], days: int, no_summary: bool, new_days: int, new_no_summary: bool,
    category: UnitCategory,
) -> None:
    """The ballots are gone when a quarter is re-published: its published (rounded) weighted
    score with the new deductions must give the figures publishing the ballots would."""
    published = score_quarter(quarter(scores, missing_days=days, no_summary=no_summary, category=category), CFG)
    truth = score_quarter(quarter(scores, missing_days=new_days, no_summary=new_no_summary, category=category), CFG)
    assert rescore(published.raw_score, new_days, new_no_summary, CFG) == (truth.deduction, truth.score)


def test_a_republish_keeps_an_unrated_cadre_unrated_and_floors_at_zero() -> None:
    assert rescore(None, 3, True, CFG) == (Decimal("2.60"), None)
    assert rescore(Decimal("5.00"), 80, True, CFG) == (Decimal("12.00"), Decimal("0.00"))
    assert rescore(Decimal("88.13"), 2, False, CFG) == (Decimal("0.40"), Decimal("87.73"))


@given(inputs=st.lists(group_scores, min_size=1, max_size=8), seed=st.randoms())
def test_results_do_not_depend_on_input_order(
    inputs: list[dict[RaterGroup, list[int]]], seed: random.Random
) -> None:
    cadres = [quarter(scores, userid=f"c{i}") for i, scores in enumerate(inputs)]
    expected = {r.userid: r for r in score_quarters(cadres, CFG)}

    shuffled = []
    for cadre in cadres:
        regrouped = {}
        for group, scores in cadre.scores_by_group.items():
            scores = list(scores)
            seed.shuffle(scores)
            regrouped[group] = scores
        shuffled.append(quarter(regrouped, userid=cadre.userid))
    seed.shuffle(shuffled)
    assert {r.userid: r for r in score_quarters(shuffled, CFG)} == expected
    # Batch and one-by-one give the same figures.
    assert [score_quarter(c, CFG) for c in cadres] == [expected[c.userid] for c in cadres]

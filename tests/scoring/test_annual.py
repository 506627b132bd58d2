"""R-YEAR-1 democratic evaluation and R-YEAR-3 annual composite, with explicit missing parts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    MISSING_DEMOCRATIC,
    MISSING_QUARTERS,
    MISSING_UNIT_RESULT,
    AnnualInput,
    Rank,
    Role,
    ScoringConfig,
    annual_score,
    democratic_score,
    missing_quarter,
)

CFG = ScoringConfig()
D = Decimal
DEMOCRATIC_90 = D("90")
UNIT_RESULT_80 = D("80")


def annual(
    role: Role,
    democratic: Decimal | None = DEMOCRATIC_90,
    unit_result: Decimal | None = UNIT_RESULT_80,
    quarters: dict[int, Decimal | None] | None = None,
    excused: frozenset[int] = frozenset(),
) -> AnnualInput:
    if quarters is None:
        quarters = {1: D("84"), 2: D("86"), 3: D("85"), 4: D("85")}
    return AnnualInput("cadre", "town", role, Rank.fuke, democratic, unit_result, quarters, excused)


def test_main_leader_composite_is_10_30_60() -> None:
    # 0.1×90 + 0.3×80 + 0.6×85 = 9 + 24 + 51
    result = annual_score(annual(Role.main_leader), CFG)
    assert result.score == D("84.00")
    assert result.quarter_mean == D("85.00")
    assert result.missing == ()


@pytest.mark.parametrize("role", [Role.leadership, Role.staff])
def test_everyone_else_composite_is_10_20_70(role: Role) -> None:
    # 0.1×90 + 0.2×80 + 0.7×85 = 9 + 16 + 59.5
    assert annual_score(annual(role), CFG).score == D("84.50")


def test_composite_rounds_once_from_published_figures() -> None:
    # mean of 3 quarters = 256.01/3 = 85.33666…; 0.7 × that = 59.735666…; total 84.7357 → 84.74
    result = annual_score(
        annual(Role.staff, quarters={1: D("85.01"), 2: D("85.50"), 3: D("85.50")},
               excused=frozenset({4})),
        CFG,
    )
    assert result.quarter_mean == D("85.34")
    assert result.score == D("84.74")


def test_superior_leaders_are_not_scored() -> None:
    with pytest.raises(ValueError):
        annual_score(annual(Role.superior), CFG)


def test_missing_quarter_is_named_and_there_is_no_score() -> None:
    result = annual_score(annual(Role.staff, quarters={1: D("84"), 2: None, 4: D("85")}), CFG)
    assert result.score is None
    assert result.missing == (missing_quarter(2), missing_quarter(3))
    assert result.missing_zh == "第二季度考核得分、第三季度考核得分"
    assert result.quarters_counted == (1, 4)


def test_missing_unit_result_and_democratic_are_named() -> None:
    result = annual_score(annual(Role.main_leader, democratic=None, unit_result=None), CFG)
    assert result.score is None
    assert result.missing == (MISSING_DEMOCRATIC, MISSING_UNIT_RESULT)
    assert result.missing_zh == "年度民主测评得分、本单位年度综合考核结果"


def test_excused_quarters_leave_the_mean_of_the_rest() -> None:
    """A cadre who joined in Q3: the admin excuses Q1 and Q2."""
    result = annual_score(
        annual(Role.staff, quarters={3: D("80"), 4: D("90")}, excused=frozenset({1, 2})), CFG
    )
    assert result.quarter_mean == D("85.00")
    assert result.score == D("84.50")
    assert result.quarters_counted == (3, 4)


def test_all_quarters_excused_is_missing_quarters() -> None:
    result = annual_score(annual(Role.staff, quarters={}, excused=frozenset({1, 2, 3, 4})), CFG)
    assert result.score is None
    assert result.missing == (MISSING_QUARTERS,)


def test_bad_quarter_numbers_and_unit_results_are_refused() -> None:
    with pytest.raises(ValueError):
        annual_score(annual(Role.staff, quarters={5: D("80")}), CFG)
    with pytest.raises(ValueError):
        annual_score(annual(Role.staff, unit_result=D("101")), CFG)


def test_democratic_mean_over_raters_and_five_dimensions_minus_summary_deduction() -> None:
    ballots = [(90, 85, 80, 95, 100), (80, 80, 80, 80, 80), (70, 75, 80, 85, 90)]
    # (450 + 400 + 400) / 15 = 83.333…
    assert democratic_score(ballots, False, CFG).score == D("83.33")
    result = democratic_score(ballots, True, CFG)
    assert (result.mean, result.deduction, result.score) == (D("83.33"), D("2.00"), D("81.33"))
    assert result.rater_count == 3


def test_democratic_without_ballots_is_none() -> None:
    result = democratic_score([], True, CFG)
    assert result.score is None and result.mean is None
    assert result.deduction == D("2.00")


@pytest.mark.parametrize("ballot", [(90, 85, 80, 95), (90, 85, 80, 95, 101), (90, 85, 80, 95, 49)])
def test_democratic_ballot_must_have_five_scores_in_range(ballot: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        democratic_score([(80, 80, 80, 80, 80), ballot], False, CFG)


published = st.decimals(50, 100, places=2, allow_nan=False, allow_infinity=False)


@given(
    role=st.sampled_from([Role.main_leader, Role.leadership, Role.staff]),
    democratic=published,
    unit_result=st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False),
    quarters=st.dictionaries(st.integers(1, 4), published, min_size=1),
)
def test_composite_stays_within_its_components(
    role: Role, democratic: Decimal, unit_result: Decimal, quarters: dict[int, Decimal]
) -> None:
    excused = frozenset({1, 2, 3, 4} - set(quarters))
    result = annual_score(annual(role, democratic, unit_result, quarters, excused), CFG)
    assert result.score is not None
    parts = [democratic, unit_result, *quarters.values()]
    assert min(parts) <= result.score <= max(parts)


@given(ballots=st.lists(st.tuples(*[st.integers(50, 100)] * 5), min_size=1, max_size=20))
def test_democratic_mean_is_order_free_and_within_range(ballots: list[tuple[int, ...]]) -> None:
    result = democratic_score(ballots, False, CFG)
    assert result == democratic_score(list(reversed(ballots)), False, CFG)
    assert result.score is not None
    assert min(map(min, ballots)) <= result.score <= max(map(max, ballots))

"""scoring.disclosure as a table: which figure a viewer is shown, and how counts are worded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.disclosure import (
    count_zh,
    own_unit_place_shown,
    quarter_shown,
    shown_ranking,
    shows,
    withheld_zh,
    year_shown,
)
from scoring.ranking import competition_ranking
from scoring.types import RaterGroup

LEAD, PEER, OTHER = RaterGroup.lead, RaterGroup.peer, RaterGroup.other


@pytest.mark.parametrize(("raters", "viewer_may_be_rater", "shown"), [
    (2, False, False), (3, False, True),  # the cadre themself, the admin
    (3, True, False), (4, True, True),  # a leader who may be one of the three
])
def test_a_figure_needs_k_raters_besides_the_viewer(raters: int, viewer_may_be_rater: bool, shown: bool) -> None:
    assert shows(raters, 3, viewer_may_be_rater=viewer_may_be_rater) is shown


def test_group_means_need_every_group_to_have_k_raters() -> None:
    big = quarter_shown({LEAD: 1, PEER: 3, OTHER: 3}, 3)
    assert big.score and not big.group_means  # the total, never the means beside it
    assert quarter_shown({LEAD: 0, PEER: 3, OTHER: 4}, 3).group_means
    tuanquwei = quarter_shown({PEER: 1}, 3)  # 吕潇: 施燕 alone
    assert not tuanquwei.score and not tuanquwei.place_in_list


def test_a_composite_goes_with_its_parts() -> None:
    few_evaluators = year_shown(2, {1: 7, 2: 7}, 3)
    assert not few_evaluators.democratic and not few_evaluators.composite and few_evaluators.quarter_mean
    one_small_quarter = year_shown(9, {1: 7, 2: 2}, 3)
    assert one_small_quarter.democratic and not one_small_quarter.quarter_mean and not one_small_quarter.composite
    assert one_small_quarter.anything_withheld and not year_shown(9, {1: 7}, 3).anything_withheld


def test_counts_below_k_are_never_printed() -> None:
    assert [count_zh(n, 3) for n in (1, 2, 3, 12)] == ["不足 3 人", "不足 3 人", "3 人", "12 人"]
    assert withheld_zh(3) == "评分人不足 3 人，为保护匿名不公布"


def test_a_main_leader_is_not_told_a_withheld_place_in_the_unit_whose_list_he_sees() -> None:
    assert own_unit_place_shown(True, True) and own_unit_place_shown(False, False)
    assert not own_unit_place_shown(False, True)


def test_a_list_keeps_the_shown_entries_places_and_drops_the_withheld() -> None:
    ranking = competition_ranking({"a": Decimal("90"), "x": Decimal("85"), "b": Decimal("85"), "c": Decimal("70")})
    seen = shown_ranking(ranking, lambda u: u != "x")
    assert [(e.userid, e.position) for e in seen.entries] == [("a", 1), ("b", 2), ("c", 4)]
    assert seen.position_of("x") is None


@given(st.lists(st.integers(5000, 10000), min_size=2, max_size=12), st.data())
def test_a_list_cannot_tell_a_withheld_score_tied_with_a_shown_one_from_one_just_below(
    cents: list[int], data: st.DataObject
) -> None:
    """The proof that a list's places never equate a withheld score: with X tied with a
    shown Y, or X a thousandth below Y (between Y and the next published score, 0.01 lower),
    every shown line — name, place, score — and the withheld names are the same."""
    scores = {f"u{i}": Decimal(c) / 100 for i, c in enumerate(cents)}
    withheld = data.draw(st.sets(st.sampled_from(sorted(scores)), min_size=1, max_size=len(scores) - 1))
    x = data.draw(st.sampled_from(sorted(withheld)))
    y = data.draw(st.sampled_from(sorted(set(scores) - withheld)))

    def shown_lines(x_score: Decimal) -> list[tuple[str, int, Decimal]]:
        ranking = competition_ranking({**scores, x: x_score})
        return [(e.userid, e.position, e.score) for e in shown_ranking(ranking, lambda u: u not in withheld).entries]

    assert shown_lines(scores[y]) == shown_lines(scores[y] - Decimal("0.001"))

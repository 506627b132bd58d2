"""R-YEAR-4: competition ranking (1, 2, 2, 4), within units and rank levels, extremes."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    Rank,
    ScoredCadre,
    competition_ranking,
    level_extremes,
    rank_within_levels,
    rank_within_units,
)

D = Decimal


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    ranking = competition_ranking({"a": D("95"), "b": D("90"), "c": D("90"), "d": D("85"), "e": None})
    assert [(e.userid, e.position) for e in ranking.entries] == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]
    assert ranking.unranked == ("e",)
    assert ranking.size == 4
    assert ranking.position_of("c") == 2
    assert ranking.position_of("e") is None


def test_equal_published_figures_tie_even_if_written_differently() -> None:
    ranking = competition_ranking([("a", D("90.0")), ("b", D("90.00"))])
    assert [e.position for e in ranking.entries] == [1, 1]


def test_duplicate_userids_are_refused() -> None:
    with pytest.raises(ValueError):
        competition_ranking([("a", D("90")), ("a", D("80"))])


@pytest.mark.parametrize(
    ("size", "last_in_top_half"),
    [(222, 111), (387, 193), (731, 365), (4, 2), (5, 2), (1, 0)],  # the seed's three levels
)
def test_top_half_is_position_at_most_n_over_2(size: int, last_in_top_half: int) -> None:
    ranking = competition_ranking({f"c{i:04d}": D(1000 - i) for i in range(size)})
    in_top = [e.userid for e in ranking.entries if ranking.in_top_half(e.userid)]
    assert len(in_top) == last_in_top_half


def test_rankings_within_units_and_levels_with_extremes() -> None:
    cadres = [
        ScoredCadre("z1", "town", Rank.zhengke, D("93.10")),
        ScoredCadre("z2", "office", Rank.zhengke, D("88.00")),
        ScoredCadre("z3", "office", Rank.zhengke, D("88.00")),
        ScoredCadre("f1", "town", Rank.fuke, D("86.50")),
        ScoredCadre("g1", "town", Rank.general, None),
    ]
    units = rank_within_units(cadres)
    assert [(e.userid, e.position) for e in units["town"].entries] == [("z1", 1), ("f1", 2)]
    assert units["town"].unranked == ("g1",)
    levels = rank_within_levels(cadres)
    extremes = level_extremes(levels)
    assert extremes[Rank.zhengke].highest == D("93.10")
    assert extremes[Rank.zhengke].highest_userids == ("z1",)
    assert extremes[Rank.zhengke].lowest_userids == ("z2", "z3")
    assert extremes[Rank.zhengke].count == 3
    assert Rank.general not in extremes  # nobody ranked there


scores = st.dictionaries(
    st.text("abcdefghijk", min_size=1, max_size=3),
    st.one_of(st.none(), st.decimals(50, 100, places=2, allow_nan=False, allow_infinity=False)),
    max_size=30,
)


@given(scores=scores, seed=st.randoms())
def test_ranking_is_a_permutation_invariant_function_of_scores(
    scores: dict[str, Decimal | None], seed: random.Random
) -> None:
    items = list(scores.items())
    seed.shuffle(items)
    assert competition_ranking(items) == competition_ranking(scores)


@given(scores=scores)
def test_position_is_one_plus_the_number_of_better_scores(scores: dict[str, Decimal | None]) -> None:
    ranking = competition_ranking(scores)
    ranked = {u: s for u, s in scores.items() if s is not None}
    for entry in ranking.entries:
        assert entry.position == 1 + sum(1 for s in ranked.values() if s > entry.score)
    assert len(ranking.entries) + len(ranking.unranked) == len(scores)

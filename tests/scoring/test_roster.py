"""The roster through the year: which line holds on a day, who serves when, and which line
decides a period (transfers, promotions, newcomers, leavers)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.roster import (
    BEGINNING,
    PeriodRule,
    Placement,
    placement_for_period,
    placement_on,
    serving_spans,
    within,
)
from scoring.types import Rank, Role

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def line(day: date, unit: str = "town", role: Role = Role.staff, rank: Rank | None = Rank.general,
         active: bool = True) -> Placement:
    return Placement(day, unit, role, rank, active)


def test_newcomer_serves_from_their_first_day():
    history = [line(date(2026, 10, 15))]
    assert serving_spans(history, *Q4) == [(date(2026, 10, 15), date(2026, 12, 31))]
    assert placement_on(history, date(2026, 10, 14)) is None


def test_leaver_serves_until_the_day_before_they_left():
    history = [line(BEGINNING), line(date(2026, 11, 10), active=False)]
    assert serving_spans(history, *Q4) == [(date(2026, 10, 1), date(2026, 11, 9))]
    assert placement_for_period(history, *Q4, PeriodRule.end) is None
    assert placement_for_period(history, *Q4, PeriodRule.longest) == history[0]


def test_a_transfer_keeps_them_serving_throughout():
    history = [line(BEGINNING, "town"), line(date(2026, 11, 16), "office")]
    assert serving_spans(history, *Q4) == [Q4]
    assert placement_for_period(history, *Q4, PeriodRule.end).unit == "office"  # type: ignore[union-attr]
    # 46 days in town (10-01..11-15) against 46 in the office (11-16..12-31): the later wins a tie.
    assert placement_for_period(history, *Q4, PeriodRule.longest).unit == "office"  # type: ignore[union-attr]
    earlier = [line(BEGINNING, "town"), line(date(2026, 11, 17), "office")]
    assert placement_for_period(earlier, *Q4, PeriodRule.longest).unit == "town"  # type: ignore[union-attr]


def test_mid_year_promotion_ranks_by_the_rule_chosen():
    history = [line(BEGINNING, rank=Rank.general), line(date(2026, 11, 1), rank=Rank.fuke)]
    assert placement_for_period(history, *YEAR, PeriodRule.end).rank is Rank.fuke  # type: ignore[union-attr]
    assert placement_for_period(history, *YEAR, PeriodRule.longest).rank is Rank.general  # type: ignore[union-attr]


def test_superior_leaders_never_serve():
    history = [line(BEGINNING, role=Role.superior, rank=None)]
    assert serving_spans(history, *Q4) == []
    assert placement_for_period(history, *Q4, PeriodRule.longest) is None


def test_a_name_change_alone_does_not_split_a_stretch():
    history = [line(BEGINNING), line(date(2026, 11, 1))]  # same post: a renamed or re-imported row
    assert placement_for_period(history, *Q4, PeriodRule.longest) == history[1]
    assert serving_spans(history, *Q4) == [Q4]


days = st.integers(min_value=0, max_value=120).map(lambda n: date(2026, 9, 1) + timedelta(days=n))
placements = st.builds(
    line, days, st.sampled_from(["a", "b"]), st.sampled_from([Role.staff, Role.superior]),
    st.sampled_from([Rank.general, Rank.fuke]), st.booleans(),
)


@given(st.lists(placements, max_size=6, unique_by=lambda p: p.effective))
def test_serving_days_are_exactly_the_days_a_serving_line_holds(history):
    spans = serving_spans(history, *Q4)
    day = Q4[0]
    while day <= Q4[1]:
        holding = placement_on(history, day)
        assert within(spans, day) == (holding is not None and holding.serving)
        day += timedelta(days=1)
    assert all(a <= b for a, b in spans)
    assert all(b + timedelta(days=1) < c for (_, b), (c, _) in itertools.pairwise(spans))


@given(st.lists(placements, max_size=6, unique_by=lambda p: p.effective), st.sampled_from(list(PeriodRule)))
def test_a_period_is_decided_by_a_serving_line_held_in_it(history, rule):
    chosen = placement_for_period(history, *Q4, rule)
    spans = serving_spans(history, *Q4)
    assert (chosen is None) == (not spans if rule is PeriodRule.longest else not within(spans, Q4[1]))
    if chosen is not None:
        assert chosen.serving and chosen in history

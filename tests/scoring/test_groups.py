"""R-RATE-2: rater groups from roles, extra raters, never self, weight redistribution."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    Assignment,
    Member,
    RaterGroup,
    Role,
    ScoringConfig,
    UnitCategory,
    assignments,
    assignments_by_rater,
    effective_weights,
    rater_group,
    weights_for,
)
from scoring.groups import may_have_extra_raters

CFG = ScoringConfig()
LEAD, PEER, OTHER = RaterGroup.lead, RaterGroup.peer, RaterGroup.other

UNIT = [
    Member("boss", Role.main_leader),
    Member("deputy1", Role.leadership),
    Member("deputy2", Role.leadership),
    Member("clerk1", Role.staff),
    Member("clerk2", Role.staff),
]


@pytest.mark.parametrize(
    ("rater", "ratee", "group"),
    [
        (Role.main_leader, Role.staff, LEAD),
        (Role.main_leader, Role.leadership, LEAD),
        (Role.leadership, Role.staff, PEER),
        (Role.leadership, Role.main_leader, PEER),
        (Role.staff, Role.main_leader, OTHER),
        (Role.staff, Role.staff, OTHER),
        (Role.superior, Role.main_leader, LEAD),
        (Role.superior, Role.staff, None),
    ],
)
def test_default_mapping(rater: Role, ratee: Role, group: RaterGroup | None) -> None:
    assert rater_group(rater, ratee, CFG) is group


def test_unit_cards_follow_roles_and_nobody_rates_themself() -> None:
    cards = assignments(UNIT, [], CFG)
    assert len(cards) == 5 * 4  # everyone rates everyone else
    assert all(card.rater != card.ratee for card in cards)
    groups_of_clerk1 = {card.rater: card.group for card in cards if card.ratee == "clerk1"}
    assert groups_of_clerk1 == {"boss": LEAD, "deputy1": PEER, "deputy2": PEER, "clerk2": OTHER}
    groups_of_boss = {card.rater: card.group for card in cards if card.ratee == "boss"}
    assert LEAD not in groups_of_boss.values()  # nobody rates the main leader as 主评


def test_superior_leader_becomes_the_main_leaders_lead_rater() -> None:
    cards = assignments(UNIT, [], CFG, superior_for_main_leader="district_vice_head")
    superior_cards = [card for card in cards if card.rater == "district_vice_head"]
    assert superior_cards == [Assignment("district_vice_head", "boss", LEAD)]


def test_youth_league_committee_gets_the_township_secretaries_as_extra_raters() -> None:
    """The seed: 团区委 has 3 people; the 14 township Youth League secretaries rate them."""
    committee = [
        Member("yl_secretary", Role.main_leader),
        Member("yl_deputy", Role.leadership),
        Member("yl_clerk", Role.staff),
    ]
    secretaries = [f"township{n:02d}_yl" for n in range(14)]
    per_rater = assignments_by_rater(committee, secretaries, CFG)
    assert len(per_rater) == 3 + 14
    for secretary in secretaries:
        assert [(c.ratee, c.group) for c in per_rater[secretary]] == [
            ("yl_clerk", OTHER), ("yl_deputy", OTHER), ("yl_secretary", OTHER),
        ]
    clerk_raters = [c for cards in per_rater.values() for c in cards if c.ratee == "yl_clerk"]
    assert sum(1 for c in clerk_raters if c.group is OTHER) == 14


def test_extra_rater_who_is_a_member_keeps_member_cards_and_never_rates_self() -> None:
    cards = assignments(UNIT, ["deputy1", "clerk1", "outsider"], CFG)
    assert Assignment("deputy1", "clerk1", PEER) in cards
    assert all(card.rater != card.ratee for card in cards)
    assert sum(1 for card in cards if card.rater == "outsider") == 5


def test_superior_rows_in_a_roster_are_never_rated() -> None:
    cards = assignments([*UNIT, Member("overseer", Role.superior)], [], CFG)
    assert all(card.ratee != "overseer" for card in cards)
    assert [c.ratee for c in cards if c.rater == "overseer"] == ["boss"]


def test_duplicate_roster_rows_are_refused() -> None:
    with pytest.raises(ValueError):
        assignments([*UNIT, Member("boss", Role.staff)], [], CFG)


def test_same_level_colleagues_can_be_moved_into_peer_group_by_setting() -> None:
    """Jingzhou-style: staff rate staff in 互评 (a setting, given as TOML-friendly strings)."""
    cfg = ScoringConfig(rater_groups={**CFG.rater_groups, "staff:staff": "peer"})
    assert rater_group(Role.staff, Role.staff, cfg) is PEER
    assert rater_group(Role.staff, Role.main_leader, cfg) is OTHER


def test_main_leader_is_scored_three_to_three_without_a_lead_rater() -> None:
    assert weights_for(UnitCategory.township, [PEER, OTHER], CFG) == {
        PEER: Fraction(1, 2), OTHER: Fraction(1, 2)
    }


def test_four_three_three_when_all_groups_rated() -> None:
    assert weights_for(UnitCategory.district_unit, [LEAD, PEER, OTHER], CFG) == {
        LEAD: Fraction(2, 5), PEER: Fraction(3, 10), OTHER: Fraction(3, 10)
    }


def test_no_groups_means_no_weights() -> None:
    assert weights_for(UnitCategory.sub_unit, [], CFG) is None
    assert effective_weights({LEAD: 0, PEER: 1, OTHER: 1}, [LEAD]) is None


weight_values = st.one_of(
    st.integers(0, 100), st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False)
)


@given(
    weights=st.fixed_dictionaries({LEAD: weight_values, PEER: weight_values, OTHER: weight_values}),
    present=st.sets(st.sampled_from(list(RaterGroup))),
)
def test_weights_always_sum_to_one_after_redistribution(
    weights: dict[RaterGroup, int | Decimal], present: set[RaterGroup]
) -> None:
    result = effective_weights(weights, present)
    if sum(Fraction(weights[g]) for g in present) == 0:
        assert result is None
        return
    assert result is not None
    assert set(result) == present
    assert sum(result.values()) == 1
    # Redistribution is proportional: ratios between present groups are unchanged.
    for a in present:
        for b in present:
            assert result[a] * Fraction(weights[b]) == result[b] * Fraction(weights[a])


roles = st.sampled_from([Role.main_leader, Role.leadership, Role.staff])


@given(
    roster=st.dictionaries(st.text("abcdefgh", min_size=1, max_size=2), roles, max_size=10),
    extras=st.sets(st.text("abcdefghxyz", min_size=1, max_size=2), max_size=5),
    superior=st.one_of(st.none(), st.text("abxyz", min_size=1, max_size=2)),
)
def test_assignments_never_self_and_no_duplicates_and_order_free(
    roster: dict[str, Role], extras: set[str], superior: str | None
) -> None:
    members = [Member(userid, role) for userid, role in roster.items()]
    cards = assignments(members, extras, CFG, superior)
    pairs = [(c.rater, c.ratee) for c in cards]
    assert len(pairs) == len(set(pairs))
    assert all(rater != ratee for rater, ratee in pairs)
    assert {ratee for _, ratee in pairs} <= set(roster)
    assert cards == assignments(list(reversed(members)), sorted(extras, reverse=True), CFG, superior)


@given(st.integers(0, 40), st.integers(1, 20))
def test_only_units_below_the_threshold_take_extra_raters(size, small_below):
    assert may_have_extra_raters(size, small_below) == (size < small_below)
    if may_have_extra_raters(size + 1, small_below):
        assert may_have_extra_raters(size, small_below)  # a smaller unit is never excluded

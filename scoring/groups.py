"""Who rates whom, in which group, and how group weights shift when a group is empty (R-RATE-2).

Raters of a ratee are the other members of the ratee's unit, its approved extra raters and,
for the unit's main leader, a superior leader if one is configured. The (rater role, ratee
role) -> group mapping is a setting (`ScoringConfig.rater_groups`); nobody rates themself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from scoring.config import ScoringConfig
from scoring.types import Member, RaterGroup, Role, UnitCategory


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """One rating card: `rater` scores `ratee` and the score counts in `group`."""

    rater: str
    ratee: str
    group: RaterGroup


def rater_group(rater_role: Role, ratee_role: Role, cfg: ScoringConfig) -> RaterGroup | None:
    """The group a rater of `rater_role` rates a `ratee_role` in, or None if they do not."""
    return cfg.rater_groups.get((Role(rater_role), Role(ratee_role)))


def assignments(
    unit_members: Iterable[Member],
    extra_raters: Iterable[str],
    cfg: ScoringConfig,
    superior_for_main_leader: str | None = None,
) -> list[Assignment]:
    """Every rating card of one unit's round, sorted by (rater, ratee).

    - Ratees are the unit's members except superior-role rows (superiors are never rated).
    - A member rates each other ratee in the group the mapping gives; pairs the mapping
      leaves out get no card.
    - Approved extra raters rate every ratee in `cfg.extra_rater_group` (参评). An extra
      rater who is also a unit member keeps their member cards only.
    - `superior_for_main_leader` rates the unit's main leader(s) in the group mapped for
      (superior, main_leader), 主评 if the mapping has no entry: configuring a superior is an
      explicit decision, so it is honoured even when the mapping forgot the pair. It replaces
      a member card the same person would otherwise have for that ratee.
    """
    members = list(unit_members)
    by_id: dict[str, Member] = {}
    for member in members:
        if member.userid in by_id:
            raise ValueError(f"duplicate roster row for {member.userid!r}")
        by_id[member.userid] = member
    ratees = [m for m in members if m.role is not Role.superior]

    cards: dict[tuple[str, str], RaterGroup] = {}
    for rater in members:
        for ratee in ratees:
            group = rater_group(rater.role, ratee.role, cfg)
            if group is not None and rater.userid != ratee.userid:
                cards[(rater.userid, ratee.userid)] = group
    for extra in set(extra_raters) - by_id.keys():
        for ratee in ratees:
            cards[(extra, ratee.userid)] = cfg.extra_rater_group
    if superior_for_main_leader is not None:
        group = rater_group(Role.superior, Role.main_leader, cfg) or RaterGroup.lead
        for ratee in ratees:
            if ratee.role is Role.main_leader and ratee.userid != superior_for_main_leader:
                cards[(superior_for_main_leader, ratee.userid)] = group
    return sorted(Assignment(rater, ratee, group) for (rater, ratee), group in cards.items())


def assignments_by_rater(
    unit_members: Iterable[Member],
    extra_raters: Iterable[str],
    cfg: ScoringConfig,
    superior_for_main_leader: str | None = None,
) -> dict[str, tuple[Assignment, ...]]:
    """`assignments` grouped per rater: who gets which cards, in ratee order."""
    per_rater: defaultdict[str, list[Assignment]] = defaultdict(list)
    for card in assignments(unit_members, extra_raters, cfg, superior_for_main_leader):
        per_rater[card.rater].append(card)
    return {rater: tuple(cards) for rater, cards in per_rater.items()}


def effective_weights(
    weights: Mapping[RaterGroup, Decimal | Fraction | int],
    present: Collection[RaterGroup],
) -> dict[RaterGroup, Fraction] | None:
    """Weights of the groups that have raters, rescaled in proportion to sum to exactly 1.

    A group with no raters gives its weight to the others in proportion to theirs (so the
    main leader, whom no 主评 rates, is scored 3:3 by 互评 and 参评). Returns None when no
    group with a positive weight has raters: there is nothing to score, and the caller must
    say so instead of inventing a zero.
    """
    shares = {group: Fraction(weights.get(group, 0)) for group in set(present)}
    total = sum(shares.values(), Fraction(0))
    if total <= 0:
        return None
    return {group: share / total for group, share in shares.items()}


def weights_for(
    category: UnitCategory, present: Collection[RaterGroup], cfg: ScoringConfig
) -> dict[RaterGroup, Fraction] | None:
    """`effective_weights` with the configured weights of a unit category."""
    return effective_weights(cfg.group_weights[UnitCategory(category)], present)


def may_have_extra_raters(unit_size: int, small_below: int) -> bool:
    """Only a small unit, fewer than `small_below` cadres, gets extra 参评 raters (R-RATE-6)."""
    return unit_size < small_below

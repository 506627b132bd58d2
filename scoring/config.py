"""Every tunable of the scoring rules, in one frozen value.

`ScoringConfig()` is the SPEC default. The settings loader builds one from settings.toml and
passes it in; nothing in `scoring/` reads settings itself. Values may be given as ints,
floats, strings or Decimals and enum members or their string values; `__post_init__`
normalises them (numbers to Decimal, mappings to read-only mappings) and rejects a config
that could not produce sensible scores, so a bad settings file fails at start-up rather than
in the middle of publishing a round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import lcm
from types import MappingProxyType
from typing import Any

from scoring.rounding import exact
from scoring.types import RaterGroup, Role, UnitCategory

Number = int | float | str | Decimal


def _decimal(value: Number | Fraction, name: str) -> Decimal:
    try:
        fraction = exact(value)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ValueError(f"{name}: not a number: {value!r}") from error
    decimal = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    if Fraction(decimal) != fraction:
        raise ValueError(f"{name}: {value!r} has no exact decimal form")
    return decimal


@dataclass(frozen=True, slots=True)
class AnnualWeights:
    """Weights of the annual composite (R-YEAR-3); they must sum to exactly 1."""

    democratic: Decimal
    unit_result: Decimal
    quarters: Decimal

    def __post_init__(self) -> None:
        for name in ("democratic", "unit_result", "quarters"):
            value = _decimal(getattr(self, name), f"annual weight {name}")
            if value < 0:
                raise ValueError(f"annual weight {name} is negative: {value}")
            object.__setattr__(self, name, value)
        total = self.democratic + self.unit_result + self.quarters
        if total != 1:
            raise ValueError(f"annual weights must sum to 1, got {total}")


def default_group_weights() -> dict[UnitCategory, dict[RaterGroup, Decimal]]:
    """4:3:3 (主评:互评:参评) for all three unit categories, as in the seed."""
    ratio = {RaterGroup.lead: Decimal(4), RaterGroup.peer: Decimal(3), RaterGroup.other: Decimal(3)}
    return {category: dict(ratio) for category in UnitCategory}


def default_rater_groups() -> dict[tuple[Role, Role], RaterGroup]:
    """(rater role, ratee role) -> group, the SPEC R-RATE-2 default.

    The rater's role alone decides the group: main leader -> 主评, leadership member -> 互评,
    staff -> 参评. A superior leader rates only a unit's main leader, as 主评, and only when
    configured for that unit (see `groups.assignments`). Pairs absent from the mapping do
    not rate each other.
    """
    by_rater = {
        Role.main_leader: RaterGroup.lead,
        Role.leadership: RaterGroup.peer,
        Role.staff: RaterGroup.other,
    }
    ratee_roles = (Role.main_leader, Role.leadership, Role.staff)
    mapping = {(rater, ratee): group for rater, group in by_rater.items() for ratee in ratee_roles}
    mapping[(Role.superior, Role.main_leader)] = RaterGroup.lead
    return mapping


def _default_main_leader_weights() -> AnnualWeights:
    return AnnualWeights(Decimal("0.1"), Decimal("0.3"), Decimal("0.6"))


def _default_other_weights() -> AnnualWeights:
    return AnnualWeights(Decimal("0.1"), Decimal("0.2"), Decimal("0.7"))


@dataclass(frozen=True)
class ScoringConfig:
    """All scoring settings; class defaults are the SPEC defaults."""

    # R-RATE-3 / R-RATE-4: ballot range and forced distribution.
    score_min: int = 50
    score_max: int = 100
    high_score: int = 90
    high_share: Decimal = Decimal("0.30")
    # R-RATE-5: any figure (score, group mean, democratic score, composite) is shown only
    # where at least this many raters besides the viewer gave it (scoring/disclosure.py).
    min_group_size: int = 3
    # R-RATE-2: group weights per unit category, as a ratio (4:3:3 == 0.4:0.3:0.3).
    # Mappings are left out of the hash (they are not hashable); equality still compares them.
    group_weights: Mapping[UnitCategory, Mapping[RaterGroup, Decimal]] = field(
        default_factory=default_group_weights, hash=False
    )
    # Keys are (rater role, ratee role) pairs or "rater_role:ratee_role" strings (for TOML).
    rater_groups: Mapping[tuple[Role, Role], RaterGroup] = field(
        default_factory=default_rater_groups, hash=False
    )
    extra_rater_group: RaterGroup = RaterGroup.other
    # R-LOG-6: deductions.
    log_deduction_per_day: Decimal = Decimal("0.2")
    log_deduction_cap: Decimal = Decimal(10)  # per quarter, for missing daily logs only
    quarter_summary_deduction: Decimal = Decimal(2)
    annual_summary_deduction: Decimal = Decimal(2)
    # R-YEAR-3: annual composite weights.
    annual_weights_main_leader: AnnualWeights = field(default_factory=_default_main_leader_weights)
    annual_weights_other: AnnualWeights = field(default_factory=_default_other_weights)
    # R-USE-1 / R-USE-2.
    excellent_share: Decimal = Decimal("0.15")
    excellent_min_unit_size: int = 5
    promotion_window_years: int = 3
    # R-USE-4 bounded (issue 24): the last-place ladder applies in units of at least this many
    # cadres; in a unit of three someone is always last, however good.
    last_place_min_unit_size: int = 5

    # Derived once so the hot paths do no conversions: integer group weights over a common
    # denominator, and exact fractions of the decimal settings.
    _int_weights: Mapping[UnitCategory, tuple[int, int, int]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("score_min", "score_max", "high_score", "min_group_size",
                     "excellent_min_unit_size", "promotion_window_years", "last_place_min_unit_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not self.score_min < self.high_score <= self.score_max:
            raise ValueError("need score_min < high_score <= score_max")
        if self.score_min < 0:
            raise ValueError("score_min must not be negative")
        if self.min_group_size < 2:  # one rater besides the viewer is that rater's score
            raise ValueError("min_group_size must be >= 2: a figure on one rater is that rater's score")
        if self.promotion_window_years < 1:
            raise ValueError("promotion_window_years must be >= 1")
        if self.last_place_min_unit_size < 2:  # one cadre alone is never last of anyone
            raise ValueError("last_place_min_unit_size must be >= 2")

        for name in ("high_share", "excellent_share", "log_deduction_per_day",
                     "log_deduction_cap", "quarter_summary_deduction",
                     "annual_summary_deduction"):
            value = _decimal(getattr(self, name), name)
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
            set_(self, name, value)
        if not 0 < self.high_share <= 1 or self.excellent_share > 1:
            raise ValueError("high_share must be in (0, 1] and excellent_share in [0, 1]")

        set_(self, "group_weights", _read_group_weights(self.group_weights))
        set_(self, "rater_groups", _read_rater_groups(self.rater_groups))
        set_(self, "extra_rater_group", RaterGroup(self.extra_rater_group))
        for name in ("annual_weights_main_leader", "annual_weights_other"):
            weights: Any = getattr(self, name)
            if not isinstance(weights, AnnualWeights):
                weights = AnnualWeights(*weights)
            set_(self, name, weights)

        set_(self, "_int_weights", MappingProxyType({
            category: _as_integers(weights) for category, weights in self.group_weights.items()
        }))

    def group_weight_ints(self, category: UnitCategory) -> tuple[int, int, int]:
        """(lead, peer, other) weights as integers with the same ratio; for the hot path."""
        return self._int_weights[category]

    def annual_weights(self, role: Role) -> AnnualWeights:
        """R-YEAR-3: main leaders weigh the unit result more (10/30/60 vs 10/20/70)."""
        if role is Role.superior:
            raise ValueError("superior leaders are not rated")
        if role is Role.main_leader:
            return self.annual_weights_main_leader
        return self.annual_weights_other


def _read_group_weights(
    raw: Mapping[Any, Mapping[Any, Number]],
) -> Mapping[UnitCategory, Mapping[RaterGroup, Decimal]]:
    result: dict[UnitCategory, Mapping[RaterGroup, Decimal]] = {}
    for key, weights in raw.items():
        category = UnitCategory(key)
        read = {group: Decimal(0) for group in RaterGroup}  # a group left out weighs 0
        for group_key, value in weights.items():
            group = RaterGroup(group_key)
            read[group] = _decimal(value, f"group_weights[{category}][{group}]")
            if read[group] < 0:
                raise ValueError(f"group_weights[{category}][{group}] is negative")
        if sum(read.values()) <= 0:
            raise ValueError(f"group_weights[{category}] are all zero")
        result[category] = MappingProxyType(read)
    missing = set(UnitCategory) - set(result)
    if missing:
        raise ValueError(f"group_weights lacks categories: {sorted(missing)}")
    return MappingProxyType(result)


def _read_rater_groups(raw: Mapping[Any, Any]) -> Mapping[tuple[Role, Role], RaterGroup]:
    result: dict[tuple[Role, Role], RaterGroup] = {}
    for key, value in raw.items():
        rater_key, ratee_key = key.split(":") if isinstance(key, str) else key
        rater, ratee = Role(rater_key), Role(ratee_key)
        if ratee is Role.superior:
            raise ValueError("superior leaders are never rated")
        result[(rater, ratee)] = RaterGroup(value)
    return MappingProxyType(result)


def _as_integers(weights: Mapping[RaterGroup, Decimal]) -> tuple[int, int, int]:
    fractions = [Fraction(weights[group]) for group in RaterGroup]
    common = lcm(*(f.denominator for f in fractions))
    lead, peer, other = (int(f * common) for f in fractions)
    return lead, peer, other

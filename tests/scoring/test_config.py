"""ScoringConfig: defaults are the SPEC's, settings are normalised, nonsense is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from scoring import AnnualWeights, RaterGroup, Role, ScoringConfig, UnitCategory


def test_defaults_are_the_spec_defaults() -> None:
    cfg = ScoringConfig()
    assert (cfg.score_min, cfg.score_max, cfg.high_score, cfg.high_share) == (50, 100, 90, Decimal("0.3"))
    assert cfg.min_group_size == 3
    for category in UnitCategory:
        assert cfg.group_weight_ints(category) == (4, 3, 3)
    assert (cfg.log_deduction_per_day, cfg.log_deduction_cap) == (Decimal("0.2"), Decimal(10))
    assert cfg.quarter_summary_deduction == cfg.annual_summary_deduction == Decimal(2)
    assert cfg.annual_weights(Role.main_leader) == AnnualWeights(Decimal("0.1"), Decimal("0.3"), Decimal("0.6"))
    assert cfg.annual_weights(Role.staff) == AnnualWeights(Decimal("0.1"), Decimal("0.2"), Decimal("0.7"))
    assert cfg.annual_weights(Role.leadership) == cfg.annual_weights(Role.staff)
    assert (cfg.excellent_share, cfg.excellent_min_unit_size, cfg.promotion_window_years) == (
        Decimal("0.15"), 5, 3,
    )
    assert cfg.extra_rater_group is RaterGroup.other


def test_settings_from_toml_shaped_values_are_normalised() -> None:
    cfg = ScoringConfig(
        high_share=0.3,
        log_deduction_per_day="0.25",
        annual_weights_other=(0.1, 0.2, 0.7),
        group_weights={c.value: {"lead": 0.4, "peer": 0.3, "other": 0.3} for c in UnitCategory},
        rater_groups={"main_leader:staff": "lead", ("leadership", "staff"): "peer"},
    )
    assert cfg.high_share == Decimal("0.3")
    assert cfg.log_deduction_per_day == Decimal("0.25")
    assert cfg.annual_weights_other.quarters == Decimal("0.7")
    assert cfg.group_weight_ints(UnitCategory.township) == (4, 3, 3)
    assert dict(cfg.rater_groups) == {
        (Role.main_leader, Role.staff): RaterGroup.lead,
        (Role.leadership, Role.staff): RaterGroup.peer,
    }
    assert cfg == ScoringConfig(
        high_share=Decimal("0.30"),
        log_deduction_per_day=Decimal("0.25"),
        group_weights=cfg.group_weights,
        rater_groups=cfg.rater_groups,
    )
    hash(cfg)  # usable as a cache key


def test_config_cannot_be_mutated() -> None:
    cfg = ScoringConfig()
    with pytest.raises(AttributeError):
        cfg.high_score = 95  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.group_weights[UnitCategory.township] = {}  # type: ignore[index]


@pytest.mark.parametrize(
    "bad",
    [
        {"score_min": 95},
        {"high_score": 101},
        {"high_share": 0},
        {"high_share": "1.5"},
        {"excellent_share": 2},
        {"min_group_size": 0},
        {"min_group_size": 1},  # a figure on one rater besides the viewer is that rater's score
        {"log_deduction_per_day": -1},
        {"score_max": 100.0},
        {"annual_weights_main_leader": (0.1, 0.3, 0.5)},
        {"group_weights": {"township": {"lead": 0, "peer": 0, "other": 0}}},
        {"group_weights": {"township": {"lead": 4, "peer": 3, "other": 3}}},  # categories missing
        {"rater_groups": {"staff:superior": "other"}},
        {"rater_groups": {"staff:staff": "boss"}},
        {"quarter_summary_deduction": "two"},
    ],
)
def test_nonsense_settings_fail_at_start_up(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ScoringConfig(**bad)

"""[scoring] overrides build the one ScoringConfig; unset keys keep its defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.settings import load_settings
from scoring import ScoringConfig


def test_defaults_are_scoring_configs_own():
    assert load_settings(None).scoring.config == ScoringConfig()


def test_overrides_reach_the_config_and_bad_ones_fail_at_load():
    settings = load_settings(None, scoring={"high_share": 0.25, "rater_groups": {"leadership:leadership": "other"}})
    assert settings.scoring.config.high_share == Decimal("0.25")
    with pytest.raises(ValidationError, match="high_share"):
        load_settings(None, scoring={"high_share": 1.5})
    with pytest.raises(ValidationError, match="card_scores"):
        load_settings(None, rating={"card_scores": list(range(50, 61))})


def test_the_shipped_settings_file_loads():
    settings = load_settings()
    assert settings.rating.duration_working_days == 10 and len(settings.rating.card_scores) <= 10

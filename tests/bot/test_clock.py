"""Dates are Asia/Shanghai by design; there is no setting that could move them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from bot.clock import ManualClock
from bot.settings import load_settings


def test_a_time_zone_setting_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        load_settings(None, clock={"timezone": "Europe/Berlin"})


def test_today_is_the_date_in_beijing_whatever_zone_now_was_given_in() -> None:
    # 17:30 UTC on 23 November is already 24 November in Beijing.
    assert ManualClock(datetime(2026, 11, 23, 17, 30, tzinfo=UTC)).now().date() == date(2026, 11, 24)

"""Dates are Asia/Shanghai by design; there is no setting that could move them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from bot.clock import ManualClock, MovableClock
from bot.settings import load_settings
from tests.conftest import at


def test_a_time_zone_setting_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        load_settings(None, clock={"timezone": "Europe/Berlin"})


def test_today_is_the_date_in_beijing_whatever_zone_now_was_given_in() -> None:
    # 17:30 UTC on 23 November is already 24 November in Beijing.
    assert ManualClock(datetime(2026, 11, 23, 17, 30, tzinfo=UTC)).now().date() == date(2026, 11, 24)


def test_movable_clock_runs_on_and_only_jumps_forward() -> None:
    clock = MovableClock(at("2026-11-24 15:00"))
    clock.advance_to(at("2026-11-24 17:30"))
    assert at("2026-11-24 17:30") <= clock.now() < at("2026-11-24 17:31")
    clock.advance_to(at("2026-11-24 09:00"))  # a moment already past: stays
    assert clock.now() >= at("2026-11-24 17:30")

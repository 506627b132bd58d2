"""What a scheduled job is. Minimal stand-in; the scheduler issue owns the real module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.settings import Settings


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    at: Callable[[Settings], time]
    run: Callable[[Runtime, datetime], Awaitable[None]]
    working_days_only: bool = True

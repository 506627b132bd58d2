"""Time as every rule sees it: one zone, and "now" from an injected clock, never the system's."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

# China's official calendar (holidays, 调休, working days) is a calendar of this zone.
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...

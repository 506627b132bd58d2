"""The demo as `make demo` runs it, started at a fixed moment instead of now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from bot.clock import StartedClock
from bot.demo.credentials import demo_settings
from bot.demo.run import Demo, running_demo
from tests.harness import harness_settings


@asynccontextmanager
async def demo_at(db_url: str, origin: datetime) -> AsyncIterator[Demo]:
    # The page stamps callbacks with wall-clock time, as WeCom does, whatever the demo's clock says.
    # Its WeCom app and admin as `shiji demo` applies them; the stand-in on a free port.
    settings = demo_settings(harness_settings(db_url, "http://127.0.0.1:0"))
    async with running_demo(settings, StartedClock(origin)) as demo:
        yield demo

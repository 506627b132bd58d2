"""What a scheduled job is given: a narrow, typed context built by bot/ at start-up.

Jobs never see the whole runtime (HTTP server, crypto, the WeCom client); they get the rule
settings, the injected clock, the one writer and the two snapshots they read, and a way to
tell the outbox sender that there is something to send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from scoring.clock import Clock
from scoring.rule_settings import RuleSettings
from scoring.workdays import WorkCalendar
from storage.committer import Committer
from storage.directory import Directory
from storage.erasure import Eraser


class DirectorySource(Protocol):
    async def fresh(self) -> Directory: ...


class CalendarSource(Protocol):
    current: WorkCalendar

    async def reload(self) -> WorkCalendar: ...


@dataclass(frozen=True)
class JobContext:
    settings: RuleSettings
    clock: Clock
    # The process's one writer: on SQLite a second writer transaction beside it would fail.
    committer: Committer
    directory: DirectorySource
    calendar: CalendarSource
    wake_sender: Callable[[], None]
    # Erases what closed rounds left in the database files (housekeeping retries it).
    eraser: Eraser
    # The transport's wait (real time; driven in tests) before a job that met a busy or
    # restarting database runs again (scheduler/jobs.py run_job).
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

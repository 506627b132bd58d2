"""What a scheduled job is given (`JobDeps`, built by bot/ at start-up) and the context its
unit of work runs in (`job_ctx`: the one `Ctx` of handlers/base.py, acting as "scheduler").

Jobs never see the whole runtime (HTTP server, crypto, the WeCom client); they get the rule
settings, the injected clock, the one writer and the two snapshots they read, and a way to
tell the outbox sender that there is something to send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.base import Ctx
from scoring.clock import Clock
from scoring.rule_settings import RuleSettings
from scoring.workdays import WorkCalendar
from storage.committer import Committer
from storage.directory import Directory
from storage.erasure import Eraser
from storage.repos import Store


class DirectorySource(Protocol):
    async def fresh(self) -> Directory: ...


class CalendarSource(Protocol):
    current: WorkCalendar

    async def reload(self) -> WorkCalendar: ...


SCHEDULER = "scheduler"  # the actor of scheduled work in the audit trail


def job_ctx(deps: JobDeps, store: Store, directory: Directory, calendar: WorkCalendar, now: datetime) -> Ctx:
    """The context of one scheduled unit of work: `now` is the instant it was due."""
    return Ctx.office(SCHEDULER, store, deps.settings, directory, calendar, now)


@dataclass(frozen=True)
class JobDeps:
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

"""The background loop the outbox sender and the admin job runner share: a round of work,
then a wait until woken (new work was queued here) or `poll_seconds` pass (work queued by
another replica, or a wait that ran out)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, work: Callable[[], Awaitable[object]], poll_seconds: float, name: str) -> None:
        self._work, self._poll_seconds, self._name = work, poll_seconds, name
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self._work()
            except Exception:  # keep going: what failed stays queued and is tried again
                log.exception("%s: a round of work failed", self._name)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

"""Roster and calendar snapshots kept in memory, refreshed from the database when stale.

Another process (the CLI's import, another replica) may change the roster; a snapshot older
than `max_age` seconds, or a miss on an unknown userid, triggers one reload.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.calendar import build_calendar
from scoring.workdays import WorkCalendar
from storage.directory import Directory
from storage.repos import Store


class DirectoryCache:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        max_age: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._max_age = max_age
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._loaded_at = float("-inf")
        self.current = Directory((), (), ())

    async def reload(self) -> Directory:
        return await self._reload_if_older_than(0.0)

    async def _reload_if_older_than(self, max_age: float) -> Directory:
        # Checked again under the lock: the requests that queued behind one reload use its
        # snapshot instead of each reading the whole roster again.
        async with self._lock:
            if self._monotonic() - self._loaded_at >= max_age:
                async with self._sessions() as session:
                    store = Store(session)
                    self.current = Directory(
                        await store.roster.units(), await store.roster.cadres(), await store.roster.oversight(),
                        await store.roster.first_import(),
                    )
                self._loaded_at = self._monotonic()
        return self.current

    async def fresh(self) -> Directory:
        if self._monotonic() - self._loaded_at > self._max_age:
            await self._reload_if_older_than(self._max_age)
        return self.current

    async def after_miss(self) -> Directory:
        """An unknown userid: reload, at most once every few seconds (strangers can spam)."""
        if self._monotonic() - self._loaded_at > 5.0:
            await self._reload_if_older_than(5.0)
        return self.current


class CalendarCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.current = build_calendar([])

    async def reload(self) -> WorkCalendar:
        async with self._sessions() as session:
            self.current = build_calendar(await Store(session).calendar.loaded())
        return self.current

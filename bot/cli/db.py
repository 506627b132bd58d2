"""`shiji db upgrade`, and the migrated database every other command opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.db import after_commit_of, create_engine, migrate, session_factory
from storage.erasure import ERASURE_DUE, Eraser


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database for one CLI command, disposed afterwards.

    A command that closed a round (`shiji round close`) erases its leftovers before exiting.
    """
    engine = create_engine(settings.database.url)
    erasures: list[bool] = []
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        after_commit_of(sessions, ERASURE_DUE, lambda: erasures.append(True))
        yield sessions
        if erasures:
            await Eraser(engine).erase()
    finally:
        await engine.dispose()


async def db_upgrade(settings: Settings) -> int:
    async with open_database(settings):
        pass
    print("数据库已升级到最新结构。")
    return 0

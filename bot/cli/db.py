"""`shiji db upgrade`, and the migrated database every other command opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.db import create_engine, migrate, session_factory


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database for one CLI command, disposed afterwards."""
    engine = create_engine(settings.database.url)
    try:
        await migrate(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def db_upgrade(settings: Settings) -> int:
    async with open_database(settings):
        pass
    print("数据库已升级到最新结构。")
    return 0

"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from bot.clock import SHANGHAI
from storage.db import create_engine, current_revision, migrate, session_factory
from storage.metadata import metadata
from storage.models import CalendarYear


async def test_migrations_match_the_models(db_url):
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        await migrate(engine)  # idempotent: serve runs it at every start
        assert await current_revision(engine) is not None

        def diff(connection):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)

        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await engine.dispose()


async def test_times_come_back_aware_and_equal(db_url):
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        moment = datetime(2026, 11, 23, 17, 30, 5, tzinfo=SHANGHAI)
        async with session_factory(engine)() as session, session.begin():
            session.add(CalendarYear(year=2027, source="t", loaded_at=moment))
        async with session_factory(engine)() as session:
            loaded = (await session.execute(select(CalendarYear))).scalar_one().loaded_at
        assert loaded.tzinfo is not None and loaded == moment
        assert loaded.astimezone(UTC).hour == 9
    finally:
        await engine.dispose()

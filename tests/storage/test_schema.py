"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from bot.clock import SHANGHAI
from storage.db import create_engine, current_revision, migrate, session_factory
from storage.metadata import metadata
from storage.models import CalendarYear

REPO_ROOT = Path(__file__).resolve().parents[2]


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



async def test_replicas_starting_at_once_migrate_once_and_all_start(db_url, tmp_path):
    """Three `shiji db upgrade` processes (what three replicas' `serve` does first) on a
    fresh database at the same moment: every one of them succeeds, the schema is built once."""
    env = {**os.environ, "SHIJI_DATABASE__URL": db_url, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = [(await p.communicate())[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    engine = create_engine(db_url)
    try:
        assert await current_revision(engine) is not None
    finally:
        await engine.dispose()

"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when one answers),
a driven clock, the loopback WeCom stand-in and the bot on real HTTP."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import SHANGHAI, ManualClock

PG_ADMIN_URL = os.environ.get("SHIJI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "bot" / "sample" / "district.csv"
SAMPLE_2027 = Path(__file__).resolve().parent.parent / "bot" / "sample" / "calendar-2027.toml"


_postgres: dict[str, bool] = {}  # the probe's answer, once known


async def postgres_available() -> bool:
    """Probed once, on the first PostgreSQL test (not at import: collecting must not connect)."""
    if "up" not in _postgres:
        import asyncpg

        try:
            connection = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL), timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            _postgres["up"] = False
        else:
            await connection.close()
            _postgres["up"] = True
    return _postgres["up"]


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own for each test, created and dropped here."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shiji.db'}"
        return
    if not await postgres_available():
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")
    import asyncpg

    name = f"shiji_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    host_part = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql+asyncpg://{host_part}/{name}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'shiji.db'}"


def at(text: str) -> datetime:
    """`at("2026-11-23 10:00")` in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at("2026-11-23 10:00"))  # a Monday

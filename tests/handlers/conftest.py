"""Handlers called directly: a real Ctx on a real, migrated database with the sample district."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import pytest

from bot.calendar import build_calendar
from bot.settings import load_settings
from handlers.base import Ctx
from storage.db import create_engine, migrate, session_factory
from storage.directory import Directory
from storage.repos import Store
from storage.roster_import import apply_roster, parse_roster, read_table
from tests.conftest import SAMPLE_ROSTER, at

ADMIN = "kaohe_admin"


@pytest.fixture
async def open_ctx(db_url: str) -> AsyncIterator[Callable[[str, datetime], Awaitable[object]]]:
    """`async with open_ctx(userid, now) as ctx:` one unit of work, committed on exit."""
    engine = create_engine(db_url)
    await migrate(engine)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await apply_roster(session, parse_roster(read_table(SAMPLE_ROSTER)).rows, at("2026-11-01 09:00"))
    async with sessions() as session:
        store = Store(session)
        directory = Directory(
            await store.roster.units(), await store.roster.cadres(), await store.roster.oversight()
        )
    rules = load_settings(None, admin={"userids": [ADMIN]}).rules

    @asynccontextmanager
    async def opened(userid: str, now: datetime) -> AsyncIterator[Ctx]:
        async with sessions() as session, session.begin():
            yield Ctx(
                userid=userid, person=directory.get(userid), is_admin=userid == ADMIN, now=now,
                settings=rules, calendar=build_calendar([]), directory=directory,
                store=Store(session), actor=userid,
            )

    yield opened  # type: ignore[misc]
    await engine.dispose()

"""The outbox sender keeps to WeCom's per-member limit: over it, a message waits, never drops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.sender import OutboxSender
from bot.wecom.api import RecipientRateLimiter, WeComClient
from bot.wecom.standin import StandinState, start_standin
from storage.db import create_engine, migrate, session_factory
from storage.repos import Store
from tests.bot.wecom.monotonic import FakeMonotonic

CORP, SECRET, AGENT = "wwsendertest0000001", "sender-secret", 1000002


@dataclass
class Env:
    clock: ManualClock
    wall: FakeMonotonic  # WeCom counts its limit in real time, not on the bot's clock
    sender: OutboxSender
    standin: StandinState
    sessions: async_sessionmaker[AsyncSession]

    async def queue(self, key: str, userid: str, content: str) -> None:
        async with self.sessions() as session, session.begin():
            await Store(session).outbox.enqueue(
                key, [userid], "text", {"content": content}, self.clock.now()
            )

    async def status(self, key: str) -> str:
        async with self.sessions() as session:
            row = await Store(session).outbox.by_key(key)
        assert row is not None
        return row.status


@pytest.fixture
async def env(db_url: str, clock: ManualClock) -> AsyncIterator[Env]:
    engine = create_engine(db_url)
    await migrate(engine)
    wall = FakeMonotonic()
    runner, base, state = await start_standin(CORP, SECRET, AGENT, clock=wall)
    async with aiohttp.ClientSession() as http:
        client = WeComClient(http, base, CORP, SECRET, AGENT, monotonic=wall)
        limiter = RecipientRateLimiter(monotonic=wall)
        sessions = session_factory(engine)
        yield Env(clock, wall, OutboxSender(sessions, client, clock, limiter=limiter), state, sessions)
    await runner.cleanup()
    await engine.dispose()
    assert state.unexpected == []


async def test_over_the_limit_a_message_waits_in_order_and_others_are_not_held(env: Env) -> None:
    for i in range(29):
        await env.queue(f"k{i}", "wuhao", f"第{i}条")
    long_text = "甲" * 600 + "\n" + "乙" * 600  # 3,602 bytes: two WeCom messages
    await env.queue("long", "wuhao", long_text)
    await env.queue("after", "wuhao", "后一条")  # would fit (30th), but must not overtake
    await env.queue("other", "zhaojh", "给赵")

    await env.sender.drain_once()
    assert env.standin.texts_for("wuhao") == [f"第{i}条" for i in range(29)]
    assert env.standin.texts_for("zhaojh") == ["给赵"]
    assert await env.status("long") == await env.status("after") == "pending"

    env.wall.t += 59.5
    await env.sender.drain_once()
    assert len(env.standin.texts_for("wuhao")) == 29

    env.wall.t += 0.5
    await env.sender.drain_once()
    assert env.standin.texts_for("wuhao")[29:] == ["甲" * 600 + "\n", "乙" * 600, "后一条"]
    assert await env.status("long") == await env.status("after") == "sent"


async def test_a_text_too_long_for_one_minute_fails_visibly_and_blocks_nobody(env: Env) -> None:
    await env.queue("huge", "wuhao", "\n".join(["字" * 600] * 31))  # 31 messages > 30 a minute
    await env.queue("next", "wuhao", "下一条")
    await env.sender.drain_once()
    assert await env.status("huge") == "failed"
    assert env.standin.texts_for("wuhao") == ["下一条"]

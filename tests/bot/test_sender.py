"""The outbox sender keeps to WeCom's per-member limit: over it, a message waits, never drops."""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.sender import SEND_WITHIN_SECONDS, OutboxSender
from bot.testing.standin import StandinState, start_standin
from bot.wecom.api import WeComClient
from storage.db import create_engine, migrate, session_factory
from storage.models import BLANKED_PAYLOAD, Outbox
from storage.repos import Push, Store
from storage.types import AwareDateTime
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
        async def wall_sleep(seconds: float) -> None:  # the client's own retries pass on the wall
            wall.t += seconds

        client = WeComClient(http, base, CORP, SECRET, AGENT, sleep=wall_sleep, monotonic=wall)
        sessions = session_factory(engine)
        yield Env(clock, wall, OutboxSender(sessions, client, clock, transport_time=wall), state, sessions)
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

    # The batch's messages count as arriving by the end of its send window: WeCom's minute
    # for them ends no earlier than that.
    env.wall.t += 59.5 + SEND_WITHIN_SECONDS
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


def card(task_id: str, title: str) -> dict[str, object]:
    return {"card_type": "button_interaction", "main_title": {"title": title, "desc": "城关镇"},
            "sub_title_text": "请依据其晒出的实绩打分。", "task_id": task_id,
            "button_list": [{"text": "确定", "style": 1, "key": "ok"}]}


async def test_a_body_shared_by_many_rows_reaches_each_recipient_with_its_own_task_id(env: Env) -> None:
    marker = "task-marker"
    head, tail = json.dumps({"card": card(marker, "吴昊（副镇长）")}, ensure_ascii=False).split(marker)
    async with env.sessions() as session, session.begin():
        outbox = Store(session).outbox
        (body,) = await outbox.add_bodies([(head, tail)])
        await outbox.enqueue_many([
            Push(f"c{i}", rater, "template_card", f"rate-2026Q3-a{i}-{i:024x}", env.clock.now(), body)
            for i, rater in enumerate(["zhaojh", "liumin"])
        ], env.clock.now())
        # The same card queued whole, as every row was before bodies were shared.
        await outbox.enqueue("whole", ["wuhao"], "template_card",
                             {"card": card("rate-2026Q3-a9-" + "9" * 24, "吴昊（副镇长）")}, env.clock.now())

    await env.sender.drain_once()
    got = {userid: [d.payload["template_card"] for d in env.standin.messages_for(userid)]
           for userid in ("zhaojh", "liumin", "wuhao")}
    assert got == {
        "zhaojh": [card("rate-2026Q3-a0-" + "0" * 24, "吴昊（副镇长）")],
        "liumin": [card("rate-2026Q3-a1-" + "0" * 23 + "1", "吴昊（副镇长）")],
        "wuhao": [card("rate-2026Q3-a9-" + "9" * 24, "吴昊（副镇长）")],
    }
    assert [await env.status(key) for key in ("c0", "c1", "whole")] == ["sent"] * 3


async def test_a_card_queued_before_the_upgrade_is_sent_whole_after_it(db_url: str, clock: ManualClock) -> None:
    engine = create_engine(db_url)
    await migrate(engine, "0010")  # the outbox before bodies were shared
    old_outbox = sa.table(
        "outbox", *(sa.column(name) for name in ("dedupe_key", "userids", "kind", "payload", "status",
                                                   "attempts", "error", "result")),
        sa.column("not_before", AwareDateTime()), sa.column("created_at", AwareDateTime()),
    )
    queued = card("rate-2026Q3-old1-" + "a" * 24, "刘敏（党委委员）")
    async with engine.begin() as connection:
        await connection.execute(sa.insert(old_outbox).values(
            dedupe_key="rate-card:old1:0", userids="zhaojh", kind="template_card",
            payload=json.dumps({"card": queued}, ensure_ascii=False), status="pending", attempts=0,
            error="", result="", not_before=clock.now(), created_at=clock.now(),
        ))
    await migrate(engine)
    wall = FakeMonotonic()
    runner, base, state = await start_standin(CORP, SECRET, AGENT, clock=wall)
    try:
        async with aiohttp.ClientSession() as http:
            client = WeComClient(http, base, CORP, SECRET, AGENT, monotonic=wall)
            sender = OutboxSender(session_factory(engine), client, clock, transport_time=wall)
            assert await sender.drain_once() == 1
        assert [d.payload["template_card"] for d in state.messages_for("zhaojh")] == [queued]
        assert state.unexpected == []
    finally:
        await runner.cleanup()
        await engine.dispose()


async def test_a_card_blanked_while_being_sent_is_never_retried_half_empty(env: Env) -> None:
    """A rater hands in while their resent card is in flight (storage/ballot_box.py
    drop_traces blanks it); WeCom then fails transiently: the row is not tried again with
    its empty payload, and a stale claim released after a crash is not either."""
    for key in ("in-flight", "crashed"):
        await env.queue(key, "wuhao", "吴昊 92 分")
    async with env.sessions() as session, session.begin():
        outbox = Store(session).outbox
        rows = {row.dedupe_key: row for row in await outbox.due(env.clock.now())}
        for row in rows.values():
            assert await outbox.claim(row.id, env.clock.now())
        await session.execute(sa.update(Outbox).values(payload=BLANKED_PAYLOAD))  # as drop_traces does
    async with env.sessions() as session, session.begin():
        outbox = Store(session).outbox
        await outbox.finish(rows["in-flight"].id, "pending", env.clock.now(), retry_after=env.clock.now())
        assert await outbox.release_stale(env.clock.now() + timedelta(hours=1)) == 1
    assert [await env.status(key) for key in ("in-flight", "crashed")] == ["skipped", "skipped"]
    env.clock.advance(hours=2)
    assert await env.sender.drain_once() == 0
    assert env.standin.messages_for("wuhao") == []


# ---- two clocks: business time says when a row may go, wall time how transport waits -----


async def test_a_failed_send_waits_its_real_back_off_when_the_business_clock_jumps_a_day(env: Env) -> None:
    """The demo's clock bar jumps a day right after WeCom failed: the retry still waits its
    minute of real time, and then goes."""
    await env.queue("reminder", "wuhao", "请记今天的工作日志")
    env.standin.fail_next("message/send", 45009, times=4)  # busy: the client's own retries fail too
    await env.sender.drain_once()
    assert await env.status("reminder") == "pending" and env.standin.texts_for("wuhao") == []

    env.clock.advance(days=1)
    assert await env.sender.drain_once() == 0
    env.wall.t += 59
    assert await env.sender.drain_once() == 0
    assert env.standin.texts_for("wuhao") == []

    env.wall.t += 2  # a minute of real time since the failure
    await env.sender.drain_once()
    assert env.standin.texts_for("wuhao") == ["请记今天的工作日志"]


async def test_a_business_not_before_waits_for_the_business_clock_not_the_wall(env: Env) -> None:
    """A reminder due tomorrow at 09:00 (business time) does not go when real days pass, and
    goes as soon as the business clock reaches 09:00, however little real time passed."""
    due = (env.clock.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    async with env.sessions() as session, session.begin():
        await Store(session).outbox.enqueue("due-9", ["wuhao"], "text", {"content": "九点提醒"}, env.clock.now(), not_before=due)
    env.wall.t += 2 * 86400
    assert await env.sender.drain_once() == 0
    env.clock.set(due - timedelta(seconds=1))
    assert await env.sender.drain_once() == 0
    env.clock.set(due)
    await env.sender.drain_once()
    assert env.standin.texts_for("wuhao") == ["九点提醒"]


async def test_a_send_in_flight_is_not_sent_again_when_the_business_clock_jumps(env: Env) -> None:
    """A sender claimed a row and is sending it; the business clock jumps a day. The claim is
    a few real seconds old, not stale: no other drain sends the row a second time."""
    await env.queue("in-flight", "wuhao", "吴昊 92 分")
    async with env.sessions() as session, session.begin():
        outbox = Store(session).outbox
        (row,) = await outbox.due(env.clock.now())
        assert await outbox.claim(row.id, datetime.fromtimestamp(env.wall.t, UTC))  # the other sender
    env.clock.advance(days=1)
    env.wall.t += 5
    assert await env.sender.drain_once() == 0
    assert env.standin.texts_for("wuhao") == []
    assert await env.status("in-flight") == "sending"


async def test_a_file_counts_against_the_minute_like_a_text(env: Env) -> None:
    """WeCom counts a file message in a member's chat like any other (doc 90454): after 30
    texts in a minute, a workbook waits for the next minute instead of being dropped."""
    for i in range(30):
        await env.queue(f"t{i}", "wuhao", f"第{i}条")
    async with env.sessions() as session, session.begin():
        await Store(session).outbox.enqueue(
            "workbook", ["wuhao"], "file", {"filename": "缺记统计.xlsx", "data": base64.b64encode(b"PK\x03\x04" + bytes(200)).decode()},
            env.clock.now(),
        )
    await env.sender.drain_once()
    assert await env.status("workbook") == "pending" and env.standin.dropped == Counter()
    env.wall.t += 60 + SEND_WITHIN_SECONDS
    await env.sender.drain_once()
    assert await env.status("workbook") == "sent" and env.standin.dropped == Counter()
    assert [d.msgtype for d in env.standin.messages_for("wuhao")][-1] == "file"


async def test_an_unreadable_row_fails_visibly_and_stops_no_other_push(env: Env) -> None:
    await env.queue("broken", "wuhao", "坏")
    await env.queue("fine", "zhaojh", "好")
    async with env.sessions() as session, session.begin():
        await session.execute(sa.update(Outbox).where(Outbox.dedupe_key == "broken").values(payload="rate-2026Q4-a1"))
    await env.sender.drain_once()
    assert await env.status("broken") == "failed"
    assert env.standin.texts_for("zhaojh") == ["好"]


async def test_a_batch_slower_than_its_send_window_hands_the_rest_back_untried(env: Env) -> None:
    """WeCom answers slowly (here: 3 s of real time pass at every look at the clock): rows a
    batch could not send within its window go back to the queue as never tried, and the next
    drain sends them; nobody gets anything twice."""
    people = [f"p{i}" for i in range(8)]
    for userid in people:
        await env.queue(f"slow-{userid}", userid, "提醒")
    elapsed = itertools.count(0, 3)

    env.sender._monotonic = lambda: float(next(elapsed))
    sent_first = await env.sender.drain_once()
    assert 0 < sent_first < len(people)
    async with env.sessions() as session:
        rows = (await session.execute(sa.select(Outbox.status, Outbox.attempts))).all()
    assert sorted(rows) == sorted([("sent", 1)] * sent_first + [("pending", 0)] * (len(people) - sent_first))
    while await env.sender.drain_once():
        pass
    assert {u: env.standin.texts_for(u) for u in people} == {u: ["提醒"] for u in people}


async def test_a_driven_clock_that_jumps_while_a_batch_is_out_hands_nothing_back(env: Env) -> None:
    """The window is the batch's real sending time: a transport clock moved on meanwhile (a
    test's driven clock, the demo's jumps) hands nothing back (it did, and a cadre's quarter
    result then waited for a drain that never came)."""
    people = [f"j{i}" for i in range(8)]
    for userid in people:
        await env.queue(f"jump-{userid}", userid, "通知")
    real = env.sender._transport_time

    def jumping() -> float:
        env.wall.t += 30
        return real()

    env.sender._transport_time = jumping
    assert await env.sender.drain_once() == len(people)
    assert {u: env.standin.texts_for(u) for u in people} == {u: ["通知"] for u in people}

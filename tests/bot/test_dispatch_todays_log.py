"""Today's log has two ways in: one message in its own unit of work (`todays_log`), or many
decided and stored together (its batch form, the callback's hot path). Whatever a district
sends, in whatever bursts, both give the same replies and leave the same logs."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.clock import ManualClock
from bot.dispatch import Dispatcher
from bot.wecom.inbound import Inbound
from handlers.base import Reply
from storage.models import DailyLog, InboundMessage
from storage.models_record import DailyLogVersion, PendingBackfill
from tests.conftest import SAMPLE_ROSTER, at
from tests.harness import ADMIN, Harness, running_bot

MONDAY = at("2026-11-23 10:00")
WRITERS = ("chengguan_wuhao", "chengguan_zhengli", "chengguan_fengjing")  # cadres of 城关镇
SUPERIOR = "qw_kongdeming"  # 区委副书记: keeps no log
PHRASES = (
    "上午走访城关社区三户低保家庭", "下午整理社会救助申请材料", "参加镇党委会议研究防汛工作",
    "检查河道", "开会", "核查危房改造进度并拍照存档", "录入系统", "巡查", "整理低保台账",
)
OTHER_TEXTS = (
    "撤回", "我的", "缺记", "好的，收到", "谢谢领导", "怎么补记？", "👍👍", "666", "帮组", "撤回了", "修改了方案",
    "修改 。。。", "补记", "修改",
)
BACKFILL_DAYS = ("今天", "昨天", "前天", "11-20", "11-19", "11-23", "11-30")
# Phrases make every length: too short for a log (开会), for an appended part (巡查), and a
# whole day's log too long.
LOG_TEXTS = st.one_of(
    st.lists(st.sampled_from(PHRASES), min_size=1, max_size=6),
    st.lists(st.sampled_from(PHRASES), min_size=40, max_size=70),
).map("，".join)
_MSG_IDS = itertools.count(8_100_000)


@dataclass(frozen=True)
class Said:
    userid: str
    text: str
    log: bool  # plain text meant as a log (the batch form's kind), as opposed to anything else


@dataclass(frozen=True)
class Retry:
    of: int  # WeCom delivers message number `of` again


@dataclass(frozen=True)
class NextDay:
    """The business clock moves on a day (into a weekend, past a backfill deadline)."""


Burst = tuple[int, ...]  # indices of messages arriving together
Step = Burst | NextDay


@st.composite
def said(draw: st.DrawFn) -> Said:
    userid = draw(st.sampled_from((*WRITERS, *WRITERS, *WRITERS, SUPERIOR, ADMIN)))
    kind = draw(st.integers(0, 9))
    if kind < 5:
        return Said(userid, draw(LOG_TEXTS), log=True)
    if kind < 6:
        return Said(userid, f"修改 {draw(LOG_TEXTS)}", log=False)
    if kind < 7:
        return Said(userid, f"补记 {draw(st.sampled_from(BACKFILL_DAYS))} {draw(LOG_TEXTS)}", log=False)
    return Said(userid, draw(st.sampled_from(OTHER_TEXTS)), log=False)


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[Said | Retry], list[Step]]:
    """Messages in the order they are sent, and how they arrive: in bursts (sent at once),
    with days passing between them. In a burst a person sends one message, or only logs:
    which of a person's messages were sent first is then known, whichever way each goes."""
    messages: list[Said | Retry] = []
    steps: list[Step] = []
    burst: list[int] = []

    def close() -> None:
        if burst:
            steps.append(tuple(burst))
            burst.clear()

    for _ in range(draw(st.integers(1, 20))):
        choice = draw(st.integers(0, 19))
        if choice == 0:
            close()
            steps.append(NextDay())
            continue
        together = draw(st.booleans())
        if choice == 1 and messages:
            message: Said | Retry = Retry(draw(st.integers(0, len(messages) - 1)))
        else:
            message = draw(said())
        if not together or not _may_join([messages[i] for i in burst], message):
            close()
        burst.append(len(messages))
        messages.append(message)
    close()
    return messages, steps


def _may_join(burst: list[Said | Retry], message: Said | Retry) -> bool:
    if isinstance(message, Retry):
        return True  # a retry does nothing of its own
    mine = [m for m in burst if isinstance(m, Said) and m.userid == message.userid]
    return not mine or all(m.log for m in (*mine, message))


@dataclass(frozen=True)
class Outcome:
    replies: list[Reply]
    logs: list[tuple[str, str, str, str]]  # (userid, day, content, part_lengths)


async def play(
    h: Harness, dispatcher: Dispatcher, messages: list[Said | Retry], steps: list[Step], *, at_once: bool
) -> Outcome:
    """Send the conversation to `dispatcher` on an empty log book; `at_once`: each burst's
    messages concurrently, else one after another."""
    async with h.runtime.sessions() as session, session.begin():
        # The whole record: a log's kept versions and a 补记 awaiting confirmation too.
        for table in (DailyLogVersion, PendingBackfill, DailyLog, InboundMessage):
            await session.execute(delete(table))
    h.clock.set(MONDAY)
    ids = [next(_MSG_IDS) for _ in messages]  # a run's own: the other run's replies are remembered
    replies: dict[int, Reply] = {}
    for step in steps:
        if isinstance(step, NextDay):
            h.clock.advance(days=1)
            continue
        inbounds = [_inbound(h, messages, ids, i) for i in step]
        if at_once:
            answered = await asyncio.gather(*(dispatcher.handle(inbound) for inbound in inbounds))
        else:
            answered = [await dispatcher.handle(inbound) for inbound in inbounds]
        replies.update(zip(step, answered, strict=True))
    async with h.runtime.sessions() as session:
        rows = await session.execute(
            select(DailyLog.userid, DailyLog.day, DailyLog.content, DailyLog.part_lengths)
            .order_by(DailyLog.userid, DailyLog.day)
        )
        logs = [(r.userid, r.day.isoformat(), r.content, r.part_lengths) for r in rows]
    return Outcome([replies[i] for i in range(len(messages))], logs)


def _inbound(h: Harness, messages: list[Said | Retry], ids: list[int], index: int) -> Inbound:
    while isinstance(message := messages[index], Retry):
        index = message.of
    wecom = h.settings.wecom
    return Inbound(
        kind="text", raw_type="text", from_user=message.userid, to_user=wecom.corp_id, agent_id=wecom.agent_id,
        create_time=int(h.clock.now().timestamp()), msg_id=str(ids[index]), content=message.text,
    )


@pytest.fixture
async def bot(db_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        yield h


@settings(
    max_examples=25, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(conversations())
async def test_batched_or_one_by_one_every_text_gets_the_same_reply_and_log(
    bot: Harness, conversation: tuple[list[Said | Retry], list[Step]]
) -> None:
    messages, steps = conversation
    runtime = bot.runtime
    one_by_one = Dispatcher(  # no batch committers: every text the ordinary way, `todays_log`
        bot.settings, bot.clock, runtime.committer, runtime.directory, runtime.calendar,
        runtime.dispatcher.router, batches={},
    )
    alone = await play(bot, one_by_one, messages, steps, at_once=False)
    together = await play(bot, runtime.dispatcher, messages, steps, at_once=True)
    assert all(reply.text for reply in alone.replies)  # every text is answered
    assert together.replies == alone.replies
    assert together.logs == alone.logs

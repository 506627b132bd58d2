"""PostgreSQL restarted under load, for real: every message acknowledged, stored once, nobody
asked to resend. The server is the test's own (tests/postgres_cluster.py), so restarting or
crashing it touches no other test.

Sixteen phones, each a distinct cadre per message, post today's logs through the encrypted
callback to one replica, stamped on wall-clock time, while the server restarts; as WeCom does,
a delivery unanswered within 5 s is dropped and the message delivered again. The messages
in flight when it goes away WeCom delivers again meanwhile, to a second replica on the same
database (the database's claim is all that keeps the two from storing one twice); after the
restart every message is delivered once more. The figures are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.dispatch import WECOM_DEADLINE_SECONDS, WECOM_DELIVERIES
from bot.server import ERROR_TEXT
from bot.testing.simulator import SignedCallback
from scheduler.jobs import run_job
from scheduler.registry import all_jobs
from storage.models import DailyLog, InboundMessage
from tests.bench.bench_callback import write_roster
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, Harness, running_bot
from tests.postgres_cluster import PostgresCluster

PHONES = 16
BEFORE = 5  # logs each phone has had answered before the server goes away
AFTER = 5  # and after it is back
CADRES = 800
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送"
ASKED_TO_RESEND = "这条消息没有保存，请稍后重新发送"
SMALL_ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
"""
SMALL_IDS = ("t_leader", "t_a", "t_b", "t_c")
assert ASKED_TO_RESEND in ERROR_TEXT


@dataclass
class Sent:
    signed: SignedCallback
    userid: str
    text: str
    answers: list[tuple[str, int, str]] = field(default_factory=list)  # (delivery, HTTP status, reply)


@dataclass
class Load:
    sent: list[Sent] = field(default_factory=list)
    restarted: bool = False

    def figures(self, stored: int) -> dict[str, int]:
        phone = [next(a for a in s.answers if a[0].startswith("delivery")) for s in self.sent]
        return {
            "sent": len(self.sent),
            "acknowledged": sum(status == 200 and "已记录" in reply for _, status, reply in phone),
            "stored": stored,
            "asked to resend": sum(any(ASKED_TO_RESEND in reply for _, _, reply in s.answers) for s in self.sent),
            "answered on WeCom's 2nd+ delivery": sum(name != "delivery 1" for name, _, _ in phone),
        }


async def _until(event: asyncio.Event, *work: asyncio.Future[Any]) -> None:
    """Until `event` is set, or any of `work` is done first (failed, or all answered early)."""
    waiting = asyncio.ensure_future(event.wait())
    await asyncio.wait([waiting, *work], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()


async def _deliver(h: Harness, name: str, sent: Sent) -> None:
    status, body = await h.post(sent.signed)
    sent.answers.append((name, status, h.reply_content(body) if status == 200 else body))


async def _phone(index: int, load: Load, bot: Harness, warmed: asyncio.Event) -> None:
    after = 0
    for n in itertools.count():
        assert n * PHONES + index < CADRES, "the roster ran out of cadres"
        userid = f"b{n * PHONES + index:06d}"
        text = f"{LOG}（第{n + 1}条，{userid}）"
        sent = Sent(bot.text(userid, text), userid, text)
        load.sent.append(sent)
        delivery, status, reply = await _as_wecom_delivers(bot, sent.signed, asyncio.Event())
        sent.answers.append((f"delivery {delivery}", status, reply))
        if n + 1 >= BEFORE and sum(1 for s in load.sent if s.answers) >= PHONES * BEFORE:
            warmed.set()
        if load.restarted:
            after += 1
            if after >= AFTER:
                return


async def _stored(h: Harness) -> tuple[dict[str, list[str]], dict[str, int]]:
    async with h.runtime.sessions() as session:
        logs: dict[str, list[str]] = {}
        for userid, content in await session.execute(select(DailyLog.userid, DailyLog.content)):
            logs.setdefault(userid, []).append(content)
        claims = dict((await session.execute(
            select(InboundMessage.userid, func.count()).group_by(InboundMessage.userid)
        )).all())
    return logs, claims


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_restart_under_load_costs_nobody_a_resend(
    mode: str, own_postgres: PostgresCluster, own_postgres_db: str, clock, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    write_roster(roster, CADRES)
    async with running_bot(own_postgres_db, clock, roster, real_waits=True) as first, running_bot(
        own_postgres_db, clock, None, standin=(first.settings.wecom.api_base, first.standin), real_waits=True
    ) as second:
        load, warmed = Load(), asyncio.Event()
        phones = [asyncio.ensure_future(_phone(i, load, first, warmed)) for i in range(PHONES)]
        await _until(warmed, *phones)  # a phone ends this early only by failing
        in_flight = [s for s in load.sent if not s.answers]
        started = time.monotonic()
        restart = asyncio.ensure_future(asyncio.to_thread(own_postgres.restart, mode))
        # WeCom delivers the messages in flight again, to the other replica, while the server goes away.
        await asyncio.gather(*(_deliver(second, "retry while away", s) for s in in_flight))
        pg_ctl_seconds = await restart
        load.restarted = True
        await asyncio.gather(*phones)
        answered_by = time.monotonic() - started
        # WeCom delivers every message again after the restart, to either replica.
        await asyncio.gather(*(_deliver(second if i % 2 else first, "retry after", s) for i, s in enumerate(load.sent)))
        logs, claims = await _stored(first)

    stored = sum(logs.get(s.userid) == [s.text] for s in load.sent)
    figures = {**load.figures(stored), "in flight at the restart": len(in_flight)}
    print(f"\nrestart -m {mode}: pg_ctl {pg_ctl_seconds:.2f} s, last phone done {answered_by:.2f} s after it began; "
          + ", ".join(f"{k} {v}" for k, v in figures.items()))
    assert in_flight  # the restart did fall among the messages
    failed = [(s.userid, name, status, reply) for s in load.sent for name, status, reply in s.answers
              if status != 200 or "已记录" not in reply]
    assert failed == []
    # Every delivery of a message got the very reply its first delivery got.
    assert [s.userid for s in load.sent if len({reply for _, _, reply in s.answers}) != 1] == []
    # Stored exactly once: one log per cadre, its content the text once, one claim per message.
    assert {u: c for u, c in logs.items() if len(c) != 1} == {}
    assert figures["stored"] == figures["acknowledged"] == figures["sent"]
    assert set(logs) == {s.userid for s in load.sent}
    assert claims == dict.fromkeys(logs, 1)


async def _as_wecom_delivers(h: Harness, signed: SignedCallback, dropped: asyncio.Event) -> tuple[int, int, str]:
    """No answer within 5 s: WeCom drops the connection and delivers the message again, up to
    4 deliveries. (delivery that was answered, its status, the reply)."""
    for delivery in range(1, WECOM_DELIVERIES + 1):
        try:
            async with h.http.post(f"{h.url}?{signed.query_string}", data=signed.body,
                                   timeout=aiohttp.ClientTimeout(total=WECOM_DEADLINE_SECONDS)) as resp:
                return delivery, resp.status, h.reply_content(await resp.text())
        except TimeoutError:
            dropped.set()
    return WECOM_DELIVERIES, 0, ""


async def test_a_server_away_past_wecoms_deadline_is_waited_out_through_its_retries(
    own_postgres: PostgresCluster, own_postgres_db: str, clock
) -> None:
    """Not answering is better than 「请重新发送」 while WeCom will deliver again: the first
    delivery goes unanswered, the next one gets the log's receipt, and the log is stored once."""
    async with running_bot(own_postgres_db, clock, SAMPLE_ROSTER, real_waits=True) as h:
        people = [u for u in h.runtime.directory.current.people if not u.startswith("qw_")][:4]
        texts = {u: f"{LOG}（{u}）" for u in people}
        await asyncio.to_thread(own_postgres.stop)
        dropped = asyncio.Event()
        try:
            sending = asyncio.gather(*(_as_wecom_delivers(h, h.text(u, texts[u]), dropped) for u in people))
            # Until WeCom gives up on a first delivery (the server is away past 5 s), or every
            # message was answered before that.
            await _until(dropped, sending)
        finally:
            await asyncio.to_thread(own_postgres.start)
        outcomes = await sending
        logs, claims = await _stored(h)
    # Each first delivery went unanswered (never 「请重新发送」); a later one got the receipt.
    assert [(delivery > 1, status, "已记录" in reply) for delivery, status, reply in outcomes] == [(True, 200, True)] * len(people)
    assert logs == {u: [texts[u]] for u in people}
    assert claims == dict.fromkeys(people, 1)


async def test_a_server_that_stays_away_through_every_delivery_gets_the_cadre_told(
    own_postgres: PostgresCluster, own_postgres_db: str, clock
) -> None:
    """The bot waits on the driven clock here: all of WeCom's deliveries are answered with
    「请重新发送」, nothing is stored, and the resent message is stored once."""
    async with running_bot(own_postgres_db, clock, SAMPLE_ROSTER) as h:
        userid = next(u for u in h.runtime.directory.current.people if not u.startswith("qw_"))
        signed = h.text(userid, LOG)
        await asyncio.to_thread(own_postgres.stop)
        try:
            answers = await asyncio.gather(*(h.post(signed) for _ in range(WECOM_DELIVERIES)))
        finally:
            await asyncio.to_thread(own_postgres.start)
        assert [(status, ASKED_TO_RESEND in h.reply_content(body)) for status, body in answers] == [(200, True)] * 4
        assert await _stored(h) == ({}, {})
        assert "已记录" in await h.say(userid, LOG)
        assert await _stored(h) == ({userid: [LOG]}, {userid: 1})


async def test_a_scheduled_job_that_finds_the_server_away_runs_again_once_it_is_back(
    own_postgres: PostgresCluster, own_postgres_db: str, tmp_path: Path
) -> None:
    """Issue 27 §2: a reminder job that meets a database that is away is not lost: it waits
    (on the driven clock here) and runs again; the server comes back during that wait."""
    clock = ManualClock(at("2027-01-05 09:30"))
    roster = tmp_path / "roster.csv"
    roster.write_text(SMALL_ROSTER, encoding="utf-8")
    async with running_bot(own_postgres_db, clock, roster, (SAMPLE_2027,), logs={"start_date": "2026-10-01"}) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await h.drain()
        clock.set(at("2027-01-06 10:00"))
        waits: list[float] = []

        async def back_during_the_wait(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 1:
                await asyncio.to_thread(own_postgres.start)

        await asyncio.to_thread(own_postgres.stop)
        try:
            job = next(j for j in all_jobs() if j.id == "rating-remind")
            assert await run_job(job, replace(h.runtime.jobs, sleep=back_during_the_wait), clock.now())
        finally:
            if waits == []:
                await asyncio.to_thread(own_postgres.start)
        assert waits[:1] == [1.0]
        await h.drain()
        reminded = {u for u in SMALL_IDS if any("评分提醒" in t for t in h.standin.texts_for(u))}
        assert reminded == set(SMALL_IDS)

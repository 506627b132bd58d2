"""Today's logs that arrive together are decided and stored as one batch (the hot path):
each must come out as if it had been sent alone."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import asyncpg
import pytest
from sqlalchemy import delete, select, text

from storage.models import Cadre, InboundMessage, RosterChange
from tests.conftest import PG_ADMIN_URL, SAMPLE_ROSTER
from tests.e2e.test_daily_logs import LOG, WU, stored_logs
from tests.harness import running_bot

ZHENG = "chengguan_zhengli"
WANG = "chengguan_wangqiang"
FENG = "chengguan_fengjing"
CHEN = "chengguan_chenlei"


async def test_logs_arriving_together_are_each_decided_as_if_sent_alone(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        replies = await asyncio.gather(
            h.say(WU, "补充：晚上参加镇防火安全检查部署会"),  # appended to the log of before
            h.say(ZHENG, "开会"),  # too short: refused, nothing stored
            h.say(WANG, f"{LOG}（王强）"),
            h.say(FENG, "上午到三个村核查危房改造进度并拍照存档"),  # two texts of one person at once
            h.say(FENG, "下午整理社会救助申请材料并录入系统"),
        )
        assert "已追加" in replies[0] and "太短" in replies[1] and "已记录" in replies[2]
        assert sorted("已追加" in r for r in replies[3:]) == [False, True]
        assert await stored_logs(h, WU) == {"2026-11-23": LOG + "\n补充：晚上参加镇防火安全检查部署会"}
        assert await stored_logs(h, ZHENG) == {}
        assert await stored_logs(h, WANG) == {"2026-11-23": f"{LOG}（王强）"}
        feng = (await stored_logs(h, FENG))["2026-11-23"]
        assert sorted(feng.split("\n")) == ["上午到三个村核查危房改造进度并拍照存档", "下午整理社会救助申请材料并录入系统"]
        # The reply names the whole day's length, in the order the texts were stored.
        second = next(r for r in replies[3:] if "已追加" in r)
        assert f"共 {len(feng)} 字" in second


async def test_one_failing_message_never_loses_the_others(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        # Another process took 陈磊 off the roster; this bot's roster snapshot still has him,
        # so his log breaks the database's foreign key and fails the batch it is in.
        async with h.runtime.sessions() as session, session.begin():
            await session.execute(delete(RosterChange).where(RosterChange.userid == CHEN))
            await session.execute(delete(Cadre).where(Cadre.userid == CHEN))
        others = (WU, ZHENG, WANG, FENG)
        signed = [h.text(u, f"{LOG}（{u}）") for u in (CHEN, *others)]
        posted = await asyncio.gather(*(h.post(s) for s in signed))
        replies = [h.reply_content(body) for _, body in posted]
        assert all(status == 200 for status, _ in posted)
        assert "系统暂时出错" in replies[0] and "没有保存" in replies[0]
        assert all("已记录" in r for r in replies[1:])
        for userid in others:
            assert await stored_logs(h, userid) == {"2026-11-23": f"{LOG}（{userid}）"}
        async with h.runtime.sessions() as session:
            claimed = {u: r for u, r in await session.execute(select(InboundMessage.userid, InboundMessage.reply))}
        # Nothing of it is stored but the answer it got, which its retries get too (see below).
        assert await stored_logs(h, CHEN) == {}
        assert "系统暂时出错" in claimed[CHEN] and replies[0] in claimed[CHEN]
        assert set(others) <= set(claimed)


async def test_sqlite_commits_are_durable_on_power_loss_by_default(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        async with h.runtime.sessions() as session:
            orm = (await session.execute(text("PRAGMA synchronous"))).scalar_one()
        hot = await h.runtime.writer.run(lambda driver: driver.rows("PRAGMA synchronous", ())[0][0])
        assert orm == hot == 2  # FULL: the WAL is fsynced at every COMMIT


async def test_a_log_sent_while_another_process_holds_the_write_lock_waits_for_it(sqlite_url, clock):
    """A roster import (another process) holds SQLite's write lock: the batch waits on the
    writer thread, off the event loop, and is answered once the lock is free — never refused,
    never stored half, and the bot keeps answering other requests meanwhile."""
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        other = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # what an import's transaction holds while it runs
        started = time.monotonic()
        waiting = asyncio.ensure_future(h.say(WU, LOG))
        for _ in range(200):  # time for the log to reach its batch
            await asyncio.sleep(0)
        async with h.http.get(h.url.rsplit("/", 2)[0] + "/healthz") as resp:
            assert resp.status == 200
        # The loop was never blocked waiting for the lock (SQLite would wait up to 30 s).
        assert time.monotonic() - started < 2.0
        assert not waiting.done()
        other.execute("COMMIT")
        other.close()
        assert "已记录" in await waiting
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}
        assert "已追加" in await h.say(WU, "补充：下午到城关社区核实两户低保情况")  # the fast path again


async def test_a_retried_poison_message_is_answered_without_failing_the_next_batch(db_url, clock, caplog):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        async with h.runtime.sessions() as session, session.begin():
            await session.execute(delete(RosterChange).where(RosterChange.userid == CHEN))
            await session.execute(delete(Cadre).where(Cadre.userid == CHEN))
        poison = h.text(CHEN, f"{LOG}（陈磊）")
        _, first = await h.post(poison)
        assert "系统暂时出错" in h.reply_content(first)
        caplog.clear()
        # WeCom retries the same message while others arrive: they share a batch again.
        posted = await asyncio.gather(h.post(poison), *(h.post(h.text(u, f"{LOG}（{u}）")) for u in (WU, ZHENG)))
        replies = [h.reply_content(body) for _, body in posted]
        assert "系统暂时出错" in replies[0] and all("已记录" in r for r in replies[1:])
        assert not [r for r in caplog.records if "failed; running its items one by one" in r.getMessage()]
        assert [r for r in caplog.records if "failed before; not run again" in r.getMessage()]


async def test_a_database_blink_costs_nobody_a_resend(db_url, clock):
    """The bot's PostgreSQL connections are cut (as by a fast restart) while cadres post:
    every message is retried inside WeCom's deadline, answered and stored."""
    if not db_url.startswith("postgresql"):
        pytest.skip("cuts PostgreSQL server connections")
    database = db_url.rsplit("/", 1)[1]
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        people = [u for u in h.runtime.directory.current.people if not u.startswith("qw_")][:16]
        admin = await asyncpg.connect(PG_ADMIN_URL)
        cut = 0
        try:
            posting = [asyncio.ensure_future(h.say(u, f"{LOG}（{u}）")) for u in people]
            # Cut the bot's connections in the middle of its transactions a few times while
            # messages are in flight, then stop, as a fast restart does.
            while cut < 3 and not all(p.done() for p in posting):
                cut += len(await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
                    " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')",
                    database,
                ))
            replies = await asyncio.gather(*posting)
        finally:
            await admin.close()
        assert cut > 0
        assert [r for r in replies if "已记录" not in r] == []
        for userid in people:
            assert await stored_logs(h, userid) == {"2026-11-23": f"{LOG}（{userid}）"}


async def test_a_log_held_up_on_postgresql_holds_up_nobody_else(db_url, clock):
    """With `pg_lanes`, PostgreSQL keeps several log transactions in flight (storage/committer.py
    Lanes): a cadre whose log waits on a row another transaction holds does not keep a
    colleague in another lane waiting, and is answered, appended, once the row is free."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    async with running_bot(db_url, clock, SAMPLE_ROSTER, database={"pg_lanes": 3}) as h:
        assert "已记录" in await h.say(WU, LOG)
        (lanes,) = h.runtime.batches.values()
        other = next(u for u in (ZHENG, WANG, FENG, CHEN) if lanes.lane(u) is not lanes.lane(WU))
        database = db_url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}")
        try:
            held = admin.transaction()
            await held.start()
            await admin.execute("SELECT 1 FROM dailylog WHERE userid = $1 FOR UPDATE", WU)
            waiting = asyncio.ensure_future(h.say(WU, "补充：晚上参加镇防火安全检查部署会"))
            await _someone_waits_for_a_lock(admin, database)  # 吴昊's batch, at the held row
            # Answered while 吴昊's transaction waits (a real bound only for the failure case).
            assert "已记录" in await asyncio.wait_for(h.say(other, f"{LOG}（{other}）"), timeout=10)
            assert not waiting.done()
            await held.rollback()
            assert "已追加" in await asyncio.wait_for(waiting, timeout=10)
        finally:
            await admin.close()
        assert await stored_logs(h, WU) == {"2026-11-23": LOG + "\n补充：晚上参加镇防火安全检查部署会"}
        assert await stored_logs(h, other) == {"2026-11-23": f"{LOG}（{other}）"}


async def _someone_waits_for_a_lock(admin: asyncpg.Connection, database: str) -> None:
    for _ in range(1000):
        if await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", database
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no transaction waits for the held row")

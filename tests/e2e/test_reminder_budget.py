"""The reminder budget (issue 26, item 8) through the encrypted callback: a cadre mutes today's
log nudge by texting 「今天不提醒」; nobody is reminded in quiet hours (a reminder due then goes
out when they end, or not at all once its day is over); nobody gets more than the day's budget,
whichever replica runs which kind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.runtime import Runtime
from scheduler.jobs import run_job
from scheduler.log_jobs import LOG_JOBS, remind
from scheduler.registry import all_jobs
from storage.models import DailyLog
from tests.conftest import at
from tests.harness import Harness, running_bot

LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"
ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
t_d,邓可,测试镇,township,staff,general,科员,
t_sup,石上级,区委,district_unit,superior,,区委副书记,测试镇
"""
CADRES = {"t_leader", "t_a", "t_b", "t_c", "t_d"}
# 11-16 (Mon) is the first day owed; its backfill window closes on 11-23 (Mon).
STARTED = {"start_date": "2026-11-16"}
DAILY, LAST_DAY = LOG_JOBS

def after_quiet():  # type: ignore[no-untyped-def]
    return next(job for job in all_jobs() if job.id == "reminders-after-quiet")


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def nudged(h: Harness, mark: str) -> list[str]:
    """Each delivery of a reminder starting with `mark` (📝 today's log, ⏰ backfill deadline)."""
    return sorted(u for d in h.standin.sent if (d.text or "").startswith(mark) for u in d.recipients)


async def run_at(h: Harness, job, when: str) -> bool:  # type: ignore[no-untyped-def]
    h.clock.set(at(when))
    ran = await run_job(job, h.runtime.jobs, at(when))
    await h.drain()
    return ran


async def test_a_cadre_who_says_not_today_gets_no_log_nudge_today_but_tomorrow(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 09:00"))
    async with running_bot(db_url, clock, roster(tmp_path), logs=STARTED) as h:
        said = await h.say("t_a", "今天不提醒")
        assert "今天 11月23日（周一）不再提醒您记日志" in said and "明天起照常提醒" in said and "补记" in said
        # As people type it: another word order, 了, punctuation, full-width space.
        assert "不再提醒您记日志" in await h.say("t_b", "今天别再提醒我了！")
        assert "不再提醒您记日志" in await h.say("t_c", "今日　不提醒")
        signed = h.text("t_c", "今日不提醒", msg_id=9_260_801)
        replies = {h.reply_content((await h.post(signed))[1]) for _ in range(3)}  # WeCom retries
        assert len(replies) == 1 and "不再提醒" in replies.pop()
        # A superior leader keeps no log: nothing to mute.
        assert "仅限记日志、参加考核的干部使用" in await h.say("t_sup", "今天不提醒")
        async with h.runtime.sessions() as session:
            assert (await session.execute(DailyLog.__table__.select())).all() == []  # never a log

        assert await run_at(h, DAILY, "2026-11-23 17:30")
        assert nudged(h, "📝") == ["t_d", "t_leader"]
        # Someone already nudged today is told so; someone who logged needs no mute.
        assert "已经发给您了" in await h.say("t_d", "今天不提醒")
        assert "已记录" in await h.say("t_a", LOG)
        assert "日志已经记载" in await h.say("t_a", "今天不提醒")

        assert await run_at(h, DAILY, "2026-11-24 17:30")  # a new day: everyone who owes it
        assert nudged(h, "📝") == sorted(["t_d", "t_leader", "t_b", "t_c", "t_d", "t_leader", "t_a"])
        clock.set(at("2026-11-28 10:00"))  # Saturday
        assert "不是工作日" in await h.say("t_b", "今天不提醒")


async def test_a_reminder_due_in_quiet_hours_waits_for_their_end_or_is_dropped(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 06:00"))
    times = {"last_day_at": "07:00", "daily_at": "21:30", "quiet_start": "21:00", "quiet_end": "08:00"}
    async with running_bot(db_url, clock, roster(tmp_path), logs=STARTED, reminders=times) as h:
        assert not await run_at(h, LAST_DAY, "2026-11-23 07:00")
        assert nudged(h, "⏰") == []  # nobody woken at 07:00
        clock.set(at("2026-11-23 07:30"))
        assert "已补记" in await h.say("t_a", f"补记 11-16 {LOG}")
        await run_at(h, after_quiet(), "2026-11-23 08:00")
        assert nudged(h, "⏰") == sorted(CADRES - {"t_a"})  # t_a backfilled meanwhile
        await run_at(h, after_quiet(), "2026-11-23 08:00")  # a second replica, a catch-up
        assert nudged(h, "⏰") == sorted(CADRES - {"t_a"})

        assert not await run_at(h, DAILY, "2026-11-23 21:30")
        await run_at(h, after_quiet(), "2026-11-24 08:00")  # yesterday's nudge is no use now
        assert nudged(h, "📝") == []


async def test_no_one_gets_more_reminders_a_day_than_the_budget(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 09:00"))
    async with running_bot(db_url, clock, roster(tmp_path), logs=STARTED, reminders={"daily_budget": 1}) as h:
        await run_at(h, LAST_DAY, "2026-11-23 10:00")
        assert nudged(h, "⏰") == sorted(CADRES)
        await run_at(h, DAILY, "2026-11-23 17:30")
        assert nudged(h, "📝") == []  # each has had today's one reminder
        await run_at(h, DAILY, "2026-11-24 17:30")
        assert nudged(h, "📝") == sorted(CADRES)  # a new day, a new budget


async def test_two_replicas_sending_different_kinds_at_once_keep_each_person_within_budget(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), logs=STARTED, reminders={"daily_budget": 1}) as h:
        other = Runtime.build(h.settings, clock)
        other.background = False
        await other.start()
        try:
            now = clock.now()
            await asyncio.gather(
                remind(h.runtime.jobs, "daily", now), remind(other.jobs, "last_day", now),
                remind(other.jobs, "daily", now), remind(h.runtime.jobs, "last_day", now),
            )
            await asyncio.gather(h.drain(), other.sender.drain_once())
        finally:
            await other.close()
        reached = nudged(h, "📝") + nudged(h, "⏰")
        assert sorted(reached) == sorted(CADRES)  # each exactly once, by one kind or the other



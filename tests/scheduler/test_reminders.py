"""Reminders over a driven fortnight (国庆 2026 with the 10-10 make-up Saturday): exactly the
expected (person, day, kind) set, whatever is run twice, on two replicas or after a restart."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.calendar import parse_calendar_file
from bot.clock import SHANGHAI
from bot.runtime import Runtime
from scheduler.jobs import run_job
from scheduler.log_jobs import LOG_JOBS, remind
from scheduler.wiring import catch_up
from storage.models import Outbox
from storage.models_reminders import ReminderClaim
from storage.repos import Store
from tests.conftest import SAMPLE_2027, at
from tests.harness import ADMIN, Harness, running_bot

LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"
ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
t_d,邓可,测试镇,township,staff,general,科员,
t_sup,石上级,区委,district_unit,superior,,区委副书记,测试镇
"""
FORTNIGHT = [date(2026, 9, 28) + timedelta(days=i) for i in range(14)]
WORKING = [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),
           date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
SETTINGS = {"logs": {"start_date": "2026-09-23"}, "reminders": {"batch_size": 2}}

Sent = set[tuple[str, date, str]]


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def expected() -> Sent:
    d = date
    daily = {(u, day) for u in ("t_a", "t_leader") for day in WORKING}
    daily |= {("t_b", d(2026, 10, 10))}  # logged 9-28, on leave 9-24 … 10-9
    daily |= {("t_d", day) for day in WORKING[1:]}  # logged 9-28 only
    # A window closes on each working day: 5 working days back, skipping 中秋 (9-25) and 国庆.
    last_day = {(u, d(2026, 9, 23)) for u in ("t_a", "t_leader", "t_b", "t_c", "t_d")}  # closes 10-8
    last_day |= {(u, d(2026, 9, 24)) for u in ("t_a", "t_leader", "t_d")}  # closes 10-9; 陈勤 backfilled, 包容 on leave
    last_day |= {(u, d(2026, 9, 28)) for u in ("t_a", "t_leader")}  # closes 10-10, the make-up Saturday
    return {(u, day, "daily") for u, day in daily} | {(u, day, "last_day") for u, day in last_day}


def reminders_delivered(h: Harness) -> Sent:
    """What the WeCom stand-in actually delivered, read back from the message texts."""
    out: Sent = set()
    for delivery in h.standin.sent:
        text = delivery.text or ""
        kind = "daily" if text.startswith("📝") else "last_day" if text.startswith("⏰") else None
        if kind is None:
            continue
        month, day = map(int, re.search(r"(\d+)月(\d+)日", text).groups())  # type: ignore[union-attr]
        for userid in delivery.recipients:
            out.add((userid, date(2026, month, day), kind))
    return out


def delivery_count(h: Harness) -> int:
    return sum(len(d.recipients) for d in h.standin.sent if (d.text or "")[:1] in ("📝", "⏰"))


async def claims(h: Harness) -> Sent:
    async with h.runtime.sessions() as session:
        rows = await session.execute(select(ReminderClaim.userid, ReminderClaim.day, ReminderClaim.kind))
        return {(r.userid, r.day, r.kind) for r in rows}


async def every_job_of(h: Harness, day: date, times: int = 2) -> None:
    for job in sorted(LOG_JOBS, key=lambda j: j.at(h.settings)):
        instant = datetime.combine(day, job.at(h.settings), tzinfo=SHANGHAI)
        if h.clock.now() < instant:
            h.clock.set(instant)
        for _ in range(times):
            await run_job(job, h.runtime.jobs, instant)
            await h.drain()


def no_sleep(h: Harness) -> list[float]:
    """The client's backoff waits, recorded instead of slept (the tests drive time)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    h.runtime.client._sleep = sleep  # type: ignore[method-assign]
    return waits


async def test_a_fortnight_over_national_day_sends_exactly_the_expected_reminders(db_url, clock, tmp_path):
    clock.set(at("2026-09-28 08:30"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        assert "已提交请假申请" in await h.say("t_b", "请假 9-24 至 10-9 年假")
        await h.drain()
        card = next(d for d in h.standin.messages_for("t_leader") if d.msgtype == "template_card")
        await h.card("t_leader", card.payload["template_card"]["task_id"], "approve")
        await h.say("t_c", f"补记 9-24 {LOG}")
        for day in FORTNIGHT:
            clock.set(datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).replace(hour=9))
            if day in WORKING:
                await h.say("t_c", LOG)
                if day == date(2026, 9, 28):
                    await h.say("t_b", LOG)
                    await h.say("t_d", LOG)
            await every_job_of(h, day)

        assert reminders_delivered(h) == expected()
        assert delivery_count(h) == len(expected())  # nobody got any reminder twice
        assert await claims(h) == expected()
        assert all(len(d.recipients) <= 2 for d in h.standin.sent if (d.text or "")[:1] in ("📝", "⏰"))

        # Every job of every day once more, now, at the end: nothing new for anyone.
        before = len(h.standin.sent)
        for day in FORTNIGHT:
            for kind in ("daily", "last_day"):
                await remind(h.runtime.jobs, kind, datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI))
        await h.drain()
        assert len(h.standin.sent) == before
        assert await claims(h) == expected()


async def test_no_reminder_on_a_holiday_even_when_called_directly(db_url, clock, tmp_path):
    clock.set(at("2026-10-03 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        assert await remind(h.runtime.jobs, "daily", clock.now()) is None
        assert await remind(h.runtime.jobs, "last_day", clock.now()) is None
        job = LOG_JOBS[0]
        assert await run_job(job, h.runtime.jobs, clock.now()) is False
        await h.drain()
        assert reminders_delivered(h) == set()


async def test_two_replicas_running_the_same_pass_at_once_remind_each_person_once(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        other = Runtime.build(h.settings, clock)
        other.background = False
        await other.start()
        try:
            await asyncio.gather(
                remind(h.runtime.jobs, "daily", clock.now()), remind(other.jobs, "daily", clock.now()),
                remind(h.runtime.jobs, "daily", clock.now()), remind(other.jobs, "daily", clock.now()),
            )
            await asyncio.gather(h.drain(), other.sender.drain_once())
        finally:
            await other.close()
        staff = {"t_leader", "t_a", "t_b", "t_c", "t_d"}
        assert reminders_delivered(h) == {(u, date(2026, 11, 23), "daily") for u in staff}
        assert delivery_count(h) == len(staff)


async def test_a_restart_after_the_pass_sends_nothing_again(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        await remind(h.runtime.jobs, "daily", clock.now())
        await h.drain()
        first = reminders_delivered(h)
    clock.set(at("2026-11-23 17:50"))
    async with running_bot(db_url, clock, None, **SETTINGS) as h:
        assert log_jobs(await catch_up(h.runtime.jobs, clock.now())) == ["remind-daily"]
        await h.drain()
        assert reminders_delivered(h) == set()  # this stand-in saw nothing new
    assert len(first) == 5


def log_jobs(job_ids: list[str]) -> list[str]:
    """The log-reminder jobs among those caught up (rating jobs have their own tests)."""
    return [j for j in job_ids if j.startswith("remind-")]


async def test_after_downtime_a_reminder_within_grace_is_sent_once_and_older_ones_are_skipped(
    db_url, clock, tmp_path, caplog
):
    clock.set(at("2026-11-23 18:20"))  # 50 minutes after 17:30, 8 hours after 10:00
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        with caplog.at_level(logging.INFO, logger="scheduler.wiring"):
            assert log_jobs(await catch_up(h.runtime.jobs, clock.now())) == ["remind-daily"]
            assert log_jobs(await catch_up(h.runtime.jobs, clock.now())) == ["remind-daily"]  # harmless
        assert any("remind-last-day" in r.message and "skipped" in r.message for r in caplog.records)
        await h.drain()
        assert {k for _, _, k in reminders_delivered(h)} == {"daily"}
        assert delivery_count(h) == 5
        clock.set(at("2026-11-23 18:31"))  # 61 minutes late: too late to nudge
        assert log_jobs(await catch_up(h.runtime.jobs, clock.now())) == []


async def test_frequency_limit_is_retried_and_the_reminder_sent_once(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), reminders={"batch_size": 1000}) as h:
        waits = no_sleep(h)
        h.standin.fail_next("message/send", 45009)  # retried inside the client
        await remind(h.runtime.jobs, "daily", clock.now())
        await h.drain()
        assert delivery_count(h) == 5 and waits
        # Outlasting the client's attempts: the row waits (backoff) and goes out on a later drain.
        clock.set(at("2026-11-24 17:30"))
        h.standin.fail_next("message/send", 45009, times=4)
        await remind(h.runtime.jobs, "daily", clock.now())
        await h.drain()
        assert delivery_count(h) == 5
        async with h.runtime.sessions() as session:
            row = (await session.execute(select(Outbox).where(Outbox.dedupe_key.like("remind:daily:2026-11-24%")))).scalar_one()  # type: ignore[attr-defined]
        assert row.status == "pending" and "45009" in row.error
        clock.advance(minutes=5)
        await h.drain()
        assert delivery_count(h) == 10
        assert reminders_delivered(h) == {
            (u, day, "daily") for u in ("t_leader", "t_a", "t_b", "t_c", "t_d")
            for day in (date(2026, 11, 23), date(2026, 11, 24))
        }


async def test_a_send_that_fails_for_good_is_recorded_and_shown_to_the_admin(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        no_sleep(h)
        h.standin.fail_next("message/send", 60020, errmsg="not allow to access from your ip")
        await remind(h.runtime.jobs, "daily", clock.now())
        await h.drain()
        async with h.runtime.sessions() as session:
            rows = (await session.execute(select(Outbox).where(Outbox.dedupe_key.like("remind:%")))).scalars().all()  # type: ignore[attr-defined]
        assert sorted(r.status for r in rows) == ["failed", "sent", "sent"]  # batches of 2
        failed = next(r for r in rows if r.status == "failed")
        clock.set(at("2026-11-24 09:00"))
        stats = await h.say(ADMIN, "缺记统计")
        assert "发送失败的提醒】2 人次" in stats
        for userid in failed.userids.split("|"):
            name = h.runtime.directory.current.get(userid).name  # type: ignore[union-attr]
            assert f"{name}（测试镇） 11月23日 当日提醒：60020" in stats
        # Nobody is reminded twice for it: a failed send is final, not re-queued.
        await remind(h.runtime.jobs, "daily", at("2026-11-23 17:30"))
        await h.drain()
        assert delivery_count(h) == 3


async def test_a_year_without_a_schedule_sends_no_reminder_and_alerts_the_admin(db_url, clock, tmp_path):
    clock.set(at("2027-01-04 17:30"))  # 2027 is not in chinesecalendar and nobody loaded it
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        assert await remind(h.runtime.jobs, "daily", clock.now()) is None
        assert await run_job(LOG_JOBS[0], h.runtime.jobs, clock.now()) is True  # the job alerts, once a day
        await h.drain()
        assert reminders_delivered(h) == set()
        alerts = h.standin.texts_for(ADMIN)
        assert len(alerts) == 1 and "2027" in alerts[0] and "日志提醒" in alerts[0] and "shiji calendar load 2027.toml" in alerts[0]


async def test_a_year_loaded_after_the_calendar_was_read_gets_its_reminders_without_an_alert(
    db_url, clock, tmp_path
):
    clock.set(at("2027-01-04 17:30"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        # `shiji calendar load 2027.toml` on the server: the database has the year, the running
        # bot's cached calendar does not yet.
        schedule = parse_calendar_file(SAMPLE_2027)
        async with h.runtime.sessions() as session, session.begin():
            await Store(session).calendar.load_year(
                schedule.year, schedule.holidays, schedule.makeup_workdays, str(SAMPLE_2027), clock.now()
            )
        assert await remind(h.runtime.jobs, "daily", clock.now()) is not None
        await h.drain()
        staff = {"t_leader", "t_a", "t_b", "t_c", "t_d"}
        delivered = reminders_delivered(h)  # (read back as 2026: the month and day are what count)
        assert {(u, day.month, day.day, kind) for u, day, kind in delivered} == {(u, 1, 4, "daily") for u in staff}
        assert h.standin.texts_for(ADMIN) == []  # nobody is told the year is missing

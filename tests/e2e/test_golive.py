"""The operator's year (issue 28): going live, voiding a round opened by mistake, and the
next year's holiday schedule — through the encrypted callback, the jobs and the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.cli import main
from scheduler.calendar_jobs import JOBS as CALENDAR_JOBS
from scheduler.jobs import run_job
from scheduler.round_jobs import QUARTER_JOBS, YEAR_JOBS
from scheduler.wiring import catch_up
from storage.models import Outbox
from storage.models_ops import AuditEvent
from storage.models_rating import (
    RatingAssignment,
    RatingDraft,
    RatingHandin,
    RatingRound,
    RatingScore,
)
from storage.models_year import YearEval
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, Harness, running_bot

WU = "chengguan_wuhao"  # 吴昊, staff of 城关镇
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账"


def texts_to(h: Harness, userid: str) -> list[str]:
    return [d.payload["text"]["content"] for d in h.standin.sent
            if d.path == "message/send" and userid in d.recipients and "text" in d.payload]


def cards_to(h: Harness, userid: str) -> list[dict]:
    return [d.payload["template_card"] for d in h.standin.sent
            if d.path == "message/send" and userid in d.recipients and "template_card" in d.payload]


async def drain_all(h: Harness) -> None:
    while await h.drain():
        pass


async def count(h: Harness, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


# ---- 1. no round, no summary owed, for a quarter that ended before go-live -----------------


async def test_first_serve_after_new_year_opens_no_round_for_the_quarter_before_go_live(db_url, clock):
    """Issue 28 §1: `shiji serve` first on 2026-01-05 with start_date 2026-01-05 opened 2025Q4
    (192 cards to 25 people on day one)."""
    clock.set(at("2026-01-05 09:05"))  # inside 2025Q4's automatic window (opens 01-04, 调休)
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-01-05"},
                           year={"open_after_working_days": 1}) as h:
        assert "rating-open" in await catch_up(h.runtime.jobs, clock.now())
        await QUARTER_JOBS.open(h.runtime.jobs, clock.now())  # the scheduled run itself, too
        await YEAR_JOBS.open(h.runtime.jobs, clock.now())  # nor 2025's 民主测评
        await drain_all(h)
        assert await count(h, RatingRound) == 0 and await count(h, YearEval) == 0
        assert not [c for d in h.standin.sent for c in [d.payload.get("template_card")] if c]
        assert "还没有开启过评分" in await h.say(ADMIN, "评分进度 2025Q4")


async def test_a_quarter_before_go_live_owes_no_summary_when_rated_by_hand(db_url, clock):
    """Publishing 2025Q4 told everyone 「未交季度小结 2.00 分」: nobody could write one."""
    clock.set(at("2026-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-01-05"}) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2025Q4")
        assert "已关闭" in await h.say(ADMIN, "关闭评分 2025Q4")
        assert "已发布" in await h.say(ADMIN, "发布结果 2025Q4 强制发布")
        await drain_all(h)
        (result,) = [t for t in texts_to(h, WU) if "实绩考核结果" in t]
        assert "未交季度小结" not in result and "缺记" not in result


# ---- 2. go-live defaults to the first roster import -----------------------------------------


async def test_going_live_mid_quarter_without_start_date_owes_logs_only_from_the_first_import(db_url, clock):
    """Issue 28 §2: 「冯宇 缺 43 篇」 on day one; the roster was imported 2026-11-23."""
    clock.set(at("2026-11-23 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        clock.set(at("2026-11-25 09:00"))
        reply = await h.say(WU, "缺记")
        assert "还可以补记的 2 天" in reply, reply
        assert "11月23日" in reply and "11月24日" in reply
        assert "10月" not in reply and "11月20日" not in reply and "已过补记期限" not in reply
        stats = await h.say(ADMIN, "缺记统计")
        assert "城关镇（12 人）：24 / 24" in stats  # 2 days each, this week and this quarter alike
    # A restarted bot (a later import does not move it) still goes by the first import.
    clock.set(at("2026-12-02 09:00"))
    async with running_bot(db_url, clock, None) as h:
        reply = await h.say(WU, "缺记")
        assert "10月" not in reply and "11月20日" not in reply and "11月23日" in reply


# ---- voiding a round opened by mistake --------------------------------------------------------


async def test_voiding_a_round_leaves_nothing_and_tells_each_rater_once(db_url, clock):
    clock.set(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, calendars=(SAMPLE_2027,),
                           logs={"start_date": "2026-10-01"}) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await h.drain()  # the first wave only: later waves are still pending
        async with h.runtime.sessions() as session:
            raters = set((await session.execute(select(RatingAssignment.rater).distinct())).scalars())
        card = cards_to(h, WU)[0]
        status, _ = await h.card(WU, card["task_id"], "ok", selected={"score": ["88"]})
        assert status == 200 and await count(h, RatingDraft) == 1
        assert await count(h, Outbox, Outbox.status == "pending", Outbox.dedupe_key.like("rate-card:%")) > 0

        await h.say(WU, "作废评分 2026Q4")  # not an admin: nothing voided
        assert await count(h, RatingAssignment) > 0 and await count(h, RatingDraft) == 1
        reply = await h.say(ADMIN, "作废评分 2026Q4")
        assert "已作废" in reply, reply
        assert "已经作废" in await h.say(ADMIN, "作废评分 2026Q4")  # a double tap changes nothing
        for model in (RatingAssignment, RatingDraft, RatingHandin, RatingScore):
            assert await count(h, model) == 0, model
        assert await count(h, Outbox, Outbox.status == "pending", Outbox.dedupe_key.like("rate-card:%")) == 0
        assert await count(h, Outbox, Outbox.status == "pending", Outbox.dedupe_key.like("rate-submit:%")) == 0
        assert await count(h, AuditEvent, AuditEvent.action == "round.void") == 1

        sent_before = len(h.standin.sent)
        clock.advance(minutes=30)  # every wave of cards would be due by now
        await drain_all(h)
        late = h.standin.sent[sent_before:]
        assert not [d for d in late if d.payload.get("template_card")]
        told = {d.recipients[0] for d in late if "作废" in str(d.payload.get("text", {}).get("content", ""))}
        assert told == raters
        assert sum("作废" in t for t in texts_to(h, WU)) == 1

        # The catch-up and the next days' jobs do not reopen it; an old card is no 5xx.
        await QUARTER_JOBS.open(h.runtime.jobs, at("2027-01-05 09:00"))
        assert await count(h, RatingAssignment) == 0
        status, _ = await h.card(WU, card["task_id"], "ok", selected={"score": ["90"]})
        assert status == 200 and await count(h, RatingDraft) == 0
        assert "作废" in await h.say(ADMIN, "发布结果 2026Q4")
        # The admin may open it afresh on purpose.
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")


def test_a_published_round_cannot_be_voided(sqlite_url, monkeypatch, capsys):
    cli_env(monkeypatch, sqlite_url, "2027-01-04T09:30:00+08:00")
    assert main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    assert main(["calendar", "load", str(SAMPLE_2027)]) == 0
    for action in ("open", "close", "publish"):
        assert main(["round", action, "2026Q4", *(["--force"] if action == "publish" else [])]) == 0
    capsys.readouterr()
    assert main(["round", "void", "2026Q4"]) == 2
    assert "已经发布，不能作废" in capsys.readouterr().err
    assert main(["round", "void"]) == 2  # never a default round
    assert "请写明要作废的季度" in capsys.readouterr().err


# ---- 3. next year's calendar ------------------------------------------------------------------


def cli_env(monkeypatch: pytest.MonkeyPatch, url: str, start: str) -> None:
    monkeypatch.setenv("SHIJI_DATABASE__URL", url)
    monkeypatch.setenv("SHIJI_CLOCK__START", start)
    monkeypatch.setenv("SHIJI_ADMIN__USERIDS", '["kaohe_admin"]')


async def test_admins_are_told_every_working_day_from_warn_from_until_next_year_is_loaded(db_url, clock):
    """Issue 28 §3: the first warning came on 12-29, after 71 backfills were refused."""
    (job,) = CALENDAR_JOBS
    clock.set(at("2026-12-04 09:00"))  # a Friday, the day before warn_from
    async with running_bot(db_url, clock, SAMPLE_ROSTER, calendar={"warn_from": "12-05"}) as h:

        async def warnings_after(day: str) -> list[str]:
            clock.set(at(f"{day} 09:00"))
            await run_job(job, h.runtime.jobs, clock.now())
            await run_job(job, h.runtime.jobs, clock.now())  # a second replica, a restart
            await drain_all(h)
            return [t for t in texts_to(h, ADMIN) if "2027 年" in t]

        assert await warnings_after("2026-12-04") == []
        assert await warnings_after("2026-12-05") == []  # Saturday
        assert await warnings_after("2026-12-06") == []  # Sunday
        monday = await warnings_after("2026-12-07")  # the first working day on/after 12-05
        assert len(monday) == 1 and "shiji calendar load 2027.toml" in monday[0]
        assert len(await warnings_after("2026-12-07")) == 1  # never twice a day
        assert len(await warnings_after("2026-12-08")) == 2  # and again the next working day
        async with h.runtime.sessions() as session, session.begin():
            from bot.calendar import parse_calendar_file
            from storage.repos import Store

            schedule = parse_calendar_file(SAMPLE_2027)
            await Store(session).calendar.load_year(
                schedule.year, schedule.holidays, schedule.makeup_workdays, str(SAMPLE_2027), clock.now())
        assert len(await warnings_after("2026-12-09")) == 2  # loaded: no more


UNKNOWN_2027 = "系统尚未载入 2027 年的法定节假日安排，无法执行。请先在服务器上载入：shiji calendar load 2027.toml"


def test_round_open_for_an_unknown_year_is_one_line_not_a_traceback(sqlite_url, monkeypatch, capsys):
    """Issue 28 §3: `shiji round open 2026Q4` in January without 2027 was `UnknownCalendarYear`."""
    cli_env(monkeypatch, sqlite_url, "2027-01-04T09:30:00+08:00")
    assert main(["import-roster", str(SAMPLE_ROSTER)]) == 0
    capsys.readouterr()
    assert main(["round", "open", "2026Q4"]) == 2
    out = capsys.readouterr()
    where, *refusal = out.err.strip().splitlines()  # which settings and database, then the one line
    assert where.startswith("shiji: 设置 ") and refusal == [UNKNOWN_2027]
    assert "Traceback" not in out.err + out.out


async def test_chat_commands_for_an_unknown_year_say_how_to_load_it(db_url, clock):
    clock.set(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert await h.say(ADMIN, "开启评分 2026Q4") == UNKNOWN_2027
        refused = await h.say(WU, f"补记 12-31 {LOG}")
        assert "2027 年" in refused and "shiji calendar load 2027.toml" in refused and "未保存" in refused


async def test_missing_stats_for_a_finished_quarter_counts_that_quarter(db_url, clock):
    """Rehearsal finding: 「缺记统计 2026Q4」 and 「缺记统计 上季度」 silently showed the current
    quarter; a period the admin writes is the one counted, or the answer says why not."""
    clock.set(at("2026-12-01 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, calendars=(SAMPLE_2027,)) as h:
        clock.set(at("2027-01-06 09:00"))
        now = await h.say(ADMIN, "缺记统计")
        assert "2027年第1季度" in now and "城关镇（12 人）：24 / 24" in now, now  # 01-04, 01-05
        for asked in ("缺记统计 上季度", "缺记统计 2026Q4", "缺记统计 2026年第4季度"):
            last = await h.say(ADMIN, asked)
            # December's 23 working days for each of 城关镇's 12 cadres; no week column.
            assert last.startswith("📊 缺记统计：2026年第4季度\n"), last
            assert "城关镇（12 人）：276\n" in last and "本周" not in last, last
        assert "还没有开始" in await h.say(ADMIN, "缺记统计 2027Q2")
        unreadable = await h.say(ADMIN, "缺记统计 明年")
        assert "看不懂「明年」" in unreadable and "缺记统计 上季度" in unreadable, unreadable

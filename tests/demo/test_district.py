"""Issue 10, item 13: the demo opens a few weeks into real use — a go-live date, weeks of logs,
summaries, leave and one published quarter behind it, today's work still open, and nobody
carrying dozens of past-deadline missed days."""

from __future__ import annotations

import asyncio
from datetime import date

import aiohttp

from bot.cli.chat import chat
from bot.demo.district import plan_demo
from scoring.logs import missing_log_days, overdue_days
from scoring.workdays import QuarterId
from storage.repos import Store
from tests.conftest import at
from tests.demo.conftest import demo_at

ORIGIN = at("2026-11-24 15:00")  # a Tuesday


async def _say(http: aiohttp.ClientSession, page_url: str, userid: str, text: str) -> None:
    async with http.post(f"{page_url}demo/api/send", json={"as": userid, "text": text}) as resp:
        assert resp.status == 200, await resp.text()


async def test_demo_opens_weeks_into_use_with_todays_work_open(db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    async with demo_at(db_url, ORIGIN) as demo, aiohttp.ClientSession() as http:
        runtime, plan = demo.runtime, demo.plan
        calendar = runtime.calendar.current
        assert plan.go_live == date(2026, 9, 1) and str(plan.published) == "2026Q3"
        assert runtime.settings.logs.start_date == plan.go_live
        today = ORIGIN.date()
        cadres = [p for p in runtime.directory.current.people.values() if not p.is_superior]
        async with runtime.sessions() as session:
            store = Store(session)
            logged = await store.logs.logged_days_of(None, plan.go_live, today)
            q3 = await store.rating.round_by_quarter(str(plan.published))
            summaries = await store.summaries.writers("quarter", str(plan.published))
            pending = await store.leave.pending()
            overdue = {}
            owed_total = 0
            for person in cadres:
                excused = await store.excused_days(person.userid, plan.go_live, today)
                missing = missing_log_days(
                    calendar, plan.go_live, today - date.resolution, logged.get(person.userid, set()), excused, 5
                )
                overdue[person.name] = len(overdue_days(missing, today))
                owed_total += len(list(calendar.working_days(plan.go_live, today))) - len(excused)
        # Weeks of history: nearly every owed day has its log, and no one is far behind.
        assert sum(len(days - {today}) for days in logged.values()) > 0.9 * (owed_total - len(cadres))
        assert max(overdue.values()) <= 3, overdue
        # Today's work is still open at 15:00: most people log at the end of the day.
        assert sum(today in logged.get(p.userid, set()) for p in cadres) < len(cadres) / 2
        # One published quarter, summaries from all but the two who never wrote one, and leave.
        assert q3 is not None and q3.status == "published"
        assert len(summaries) == len(cadres) - len(plan.no_summary)
        assert [(row.userid, row.status) for row in pending] == [("chengguan_zhengli", "pending")]

        # What the people see on first open.
        leader = demo.page.book.conversation("chengguan_zhaojh")
        assert [e["card"]["main_title"]["title"] for e in leader if e["kind"] == "card"] == ["请假审批"]
        wuhao = demo.page.book.conversation("chengguan_wuhao")
        assert "今天 11月24日（周二）是最后补记日" in wuhao[0]["text"]
        await _say(http, demo.page_url, "chengguan_wuhao", "缺记")
        assert "11月17日" in demo.page.book.conversation("chengguan_wuhao")[-1]["text"]
        await _say(http, demo.page_url, "fgj_zhuqing", "我的得分")
        assert "2026年第3季度" in demo.page.book.conversation("fgj_zhuqing")[-1]["text"]

        # A ranking chart arrives as an image the page can show.
        arriving = demo.page.book.follow("kaohe_admin")
        await _say(http, demo.page_url, "kaohe_admin", "排名 城关镇")
        image = None
        while image is None:  # the sender delivers it in the background, as it would to a phone
            event = await asyncio.wait_for(arriving.get(), 30)
            image = event["entry"] if event and event["entry"]["kind"] == "image" else None
        async with http.get(f"{demo.page_url}demo/api/media/{image['media_id']}") as resp:
            assert resp.status == 200 and resp.content_type == "image/png"
            assert (await resp.read()).startswith(b"\x89PNG")

        # The leader in a terminal: the card as numbered text, answered with /卡片, the
        # applicant's push shown as it arrives (she is watching in hers).
        capsys.readouterr()
        assert await chat(runtime.settings, "chengguan_zhaojh", ["/卡片 1 选 95", "/卡片 1 批准"]) == 0
        shown = capsys.readouterr().out
        assert "[卡片 1] 实绩考核助手" in shown and "按钮：[批准] [驳回]" in shown
        assert "这张卡片没有可选的下拉框。" in shown
        assert "（卡片已更新）" in shown and "〔已由赵建华批准〕" in shown
        assert await chat(runtime.settings, "chengguan_zhengli", []) == 0
        assert "您的请假申请（11月25日至11月26日）已被批准" in capsys.readouterr().out


def test_the_published_quarter_is_the_latest_one_closed_before_today() -> None:
    from bot.calendar import build_calendar

    calendar = build_calendar([])
    early_october = plan_demo(calendar, at("2026-10-12 15:00"), open_after=1, duration=10, window=5)
    # The third quarter's round is still open: the second quarter is the one published.
    assert early_october.published == QuarterId(2026, 2) and early_october.go_live == date(2026, 6, 1)
    assert plan_demo(calendar, at("2026-11-02 09:00"), open_after=1, duration=10, window=5).published == QuarterId(2026, 3)

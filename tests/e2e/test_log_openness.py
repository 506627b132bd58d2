"""Summaries, 查看, leave with card approval and the admin's 缺记统计, through the real callback."""

from __future__ import annotations

import logging

from sqlalchemy import select

from storage.models import Leave, Outbox, Summary
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, Harness, running_bot, start_harness_standin

WU = "chengguan_wuhao"  # 吴昊, staff of 城关镇
ZHAO = "chengguan_zhaojh"  # 赵建华, main leader of 城关镇
LIU = "chengguan_liumin"  # 刘敏, leadership of 城关镇
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"
QUARTER_TEXT = "本季度围绕民生保障开展工作，" + "走访困难群众、整理台账、推进项目落实，" * 8


async def summaries(h: Harness) -> dict[tuple[str, str], str]:
    async with h.runtime.sessions() as session:
        rows = (await session.execute(select(Summary))).scalars().all()
    return {(r.kind, r.period): r.content for r in rows}


async def test_quarter_summary_only_in_its_window_and_says_when(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        early = await h.say(WU, f"季度小结 {QUARTER_TEXT}")
        assert early == (
            "现在不在填写时间内：2026年第3季度小结已于 10月20日（周二）截止；"
            "2026年第4季度小结将于 12月25日（周五）开放填写。"
            "（季度小结可在每季度最后 5 个工作日至结束后第 10 个工作日填写）内容未保存。"
        )
        clock.set(at("2026-12-25 09:00"))
        assert "太短" in await h.say(WU, "季度小结 本季度工作很好")
        saved = await h.say(WU, f"季度小结 {QUARTER_TEXT}")
        assert saved.startswith("✅ 已保存您的2026年第4季度小结")
        assert await summaries(h) == {("quarter", "2026Q4"): QUARTER_TEXT}
    clock.set(at("2027-01-15 09:00"))  # the 10th working day after 12-31 on the sample 2027 schedule
    async with running_bot(db_url, clock, None, calendars=(SAMPLE_2027,)) as h:
        again = await h.say(WU, f"季度小结 {QUARTER_TEXT}补充")
        assert again.startswith("✅ 已更新您的2026年第4季度小结") and "截止 1月15日" in again
        assert (await h.say(WU, "季度小结")).startswith("您的2026年第4季度小结")
        clock.set(at("2027-01-18 09:00"))
        late = await h.say(WU, f"季度小结 {QUARTER_TEXT}")
        assert "2026年第4季度小结已于 1月15日（周五）截止" in late and "2027年第1季度小结将于" in late
        assert await summaries(h) == {("quarter", "2026Q4"): QUARTER_TEXT + "补充"}


async def test_year_summary_has_its_own_limits(db_url, clock):
    clock.set(at("2026-12-28 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, summaries={"year_min_chars": 300}) as h:
        short = await h.say(WU, f"年度总结 {QUARTER_TEXT}")
        assert "年度总结太短了" in short and "至少需要 300 字" in short
        assert (await h.say(WU, f"年度总结 {QUARTER_TEXT * 2}")).startswith("✅ 已保存您的2026年度总结")
        assert "上级领导账号" in await h.say("qw_kongdeming", f"年度总结 {QUARTER_TEXT * 2}")


async def test_view_narrowed_by_day_week_month_and_the_whole_unit(db_url, clock):
    clock.set(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, f"{LOG}（20日）")
        clock.set(at("2026-11-24 09:00"))
        await h.say(WU, f"补记 11-23 {LOG}（23日）")
        await h.say(WU, f"{LOG}（24日）")
        await h.say(ZHAO, f"{LOG}（书记）")
        day = await h.say(LIU, "查看 吴昊 11-20")
        assert day == f"吴昊（城关镇） 11月20日（周五）的日志：\n{LOG}（20日）"
        # The roster was first imported on 11-20: the district went live then (issue 26 §7).
        before = "吴昊（城关镇） 11月19日（周四）没有日志（系统 2026-11-20 上线，此前无日志）。"
        assert await h.say(LIU, "查看 吴昊 11-19") == before
        # Typed on a phone without the space: the same answers (found walking the demo).
        assert await h.say(LIU, "查看 吴昊11-20") == day
        assert await h.say(LIU, "查看 吴昊11月19日") == before
        week = await h.say(LIU, "查看 吴昊 本周")
        assert await h.say(LIU, "查看 吴昊本周") == week
        assert week.splitlines() == [
            "吴昊（城关镇）本周的日志：",
            f"【11月23日（周一）】{LOG}（23日）（11月24日补记）",  # written the next day (issue 26)
            f"【11月24日（周二）】{LOG}（24日）",
        ]
        month = await h.say(LIU, "查看 吴昊 本月")
        assert f"【11月20日（周五）】{LOG}（20日）" in month and "【11月19日（周四）】" not in month
        assert month.count("系统 2026-11-20 上线，此前无日志") == 1
        assert "11月21日" not in month  # a Saturday: nothing owed, nothing shown
        latest = await h.say(LIU, "查看 吴昊")
        assert latest.splitlines()[0] == "吴昊（城关镇）最近 3 篇日志："
        assert latest.splitlines()[1].startswith("【11月24日")
        unit = await h.say(LIU, "查看 本单位")
        lines = unit.splitlines()
        assert lines[0] == "城关镇 11月24日（周二）的日志（已记 2/12 人）："
        assert lines[1] == f"【赵建华】{LOG}（书记）" and lines[2] == f"【吴昊】{LOG}（24日）"
        assert lines[3].startswith("还没有记载（10 人）：刘敏、孙伟龙、周晓燕、")


async def test_a_long_view_is_split_into_messages_not_cut(db_url, clock):
    clock.set(at("2026-11-02 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        long_log = "今天" + "完成了一项具体的工作并做好了记录" * 28  # ~450 characters
        for d in (2, 3, 4, 5, 6, 9, 10):
            clock.set(at(f"2026-11-{d:02d} 09:00"))
            await h.say(WU, f"{long_log}{d}")
        reply = await h.say(LIU, "查看 吴昊 本月")
        await h.drain()
        rest = h.standin.texts_for(LIU)
        assert reply.endswith(f"（内容较长，共 {len(rest) + 1} 段，其余 {len(rest)} 段随后发送）")
        assert rest and rest[-1].startswith(f"（续 {len(rest) + 1}/{len(rest) + 1}）")
        whole = reply + "".join(rest)
        for d in (2, 3, 4, 5, 6, 9, 10):
            assert f"{long_log}{d}" in whole


async def leave_card_task(h: Harness, userid: str) -> str:
    await h.drain()
    cards = [d for d in h.standin.messages_for(userid) if d.msgtype == "template_card"]
    return str(cards[-1].payload["template_card"]["task_id"])


async def leave_rows(h: Harness) -> list[tuple[str, str, str | None]]:
    async with h.runtime.sessions() as session:
        rows = (await session.execute(select(Leave).order_by(Leave.id))).scalars().all()
    return [(r.userid, r.status, r.decided_by) for r in rows]


async def test_leave_goes_to_the_main_leader_who_approves_on_the_card(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say(WU, "请假 11-24 至 11-26 年假")
        assert reply.startswith("✅ 已提交请假申请：11月24日至11月26日（3 个工作日）。已发给赵建华审批")
        task = await leave_card_task(h, ZHAO)
        card = h.standin.messages_for(ZHAO)[-1].payload["template_card"]
        assert card["card_type"] == "button_interaction" and card["main_title"]["desc"] == "吴昊（城关镇）"
        assert [b["key"] for b in card["button_list"]] == ["approve", "reject"]
        # Someone else answering (a forged or replayed event) changes nothing and says why.
        status, body = await h.card(LIU, task, "approve")
        assert status == 200
        assert "只有申请人所在单位的主要领导或考核办可以审批" in h.reply_content(body)
        assert await leave_rows(h) == [(WU, "pending", None)]
        _status, body = await h.card(ZHAO, task, "approve")
        update = h.reply_xml(body)
        assert update["MsgType"] == "update_template_card"
        assert update["TemplateCard"]["ReplaceText"] == "已由赵建华批准"
        assert await leave_rows(h) == [(WU, "approved", ZHAO)]
        again = h.reply_xml((await h.card(ZHAO, task, "reject"))[1])
        assert again["TemplateCard"]["ReplaceText"] == "已由赵建华批准"  # the first decision stands
        assert await leave_rows(h) == [(WU, "approved", ZHAO)]
        await h.drain()
        assert any("已被批准" in t for t in h.standin.texts_for(WU))
        assert "11月27日（1 个工作日）" in await h.say(WU, "出差 11月27日至27日 去市里培训")
        overlap = await h.say(WU, "出差 11-26 去市里培训")
        assert "有重叠的日期" in overlap
        clock.set(at("2026-11-27 09:00"))
        missing = await h.say(WU, "缺记")
        assert "11月23日" in missing and "11月24日" not in missing and "11月26日" not in missing


async def test_main_leaders_own_leave_goes_to_the_admin_who_decides_in_chat(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已发给考核办审批" in await h.say(ZHAO, "出差 11-25 赴市委党校培训")
        await leave_card_task(h, ADMIN)
        pending = await h.say(ADMIN, "待批请假")
        assert "编号 1：赵建华（城关镇） 出差 11月25日（赴市委党校培训）" in pending
        assert "只有申请人所在单位的主要领导或考核办" in await h.say(ZHAO, "批准请假 1")  # not his own
        assert await h.say(ADMIN, "驳回请假 1") == "已驳回赵建华（城关镇）的出差（11月25日）。"
        assert await leave_rows(h) == [(ZHAO, "rejected", ADMIN)]
        await h.drain()
        # The card the admin still held is greyed out through the API (response_code of the send).
        updates = [d for d in h.standin.messages_for(ADMIN) if d.path == "message/update_template_card"]
        assert len(updates) == 1 and updates[0].payload["template_card"]["replace_text"] == "已由考核办驳回"


async def test_leave_refusals_say_why(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "请在「请假」后写上日期和事由" in await h.say(WU, "请假 身体不适")
        assert "请在「请假」后写上日期和事由" in await h.say(WU, "请假 11-24 至 下周三 年假")
        assert "早于开始日期" in await h.say(WU, "请假 11-26 至 11-24 年假")
        assert "都不是工作日" in await h.say(WU, "请假 11-28 至 11-29 周末")
        assert "已过补记期限" in await h.say(WU, "请假 11-02 病假")
        assert "一次最多登记 60 天" in await h.say(WU, "请假 2026-11-24 至 2027-02-24 长假")
        assert await h.say(WU, "请假") == "您近期没有请假或出差记录。登记方法：「请假 11-24 至 11-26 年假」或「出差 11-24 事由」。"


async def test_approved_leave_is_not_missing(db_url, clock):
    clock.set(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-11-16"}) as h:
        await h.say(WU, "请假 11-16 至 11-18 病假")
        await h.card(ZHAO, await leave_card_task(h, ZHAO), "approve")
        missing = await h.say(WU, "缺记")
        assert "还可以补记的 1 天" in missing and "11月19日" in missing and "11月16日" not in missing
        month = await h.say(LIU, "查看 吴昊 本周")
        assert "【11月16日（周一）】（请假）" in month and "【11月19日（周四）】（未记载）" in month


def section(lines: list[str], title: str) -> list[str]:
    """The lines under `title`, up to the next 【…】 heading."""
    rest = lines[lines.index(title) + 1 :]
    return rest[: next((i for i, line in enumerate(rest) if line.startswith("【")), len(rest))]


async def test_admin_missing_statistics(db_url, clock):
    clock.set(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-11-16"}) as h:
        for userid in ("chengguan_zhengli", "fgj_shenyu", "tqw_lvxiao", "tqw_shiyan", "tqw_zhangchen"):
            for day in ("11-16", "11-17", "11-18", "11-19"):
                await h.say(userid, f"补记 {day} {LOG}")
        await h.say(WU, f"补记 11-16 {LOG}")
        assert "仅限考核办" in await h.say(WU, "缺记统计")
        stats = await h.say(ADMIN, "缺记统计")
        lines = stats.splitlines()
        assert lines[0] == "📊 缺记统计：截至 11月19日（周四），2026年第4季度"
        # 城关镇: 12 people × 4 days − 郑丽's 4 − 吴昊's 1 = 43; 区发改局: 9 × 4 − 4 = 32.
        assert "· 城关镇（12 人）：43 / 43" in lines
        assert "· 区发展和改革局（9 人）：32 / 32" in lines
        assert "· 团区委（3 人）：0 / 0" in lines
        top = section(lines, "【本季度缺记最多的 10 人】")
        assert len(top) == 10 and all(t.endswith("缺 4 篇") for t in top)
        assert not any("吴昊" in t or "郑丽" in t for t in top)


async def test_admin_missing_statistics_leaves_out_approved_leave(db_url, clock):
    # Counted in SQL for most people; those on leave are counted day by day: both must agree.
    clock.set(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-11-16"}) as h:
        await h.say(WU, "请假 11-17 至 11-18 病假")
        await h.card(ZHAO, await leave_card_task(h, ZHAO), "approve")
        await h.say(WU, f"补记 11-16 {LOG}")
        await h.say(WU, f"补记 11-17 {LOG}")  # a log on a leave day changes nothing
        await h.say(ZHAO, f"补记 11-19 {LOG}")
        lines = (await h.say(ADMIN, "缺记统计")).splitlines()
        # 城关镇: 12 people × 4 days − 吴昊's 3 (11-16 and 11-17 logged, 11-18 on leave, 11-19
        # missing) − 赵建华's 1 = 44.
        assert "· 城关镇（12 人）：44 / 44" in lines
        top = section(lines, "【本季度缺记最多的 10 人】")
        assert not any("吴昊" in t for t in top) and not any("赵建华" in t for t in top)


async def test_a_reinstalled_bot_on_the_same_app_still_gets_its_cards_through(db_url, clock, tmp_path):
    # WeCom refuses a task_id the app has ever used (42014). A second database on the same
    # app numbers its leaves from 1 again; its first card must still arrive.
    runner, api_base, state = await start_harness_standin(clock)
    try:
        for url in (db_url, f"sqlite+aiosqlite:///{tmp_path / 'reinstalled.db'}"):
            async with running_bot(url, clock, SAMPLE_ROSTER, standin=(api_base, state)) as h:
                assert "已发给赵建华审批" in await h.say(WU, "请假 11-24 年假")
                await h.drain()
        cards = [d.payload["template_card"] for d in state.messages_for(ZHAO)]
        assert len(cards) == 2 and cards[0]["task_id"] != cards[1]["task_id"]
        assert all(errcode == 0 for _path, errcode in state.calls)
    finally:
        await runner.cleanup()


async def outbox_statuses(h: Harness) -> dict[str, str]:
    async with h.runtime.sessions() as session:
        rows = (await session.execute(select(Outbox))).scalars().all()
    return {r.dedupe_key: r.status for r in rows}


async def test_leave_approved_in_chat_shows_on_the_card_without_errors(db_url, clock, caplog):
    caplog.set_level(logging.INFO)
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, "请假 11-24 病假")
        first_task = await leave_card_task(h, ZHAO)
        assert await h.say(ZHAO, "批准请假 1") == "已批准吴昊（城关镇）的请假（11月24日）。"
        await h.drain()
        clock.advance(minutes=30)  # any retry of the update would be due by now
        await h.drain()
        updates = [d for d in h.standin.messages_for(ZHAO) if d.path == "message/update_template_card"]
        assert len(updates) == 1 and updates[0].payload["template_card"]["replace_text"] == "已由赵建华批准"
        assert "failed" not in (await outbox_statuses(h)).values()
        # Three days on, the second card's response_code has expired: no update is tried,
        # and the card shows the decision when it is next tapped.
        await h.say(WU, "出差 11-30 到市里参加培训")
        second_task = await leave_card_task(h, ZHAO)
        clock.advance(days=3)
        assert "已批准" in await h.say(ZHAO, "批准请假 2")
        await h.drain()
        assert len([d for d in h.standin.messages_for(ZHAO) if d.path == "message/update_template_card"]) == 1
        tapped = h.reply_xml((await h.card(ZHAO, second_task, "approve"))[1])
        assert tapped["TemplateCard"]["ReplaceText"] == "已由赵建华批准"
        assert first_task != second_task
        assert "failed" not in (await outbox_statuses(h)).values()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_business_trip_reason_may_start_with_to(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say(WU, "出差 11-27 到市里参加培训")
        assert reply.startswith("✅ 已提交出差申请：11月27日（1 个工作日）")
        assert "✅ 已提交请假申请：11月24日（1 个工作日）" in await h.say(WU, "请假 明天 家中有事")
        assert "请在「请假」后写上日期和事由" in await h.say(WU, "请假 11-30 至 下周三 年假")
        async with h.runtime.sessions() as session:
            reasons = [r.reason for r in (await session.execute(select(Leave).order_by(Leave.id))).scalars()]
        assert reasons == ["到市里参加培训", "家中有事"]


async def test_view_of_this_and_last_quarter_as_the_rating_card_suggests(db_url, clock):
    clock.set(at("2026-10-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, f"补记 10-19 {LOG}")
        for period in ("本季", "本季度", "2026Q4", "2026年第4季度"):
            reply = await h.say(LIU, f"查看 吴昊 {period}")
            assert f"【10月19日（周一）】{LOG}（10月20日补记）" in reply, period
            # Live since the roster's first import on 10-20: earlier days are not missed
            # (issue 26 §7), and the day backfilled from before it still shows.
            assert "系统 2026-10-20 上线，此前的日子不要求记日志" in reply, period
            assert "【10月9日（周五）】" not in reply, period
        assert "吴昊（城关镇）2026年第3季度的日志" in await h.say(LIU, "查看 吴昊 上季度")
        assert "您本季度的日志" in await h.say(WU, "我的 本季")

"""The conversations themselves: each handler called with a real Ctx on a real database.

The end-to-end tests (tests/e2e) go through the encrypted callback; these pin what a handler
decides and stores, so a regression names the conversation that broke.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from handlers import leave, logs, viewing
from handlers.base import CardAnswer, Refusal
from handlers.registry import build_router
from storage.models import DailyLog, Leave
from tests.conftest import at
from tests.handlers.conftest import ADMIN

WU = "chengguan_wuhao"  # 吴昊, 城关镇 staff
ZHAO = "chengguan_zhaojh"  # 赵建华, 城关镇 main leader
SHEN = "fgj_shenyu"  # 沈宇, 发改局 main leader
MONDAY = at("2026-11-23 10:00")
PLAIN = build_router().plain_text  # a text that starts with no command
WORK = "上午走访辖区三户困难群众，下午整理低保申请台账并录入系统"


async def stored_logs(ctx) -> list[tuple[str, str]]:
    rows = (await ctx.store.session.execute(select(DailyLog.userid, DailyLog.content))).all()
    return [tuple(r) for r in rows]


async def test_todays_log_is_stored_and_confirmed(open_ctx):
    async with open_ctx(WU, MONDAY) as ctx:
        reply = await PLAIN(WORK, ctx)
    assert reply.text.startswith("✅ 已记录 11月23日（周一）的工作日志")
    async with open_ctx(WU, MONDAY) as ctx:
        assert await stored_logs(ctx) == [(WU, WORK)]
        mine = await logs.my_logs("", ctx)
    assert WORK in mine.text


async def test_a_too_short_log_is_refused_with_the_minimum(open_ctx):
    async with open_ctx(WU, MONDAY) as ctx:
        with pytest.raises(Refusal, match="至少需要 15 字"):
            await PLAIN("开会", ctx)
        assert await stored_logs(ctx) == []


async def test_an_admin_typing_a_command_the_other_way_round_is_shown_the_command(open_ctx):
    """The admin keeps no log, but 「正科级 排名」 is 排名 asked the other way round: the reply
    names the command, not "admins keep no log"."""
    async with open_ctx(ADMIN, MONDAY) as ctx:
        with pytest.raises(Refusal, match="您是想发送「排名 正科级」吗"):
            await PLAIN("正科级 排名", ctx)
        with pytest.raises(Refusal, match="您是管理员账号，不需要记载日志"):
            await PLAIN(WORK, ctx)
        assert await stored_logs(ctx) == []


async def test_a_log_on_a_sunday_is_refused_as_no_working_day(open_ctx):
    async with open_ctx(WU, at("2026-11-22 10:00")) as ctx:
        with pytest.raises(Refusal, match="周末，不是工作日"):
            await PLAIN(WORK, ctx)


async def test_backfill_inside_the_window_and_refused_after_it(open_ctx):
    async with open_ctx(WU, MONDAY) as ctx:
        reply = await logs.backfill(f"11-20 {WORK}", ctx)
        assert "11月20日（周五）" in reply.text
        with pytest.raises(Refusal, match="补记期限"):
            await logs.backfill(f"11-02 {WORK}", ctx)
        assert await stored_logs(ctx) == [(WU, WORK)]


async def test_leave_goes_to_the_units_main_leader_who_approves_it_on_the_card(open_ctx):
    async with open_ctx(WU, MONDAY) as ctx:
        asked = await leave.leave("11-24 至 11-25 年假", ctx)
    assert "已发给赵建华审批" in asked.text
    async with open_ctx(WU, MONDAY) as ctx:
        (row,) = (await ctx.store.session.execute(select(Leave))).scalars().all()
        sent = await ctx.store.outbox.by_key(f"leave-card:{row.id}")
    assert sent is not None
    tap = CardAnswer(task_id=json.loads(sent.payload)["card"]["task_id"], event_key="approve", selected={})
    async with open_ctx(SHEN, MONDAY) as ctx:  # another unit's leader: refused, nothing changes
        with pytest.raises(Refusal, match="只有申请人所在单位的主要领导"):
            await leave.leave_card(tap, ctx)
    async with open_ctx(ZHAO, MONDAY) as ctx:
        decided = await leave.leave_card(tap, ctx)
    assert decided.text.startswith("已批准吴昊（城关镇）的请假")
    assert decided.card_update is not None
    async with open_ctx(WU, MONDAY) as ctx:
        (row,) = (await ctx.store.session.execute(select(Leave))).scalars().all()
        assert row.status == "approved" and row.decided_by == ZHAO


async def test_colleagues_read_each_others_logs_and_strangers_learn_nothing(open_ctx):
    async with open_ctx(WU, MONDAY) as ctx:
        await PLAIN(WORK, ctx)
    async with open_ctx(ZHAO, MONDAY) as ctx:
        seen = await viewing.view("吴昊", ctx)
    assert WORK in seen.text
    async with open_ctx(SHEN, MONDAY) as ctx:
        hidden = await _answer(viewing.view("吴昊", ctx))
        nobody = await _answer(viewing.view("查无此人甲", ctx))
    assert WORK not in hidden
    assert hidden == nobody.replace("查无此人甲", "吴昊")


async def _answer(call) -> str:
    try:
        return (await call).text
    except Refusal as refusal:
        return refusal.text

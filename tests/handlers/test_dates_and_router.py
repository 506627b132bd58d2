"""How cadres type dates and commands on a phone."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dates import DateError, parse_day, split_leading_date
from handlers.registry import build_router
from tests.conftest import at

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11-20", date(2026, 11, 20)),
        ("2026-11-20", date(2026, 11, 20)),
        ("11月20日", date(2026, 11, 20)),
        ("11/20", date(2026, 11, 20)),
        ("11.20", date(2026, 11, 20)),
        ("１１－２０", date(2026, 11, 20)),
        ("昨天", date(2026, 11, 22)),
        ("前天", date(2026, 11, 21)),
        ("2026年11月2日", date(2026, 11, 2)),
    ],
)
def test_date_spellings(text: str, expected: date):
    assert parse_day(text, TODAY) == expected


def test_month_day_near_new_year_means_the_nearest_date():
    assert parse_day("12-30", date(2027, 1, 3)) == date(2026, 12, 30)
    assert parse_day("01-02", date(2026, 12, 31)) == date(2027, 1, 2)


@pytest.mark.parametrize("text", ["13-45", "2026-02-30", "明天吧", "11-"])
def test_bad_dates_raise(text: str):
    with pytest.raises(DateError):
        parse_day(text, TODAY)


def test_leading_date_keeps_the_users_own_punctuation():
    day, rest = split_leading_date("11-20 上午开会，下午走访：3户。", TODAY)
    assert day == date(2026, 11, 20) and rest == "上午开会，下午走访：3户。"


# Every keyword a cadre may type, and the conversation it must reach. A keyword renamed,
# dropped or added in the code without this table changing fails here.
KEYWORDS = {
    "补记": "backfill", "补录": "backfill", "补写": "backfill",
    "修改": "correct_today", "更正": "correct_today", "撤回": "withdraw",
    "我的": "my_logs", "我的日志": "my_logs",
    "缺记": "missing", "漏记": "missing",
    "评分": "rate_by_text", "打分": "rate_by_text",
    "我的得分": "my_score", "得分": "my_score",
    "增加参评": "propose_extra",
    "开启评分": "admin_open", "关闭评分": "admin_close", "发布结果": "admin_publish",
    "评分进度": "admin_progress", "催交评分": "admin_nudge", "提醒评分": "admin_nudge", "作废评分": "admin_void",
    "批准参评": "approve_extra_text", "驳回参评": "reject_extra_text", "待批参评": "pending_extra",
    "季度小结": "quarter_summary", "季度总结": "quarter_summary",
    "年度总结": "year_summary", "年终总结": "year_summary",
    "查看": "view", "看看": "view", "查阅": "view",
    "请假": "leave", "出差": "business_trip",
    "批准请假": "approve_text", "驳回请假": "reject_text",
    "待批请假": "pending_list", "请假审批": "pending_list",
    "缺记统计": "missing_stats",
    "测评": "evaluate_by_text", "民主测评": "evaluate_by_text", "测评进度": "evaluation_progress",
    "开启测评": "open_year_evaluation", "关闭测评": "close_year_evaluation",
    "单位结果": "year_unit_results", "发布年度结果": "publish_annual",
    "能否提拔": "ask_promotion", "提拔名单": "list_promotion", "评先名单": "list_commendation",
    "末位名单": "list_last_place",
    "排名": "ranking", "排行": "ranking",
    "导出档案": "export_archive",
    "评定优秀": "grant_excellent", "评为优秀": "grant_excellent",
    "不评优秀": "refuse_excellent", "不评为优秀": "refuse_excellent",
    "帮助": "show_help", "help": "show_help", "菜单": "show_help", "?": "show_help",
}


def test_the_keyword_table_is_the_routers():
    registered = {kw: c.handler.__name__ for c in build_router().commands for kw in c.keywords}
    assert registered == KEYWORDS


@pytest.mark.parametrize(("keyword", "handler"), sorted(KEYWORDS.items()))
def test_each_keyword_reaches_its_conversation(keyword: str, handler: str):
    resolved, rest = build_router().resolve(f"{keyword} 11-20")
    assert (resolved.__name__, rest) == (handler, "11-20")


@pytest.mark.parametrize(
    ("text", "handler", "args"),
    [
        ("补记 11-20 内容", "backfill", "11-20 内容"),
        ("补记11-20 内容", "backfill", "11-20 内容"),
        ("补记：昨天 内容，有逗号", "backfill", "昨天 内容，有逗号"),
        ("我的得分", "my_score", ""),  # the longer keyword wins over 我的
        ("我的 本周", "my_logs", "本周"),
        ("修改了方案并上报", "plain_text", "修改了方案并上报"),
        ("查看了现场", "plain_text", "查看了现场"),
        ("ＨＥＬＰ", "show_help", ""),
        ("帮助", "show_help", ""),
    ],
)
def test_router_keywords(text: str, handler: str, args: str | None):
    resolved, rest = build_router().resolve(text)
    assert resolved.__name__ == handler
    assert rest == args


def test_card_answers_reach_their_conversation_by_task_prefix():
    router = build_router()
    names = {
        task: getattr(router.resolve_card(task), "__name__", None)
        for task in ("rate-2026Q4-1-x", "rsub-2026Q4-x", "rxp-3-x", "leave-7", "other-1")
    }
    assert names == {
        "rate-2026Q4-1-x": "rating_card_answer", "rsub-2026Q4-x": "submit_card_answer",
        "rxp-3-x": "decide_proposal", "leave-7": "leave_card", "other-1": None,
    }


async def test_a_reserved_keyword_is_answered_until_its_command_is_registered(open_ctx):
    from handlers.base import Refusal, Reply
    from handlers.router import Router

    router = build_router()
    router.reserve("月度评比")
    async with open_ctx("chengguan_wuhao", at("2026-11-23 10:00")) as ctx:
        handler, args = router.resolve("月度评比 城关镇")
        with pytest.raises(Refusal, match="「月度评比」功能暂未开通"):
            await handler(args, ctx)
        feature = Router()

        @feature.command("月度评比", usage="月度评比", summary="试行")
        async def monthly(args: str, ctx) -> Reply:
            return Reply(f"评比：{args}")

        router.include(feature)
        handler, args = router.resolve("月度评比 城关镇")
        assert (await handler(args, ctx)).text == "评比：城关镇"
        handler, args = router.resolve("月度评比城关镇")  # run together: points to the real command
        with pytest.raises(Refusal, match="您是想发送「月度评比 城关镇」吗"):
            await handler(args, ctx)

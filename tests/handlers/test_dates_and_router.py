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


# Every keyword the router registers, and the conversation it must reach: derived from the
# router, so a command is added in its module (and its own test) only.
ROUTED = sorted((kw, c.handler.__name__) for c in build_router().commands for kw in c.keywords)
ALONE = {kw for c in build_router().commands if c.alone for kw in c.keywords}

# The keywords SPEC R-CHAT-2 promises.
PROMISED = ("补记", "修改", "季度小结", "年度总结", "查看", "我的", "缺记", "请假", "我的得分", "排名", "评分", "帮助")


def test_every_keyword_names_one_command_and_the_promised_ones_exist():
    keywords = [kw for kw, _ in ROUTED]
    assert len(keywords) == len(set(keywords))
    assert set(PROMISED) <= set(keywords)


@pytest.mark.parametrize(("keyword", "handler"), ROUTED)
def test_each_keyword_reaches_its_conversation(keyword: str, handler: str):
    router = build_router()
    if keyword in ALONE:  # the keyword alone is the command; with words after it, a log
        assert router.resolve(f" {keyword}：")[0].__name__ == handler
        assert router.resolve(f"{keyword} 11-20")[0] == router.plain_text
        return
    resolved, rest = router.resolve(f"{keyword} 11-20")
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


def test_a_command_living_with_another_feature_is_listed_where_its_kin_are():
    """帮助 and README list 我的得分 right after 评分, though it lives with the results."""
    keywords = [command.keywords[0] for command in build_router().commands]
    assert keywords[keywords.index("评分") + 1] == "我的得分"

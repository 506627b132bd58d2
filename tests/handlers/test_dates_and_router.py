"""How cadres type dates and commands on a phone."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dates import DateError, parse_day, split_leading_date
from handlers.registry import build_router

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


@pytest.mark.parametrize(
    ("text", "handler", "args"),
    [
        ("补记 11-20 内容", "backfill", "11-20 内容"),
        ("补记11-20 内容", "backfill", "11-20 内容"),
        ("补记：昨天 内容，有逗号", "backfill", "昨天 内容，有逗号"),
        ("我的得分", "my_logs", None),  # not registered yet: falls to 我的 only if followed properly
        ("我的 本周", "my_logs", "本周"),
        ("修改了方案并上报", "todays_log", "修改了方案并上报"),
        ("查看了现场", "todays_log", "查看了现场"),
        ("ＨＥＬＰ", "show_help", ""),
        ("帮助", "show_help", ""),
    ],
)
def test_router_keywords(text: str, handler: str, args: str | None):
    resolved, rest = build_router().resolve(text)
    if text == "我的得分":
        # 我的 followed by 得分 is not 我的 + separator: treated as a log until 我的得分 exists.
        assert resolved.__name__ in ("todays_log", "my_score")
        return
    assert resolved.__name__ == handler
    assert rest == args

"""我的评分进度 through the real encrypted callback: a rater asks how far they are in every
open round they hold cards in — the quarter's rating and the year's 民主测评 — and is told
how many are done, how many are left, whether it is handed in and what to send next; never
a score. (The changeability trial of issue 23: one command, its module and this test.)"""

from __future__ import annotations

from bot.clock import ManualClock
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, running_bot

SETTINGS = {"logs": {"start_date": "2026-12-21"}}
RATER = "tqw_shiyan"  # 团区委: rates 吕潇 and 张晨, evaluates them in the 民主测评 too


async def test_a_rater_sees_how_far_they_are_in_each_open_round_and_never_a_score(db_url):
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        nothing = await h.say(RATER, "我的评分进度")
        assert "目前没有进行中的季度评分或民主测评需要您参加" in nothing

        await h.say(ADMIN, "开启评分 2026Q4")
        await h.say(RATER, "评分 吕潇 85")
        halfway = await h.say(RATER, "我的评分进度")
        assert "2026年第4季度评分：共 2 人，已评 1 人，还差 1 人" in halfway
        assert "发送「评分」可重新收到未评的卡片" in halfway
        assert "85" not in halfway

        await h.say(RATER, "评分 张晨 80")
        assert "已全部评完，还差最后一步" in await h.say(RATER, "我的评分进度")
        await h.say(RATER, "评分 提交")

        assert "已开启2026年度民主测评" in await h.say(ADMIN, "开启测评 2026")
        await h.say(RATER, "测评 吕潇 90 88 92 85 95")
        both = await h.say(RATER, "我的评分进度")
        assert "2026年第4季度评分：已提交（共 2 人），不能再修改" in both
        assert "2026年度民主测评：共 2 人，已完成 1 人，还差 1 人" in both
        assert "92" not in both and "85" not in both and "80" not in both

        # An admin off the roster holds no cards: told whom the command is for.
        assert "仅限名册中的干部和上级领导使用" in await h.say(ADMIN, "我的评分进度")

"""R-LOG-4 as a table: every viewer role × every kind of target → the exact answer.

A refusal is word for word the answer for a name that does not exist, so it reveals nothing.
"""

from __future__ import annotations

import pytest

from bot.dispatch import UNKNOWN_USER_TEXT
from tests.conftest import SAMPLE_ROSTER
from tests.harness import ADMIN, running_bot

LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"
NOT_FOUND = "没有找到您可以查看日志的「{}」。您可以查看本单位同事的日志，请核对姓名；同名时可加单位，例如「查看 王强 城关镇」。"
NOT_FOUND_SUPERIOR = "没有找到您可以查看日志的「{}」。您可以查看本单位同事及所分管单位干部的日志，请核对姓名；同名时可加单位，例如「查看 王强 城关镇」。"

# Targets: a name to type, and who writes under it (None: nobody on the roster is called that).
TARGETS = {
    "same unit as 吴昊": ("郑丽", "chengguan_zhengli", "城关镇"),
    "other unit, overseen": ("沈宇", "fgj_shenyu", "区发展和改革局"),
    "other unit, not overseen": ("张晨", "tqw_zhangchen", "团区委"),
    "superior leader": ("孔德明", None, None),
    "admin": (ADMIN, None, None),
    "stranger": ("stranger01", None, None),
    "nonexistent": ("查无此人", None, None),
}
Y, N, U = "allowed", "refused", "unknown user"
# viewer → answer for each target, in TARGETS order.
TABLE = {
    "chengguan_wuhao": (Y, N, N, N, N, N, N),  # staff of 城关镇
    "chengguan_zhaojh": (Y, N, N, N, N, N, N),  # main leader of 城关镇
    "fgj_zhuqing": (N, Y, N, N, N, N, N),  # staff of 区发改局
    "tqw_shiyan": (N, N, Y, N, N, N, N),  # leadership of 团区委 (overseen by nobody)
    "qw_kongdeming": (Y, Y, N, N, N, N, N),  # superior over 城关镇 and 区发改局
    ADMIN: (Y, Y, Y, N, N, N, N),
    "stranger01": (U, U, U, U, U, U, U),
}
CASES = [
    pytest.param(viewer, target, answer, id=f"{viewer}->{target}")
    for viewer, answers in TABLE.items()
    for target, answer in zip(TARGETS, answers, strict=True)
]


async def test_visibility_table(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        await h.say("stranger01", "你好")  # a stranger who wrote to the bot exists somewhere
        for name, userid, _unit in TARGETS.values():
            if userid is not None:
                assert "已记录" in await h.say(userid, f"{LOG}（{name}）")
        failures = []
        for viewer, target, answer in [c.values for c in CASES]:
            name, userid, unit = TARGETS[target]
            if answer == Y:
                want = f"{name}（{unit}）最近 1 篇日志：\n【11月23日（周一）】{LOG}（{name}）"
            elif answer == U:
                want = UNKNOWN_USER_TEXT
            else:
                want = (NOT_FOUND_SUPERIOR if viewer == "qw_kongdeming" else NOT_FOUND).format(name)
            got = await h.say(viewer, f"查看 {name}")
            if got != want:
                failures.append(f"{viewer} → {target}: {got!r}")
        assert failures == []


async def test_same_names_are_told_apart_and_scoped(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        await h.say("chengguan_wangqiang", f"{LOG}（城关）")
        await h.say("fgj_wangqiang", f"{LOG}（发改）")
        mine = await h.say("chengguan_wuhao", "查看 王强")
        assert mine.startswith("王强（城关镇）最近 1 篇") and "（发改）" not in mine
        both = await h.say("qw_kongdeming", "查看 王强")
        assert both.startswith("有 2 位「王强」") and "王强（城关镇）" in both and "王强（区发展和改革局）" in both
        one = await h.say("qw_kongdeming", "查看 王强 区发展和改革局")
        assert one.startswith("王强（区发展和改革局）") and "王强（城关镇）" not in one
        assert (await h.say("qw_kongdeming", "查看 王强（城关镇）")).startswith("王强（城关镇）")
        # Naming the other unit's 王强 is refused exactly like a name that does not exist.
        assert await h.say("chengguan_wuhao", "查看 王强 区发展和改革局") == NOT_FOUND.format("王强（区发展和改革局）")
        assert await h.say("tqw_shiyan", "查看 王强") == NOT_FOUND.format("王强")
        # Whole units: a unit one may not read answers like a unit that does not exist.
        assert await h.say("chengguan_wuhao", "查看 团区委") == NOT_FOUND.format("团区委")
        assert await h.say("chengguan_wuhao", "查看 某某局") == NOT_FOUND.format("某某局")
        assert (await h.say("qw_kongdeming", "查看 城关镇")).startswith("城关镇 11月23日（周一）的日志（已记 1/12 人）")

"""One order for names everywhere (issue 27, item 11), through the encrypted callback.

Wherever the bot lists people, units go in pinyin order and a unit's people as its roster
lists them, leaders first, then in pinyin order (storage/directory.py roster_order); a name
a list holds twice carries its unit. Unicode code point order put 褚 after 蒋, 陈 last and
团区委 before 城关镇.
"""

from __future__ import annotations

import re

from bot.clock import ManualClock
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, running_bot

SETTINGS = {"logs": {"start_date": "2027-01-01"}}
# 城关镇 as its roster lists it: the main leader, the leadership, then the staff in pinyin.
CHENGGUAN = ["赵建华", "刘敏", "孙伟龙", "周晓燕", "陈磊", "褚洁", "冯静", "蒋涛", "王强", "卫平", "吴昊", "郑丽"]
UNITS = ["城关镇", "区发展和改革局", "团区委"]  # cheng, qu, tuan


def order_in(text: str, names: list[str]) -> list[str]:
    """`names` in the order `text` first mentions them."""
    return sorted((n for n in names if n in text), key=text.index)


async def test_lists_of_people_share_one_order_and_tell_namesakes_apart(db_url: str) -> None:
    clock = ManualClock(at("2027-01-04 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        # 查看 本单位 on a working day nobody has logged yet.
        unit = await h.say("chengguan_wuhao", "查看 本单位")
        missing = re.search(r"还没有记载（12 人）：(.+)", unit)
        assert missing is not None, unit
        assert missing[1].split("、") == CHENGGUAN

        # 缺记统计: the units in pinyin order.
        stats = await h.say(ADMIN, "缺记统计")
        assert order_in(stats, UNITS) == UNITS, stats

        # 评分进度 and 催交评分: the same order, and the two 王强 told apart.
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        progress = await h.say(ADMIN, "评分进度")
        head, todo = progress.split("【尚未提交", 1)
        assert order_in(head, UNITS) == UNITS, progress
        assert order_in(todo, UNITS) == UNITS, progress
        chengguan = next(line for line in todo.splitlines() if line.startswith("· 城关镇"))
        assert [re.sub(r"（.*", "", n) for n in chengguan.split("：", 1)[1].split("、")] == CHENGGUAN
        nudged = await h.say(ADMIN, "催交评分")
        assert "王强（城关镇）" in nudged and "王强（区发展和改革局）" in nudged, nudged
        assert order_in(nudged, CHENGGUAN) == CHENGGUAN
        assert nudged.index("郑丽") < nudged.index("沈宇")  # 城关镇 before 区发展和改革局

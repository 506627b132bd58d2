"""Issue 27 §1: every admin step of the year end can be done in chat. The units' annual results
(R-YEAR-2) were a CLI import only, which the demo's visitor (and an admin away from the
server) could not run; 「单位结果 2026 城关镇 92.5 …」 imports them by the file import's rules."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from storage.repos import Store
from tests.conftest import SAMPLE_2027, at
from tests.harness import ADMIN, Harness, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
f_leader,方局长,区测试局,district_unit,main_leader,zhengke,局长,
f_a,冯科员,区测试局,district_unit,staff,general,科员,
"""


async def stored(h: Harness) -> dict[int, str]:
    async with h.runtime.sessions() as session:
        return await Store(session).year.unit_results(2026)


async def test_the_admin_imports_unit_results_in_chat_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,)) as h:
        empty = await h.say(ADMIN, "单位结果 2026")
        assert "尚未导入" in empty and "单位结果 2026 测试镇" in empty  # how to do it, in chat

        # Every bad pair is named by what was typed; nothing is stored.
        refused = await h.say(ADMIN, "单位结果 2026 测试镇 92.567，无此单位 90、区测试局 101")
        assert "未导入（全部回退），共 3 处问题" in refused
        assert "「测试镇 92.567」：得分 「92.567」最多两位小数" in refused
        assert "「无此单位 90」：单位「无此单位」不在名册中" in refused
        assert "「区测试局 101」：得分 「101」须在 0–100 之间" in refused
        assert "名册中的单位：测试镇、区测试局" in refused  # what it could have been
        assert await stored(h) == {}
        odd = await h.say(ADMIN, "单位结果 2026 测试镇 92.5 区测试局")
        assert "未导入" in odd and "成对" in odd and await stored(h) == {}
        assert "仅限考核办" in await h.say("t_leader", "单位结果 2026 测试镇 99")
        assert await stored(h) == {}

        done = await h.say(ADMIN, "单位结果 2026 测试镇 92.5 区测试局 88")
        assert "已导入 2026 年单位年度综合考核结果 2 个单位" in done and "所有单位均已导入" in done
        assert sorted((await stored(h)).values()) == ["88.00", "92.50"]
        listing = await h.say(ADMIN, "单位结果 2026")
        assert "测试镇：92.50" in listing and "区测试局：88.00" in listing

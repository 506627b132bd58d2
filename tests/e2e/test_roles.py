"""Replies that fit the person (issue 27 items 9 and 10; issue 23 item 5), through the real
encrypted callback: 帮助 lists what the asker may use, a command meant for others is refused
in one wording before anything is done, and a text that is no log is answered by what it is."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import DailyLog, Leave, Outbox
from tests.conftest import SAMPLE_ROSTER
from tests.harness import ADMIN, running_bot

WU = "chengguan_wuhao"  # 吴昊, staff of 城关镇
ZHAO = "chengguan_zhaojh"  # 赵建华, main leader of 城关镇
KONG = "qw_kongdeming"  # 孔德明, superior leader: oversees 城关镇 and 区发展和改革局, keeps no log
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"
LOG_LINE = "直接发送文字 = 记载今天的工作日志"


def listed(help_text: str) -> set[str]:
    """The commands a 帮助 lists, by the first word of their usage line."""
    return {line[2:].split(" ")[0] for line in help_text.splitlines() if line.startswith("· ")}


async def whole_reply(h, userid: str, text: str) -> str:  # type: ignore[no-untyped-def]
    """The reply and the parts a long one is followed by."""
    reply = await h.say(userid, text)
    await h.drain()
    return "\n".join([reply, *h.standin.texts_for(userid)])


async def count(h, model) -> int:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_help_lists_what_each_person_may_use(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        staff, leader, superior, admin = [await whole_reply(h, u, "帮助") for u in (WU, ZHAO, KONG, ADMIN)]
        # A cadre: the log line and the cadre's commands, nothing that would refuse them.
        assert LOG_LINE in staff
        assert {"补记", "我的得分", "请假", "评分", "查看", "排名"} <= listed(staff)
        assert not {"能否提拔", "末位名单", "增加参评", "批准请假", "开启评分", "导出档案"} & listed(staff)
        # A unit's main leader also decides leave and asks how results are used.
        assert LOG_LINE in leader and {"补记", "批准请假", "能否提拔", "增加参评"} <= listed(leader)
        assert "开启评分" not in listed(leader)
        # A superior leader keeps no log: never told that a text is one.
        assert LOG_LINE not in superior and "不记工作日志" in superior
        assert {"查看", "排名", "评分", "能否提拔"} <= listed(superior)
        assert not {"补记", "修改", "我的", "缺记", "我的得分", "请假", "季度小结", "批准请假"} & listed(superior)
        # The admin: the admin's commands, none of a cadre's.
        assert LOG_LINE not in admin and {"开启评分", "导出档案", "缺记统计", "批准请假"} <= listed(admin)
        assert not {"补记", "我的", "我的得分", "评分", "增加参评"} & listed(admin)


async def test_a_long_help_is_split_between_sections_never_under_a_heading(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say(ADMIN, "帮助")
        await h.drain()
        messages = [reply, *h.standin.texts_for(ADMIN)]
        assert len(messages) > 1  # the admin's help is longer than one WeCom text (2,048 bytes)
        for message in messages:
            lines = [line for line in message.splitlines() if line.strip()]
            assert not lines[-1].startswith("【"), message  # a heading arrives with its commands
            assert all(lines[i + 1].startswith("· ") for i, line in enumerate(lines) if line.startswith("【"))


async def test_a_command_for_others_is_refused_in_one_wording_and_nothing_is_done(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert await h.say(KONG, f"补记 11-20 {LOG}") == (
            "「补记」仅限记日志、参加考核的干部使用；您是上级领导账号，不记日志、不参加考核。发送「帮助」查看您可以使用的命令。"
        )
        assert await h.say(ADMIN, "我的 本周") == (
            "「我的」仅限记日志、参加考核的干部使用；您是管理员账号，不在干部名册中。发送「帮助」查看您可以使用的命令。"
        )
        # 待批请假 answered a staff member 「目前没有等您审批的……」 as if they might decide one.
        assert await h.say(WU, "待批请假") == "「待批请假」仅限单位主要领导和考核办使用。发送「帮助」查看您可以使用的命令。"
        assert await h.say(WU, "评先名单 正科级") == (
            "「评先名单」仅限单位主要领导、上级领导和考核办使用。发送「帮助」查看您可以使用的命令。"
        )
        assert await h.say(WU, "开启评分 2026Q3") == "「开启评分」仅限考核办（组织部）管理员使用。发送「帮助」查看您可以使用的命令。"
        assert await h.say(KONG, "请假 11-24 年假") == (
            "「请假」仅限记日志、参加考核的干部使用；您是上级领导账号，不记日志、不参加考核。发送「帮助」查看您可以使用的命令。"
        )
        assert (await count(h, DailyLog), await count(h, Leave), await count(h, Outbox)) == (0, 0, 0)
        # The admin's 「测评 进度」 still reaches 测评进度, and a cadre's is refused by it.
        assert await h.say(ADMIN, "测评 进度") == "目前没有符合条件的民主测评。可以在命令后写上年份，例如 2026。"
        assert await h.say(WU, "测评 进度") == "「测评进度」仅限考核办（组织部）管理员使用。发送「帮助」查看您可以使用的命令。"


async def test_a_near_miss_is_worded_by_how_it_missed(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        # A typo: the command, without a word about spaces.
        assert await h.say(WU, "帮组") == "您是不是想发送「帮助」？这条消息没有记入日志。"
        # A keyword run into its content: the space is what went wrong.
        assert await h.say(WU, "查看吴昊") == "您是想发送「查看 吴昊」吗？请照这个格式重新发送：命令和内容之间空一格。这条消息没有记入日志。"
        # Arguments first: the order is what went wrong.
        assert await h.say(WU, "2026Q4 排名") == "您是想发送「排名 2026Q4」吗？请照这个格式重新发送：命令写在最前面。这条消息没有记入日志。"
        # A command meant for others, typed slightly wrong: told so at once.
        assert await h.say(WU, "开启评分2026Q4") == "「开启评分」仅限考核办（组织部）管理员使用。发送「帮助」查看您可以使用的命令。"
        assert await count(h, DailyLog) == 0


async def test_accounts_that_keep_no_log_are_never_told_about_logs(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        for who in (ADMIN, KONG):
            assert await h.say(who, "帮组") == "您是不是想发送「帮助」？"
            assert await h.say(who, "查看赵建华") == "您是想发送「查看 赵建华」吗？请照这个格式重新发送：命令和内容之间空一格。"
            assert "日志" not in await h.say(who, "怎么用？")
        assert await h.say(ADMIN, LOG) == "您是管理员账号，不需要记载日志。发送「帮助」查看管理员命令。"
        assert "这条消息没有保存" in await h.say(KONG, LOG)
        assert await count(h, DailyLog) == 0


async def test_courtesies_get_one_short_friendly_line_and_are_never_a_log(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        replies = {text: await h.say(WU, text) for text in ("好的", "收到", "👌", "嗯", "OK", "收到，谢谢领导！", "您好")}
        assert replies == {
            "好的": "👌 好的。", "收到": "👌 好的。", "👌": "👌 好的。", "嗯": "👌 好的。", "OK": "👌 好的。",
            "收到，谢谢领导！": "😊 不客气！", "您好": "😊 您好！发送「帮助」查看使用说明。",
        }
        for who in (ADMIN, KONG):  # the same line for everyone
            assert await h.say(who, "谢谢") == "😊 不客气！"
        async with h.runtime.sessions() as session:
            rows = (await session.execute(select(DailyLog.userid, DailyLog.content))).all()
        assert [tuple(r) for r in rows] == [(WU, LOG)]

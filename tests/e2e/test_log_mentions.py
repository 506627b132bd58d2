"""Colleagues confirm the work a log says they shared (issue 26, item 4), through the encrypted
callback: 「与包容、陈勤一起…」「@邓可」 send each a one-tap card; 查看 shows who confirmed, and a
「未参与」 only to the author and their main leader; a name the author may not see, or two
colleagues of one name, is never resolved; a retry sends no second card and records no second
answer; 「与群众一起」 names nobody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.models import DailyLog
from storage.models_trust import LogMention
from tests.conftest import at
from tests.harness import Harness, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
t_d,邓可,测试镇,township,staff,general,科员,
t_li1,李四,测试镇,township,staff,general,科员,
t_li2,李四,测试镇,township,staff,general,办事员,
o_wang,王五,外镇,township,staff,general,科员,
o_lead,沈书记,外镇,township,main_leader,zhengke,党委书记,
t_sup,石上级,区委,district_unit,superior,,区委副书记,测试镇
"""
LOG = ("上午与包容、陈勤一起走访东街社区困难户，和@邓可核对低保台账；下午与群众一起开展环境整治，"
       "与王五交流经验，和李四核对名单")


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def cards_to(h: Harness, userid: str) -> list[dict[str, Any]]:
    return [d.payload["template_card"] for d in h.standin.messages_for(userid) if d.msgtype == "template_card"]


async def test_named_colleagues_confirm_and_a_denial_reaches_only_author_and_leader(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 11:00"))
    async with running_bot(db_url, clock, roster(tmp_path)) as h:
        signed = h.text("t_a", LOG, msg_id=9_260_401)
        first = h.reply_content((await h.post(signed))[1])
        assert "已记录" in first and "已请包容、陈勤、邓可确认参与" in first
        assert "不止一位「李四」" in first and "王五" not in first.split("\n", 1)[1]  # never resolved
        assert h.reply_content((await h.post(signed))[1]) == first  # WeCom's retry
        assert "已追加" in await h.say("t_a", "补充：下午与包容一起整理走访记录并报送")  # named again
        await h.drain()
        for userid in ("t_b", "t_c", "t_d"):
            (card,) = cards_to(h, userid)  # one card each, whatever was retried or appended
            assert card["main_title"]["desc"].startswith("安然（测试镇）") and "走访东街社区" in card["sub_title_text"]
            assert [b["text"] for b in card["button_list"]] == ["确认参与", "未参与"]
        for userid in ("t_li1", "t_li2", "o_wang", "t_leader", "t_sup", "o_lead"):
            assert cards_to(h, userid) == []

        # 包容 confirms; the same tap arriving twice records it once.
        tap = h.sim.card_event("t_b", task_id=cards_to(h, "t_b")[0]["task_id"], event_key="yes")
        for _ in range(2):
            status, body = await h.post(tap)
            assert status == 200 and h.reply_xml(body)["TemplateCard"]["ReplaceText"] == "已确认参与"
        # Someone else cannot answer 陈勤's card.
        status, body = await h.card("t_d", cards_to(h, "t_c")[0]["task_id"], "yes")
        assert "无法识别" in h.reply_content(body)
        # 陈勤 did not take part; a later tap (another device) changes nothing.
        status, body = await h.card("t_c", cards_to(h, "t_c")[0]["task_id"], "no")
        assert h.reply_xml(body)["TemplateCard"]["ReplaceText"] == "已回复：未参与"
        status, body = await h.card("t_c", cards_to(h, "t_c")[0]["task_id"], "yes")
        assert h.reply_xml(body)["TemplateCard"]["ReplaceText"] == "已回复：未参与"
        await h.drain()
        told = {u: [t for t in h.standin.texts_for(u) if "同事确认" in t] for u in ("t_a", "t_leader", "t_b", "t_d")}
        assert len(told["t_a"]) == 1 and "陈勤回复没有参与" in told["t_a"][0]
        assert len(told["t_leader"]) == 1 and "陈勤回复没有参与安然" in told["t_leader"][0]
        assert told["t_b"] == told["t_d"] == []

        colleague_view = await h.say("t_d", "查看 安然 今天")
        assert "（包容确认参与）" in colleague_view and "未参与" not in colleague_view
        assert "（包容确认参与；陈勤：未参与）" in await h.say("t_leader", "查看 安然")
        assert "陈勤：未参与" in await h.say("t_a", "查看 安然 本周")
        assert "（包容确认参与）" in await h.say("t_b", "查看 本单位")
        async with h.runtime.sessions() as session:
            rows = (await session.execute(select(LogMention.colleague, LogMention.status))).all()
        assert sorted(rows) == [("t_b", "confirmed"), ("t_c", "denied"), ("t_d", "asked")]


async def test_a_log_naming_no_colleague_sends_nothing(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 11:00"))
    async with running_bot(db_url, clock, roster(tmp_path)) as h:
        reply = await h.say("t_b", "上午与群众一起清理河道垃圾，和村干部同去走访困难户三户，同心协力完成任务")
        assert "已记录" in reply and "确认" not in reply
        assert "已补记" in await h.say("t_b", "补记 11-20 与安然一起参加镇民政工作例会并整理会议纪要")
        await h.drain()
        assert [c["main_title"]["desc"] for c in cards_to(h, "t_a")] == ["包容（测试镇） 11月20日"]
        assert all(cards_to(h, u) == [] for u in ("t_c", "t_d", "t_leader"))


async def test_the_cards_answer_typed_as_text_answers_the_waiting_card_and_is_never_a_log(db_url, clock, tmp_path):
    # A phone that lost the card, or a colleague who simply types it: 「确认参与」 answers, never
    # lands as a 4-character log refused as too short.
    clock.set(at("2026-11-23 11:00"))
    async with running_bot(db_url, clock, roster(tmp_path)) as h:
        assert "目前没有等您确认的同事日志" in await h.say("t_b", "确认参与")
        await h.say("t_a", "上午与包容一起走访东街社区困难户，下午整理走访记录并报送民政办")
        await h.say("t_c", "上午和包容核对低保台账，下午到西街社区排查矛盾纠纷并做好记录")
        many = await h.say("t_b", "确认参与")
        assert "有 2 篇同事日志等您确认（安然、陈勤）" in many and "「确认参与 安然」" in many
        assert "已确认您参与了安然" in await h.say("t_b", "确认参与 安然")
        assert "已回复「未参与」陈勤" in await h.say("t_b", "未参与")
        assert "目前没有等您确认的同事日志" in await h.say("t_b", "未参与")
        await h.drain()
        assert any("包容回复没有参与" in t for t in h.standin.texts_for("t_c"))
        assert "（包容确认参与）" in await h.say("t_d", "查看 安然 今天")
        async with h.runtime.sessions() as session:
            rows = (await session.execute(select(LogMention.author, LogMention.status))).all()
            logs = (await session.execute(select(DailyLog.userid))).scalars().all()
        assert sorted(rows) == [("t_a", "confirmed"), ("t_c", "denied")]
        assert "t_b" not in logs

"""The weekly digest (issue 26, item 6) through the encrypted callback: a week of logs, a copy,
a late backfill, a 「未参与」 and a leave request, then Monday 08:30: each unit's main leader gets
one markdown message about last week (a file when it would not fit), once, and a unit that
asked for none gets none."""

from __future__ import annotations

from pathlib import Path

from bot.testing.standin import media_for
from scheduler.jobs import run_job
from scheduler.registry import all_jobs
from tests.conftest import at
from tests.harness import Harness, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
t_d,邓可,测试镇,township,staff,general,科员,
o_lead,沈书记,外镇,township,main_leader,zhengke,党委书记,
o_a,欧阳,外镇,township,staff,general,科员,
"""
WORK = "上午走访东街社区12户低保家庭，核实家庭收入和住房情况；下午整理民政救助台账，补齐缺失材料5份"
OTHER = "到西关村检查秸秆禁烧工作，发现问题3处并现场督促整改；下午起草人居环境整治工作方案初稿"
SETTINGS = {"logs": {"start_date": "2026-11-16"}, "digest": {"off_units": ["外镇"]}}


def roster(tmp_path: Path, text: str = ROSTER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def digest_job():  # type: ignore[no-untyped-def]
    return next(job for job in all_jobs() if job.id == "weekly-digest")


def digests(h: Harness, userid: str) -> list[str]:
    return [d.text or "" for d in h.standin.messages_for(userid) if d.msgtype == "markdown"]


async def monday_morning(h: Harness, when: str = "2026-11-23 08:30") -> None:
    check = next(job for job in all_jobs() if job.id == "check-copied-logs")
    await run_job(check, h.runtime.jobs, at(when).replace(hour=3, minute=45))  # the night before
    h.clock.set(at(when))
    await run_job(digest_job(), h.runtime.jobs, at(when))
    await h.drain()


async def test_each_main_leader_gets_last_weeks_digest_once(db_url, clock, tmp_path):
    clock.set(at("2026-11-16 10:00"))
    async with running_bot(db_url, clock, roster(tmp_path), **SETTINGS) as h:
        await h.say("t_a", WORK)
        await h.say("t_leader", "主持召开镇党委会议，研究部署冬季森林防火和安全生产工作")
        await h.say("t_b", OTHER)
        await h.say("o_a", OTHER)
        clock.set(at("2026-11-17 10:00"))
        await h.say("t_a", WORK.replace("12户", "13户") + "，效果良好")  # a padded repeat
        assert "已请陈勤确认参与" in await h.say("t_b", "上午与陈勤一起到南湖村调解两户村民的排水纠纷，下午整理调解卷宗")
        await h.drain()
        card = next(d for d in h.standin.messages_for("t_c") if d.msgtype == "template_card")
        await h.card("t_c", card.payload["template_card"]["task_id"], "no")
        clock.set(at("2026-11-18 10:00"))
        assert "已提交请假申请" in await h.say("t_c", "请假 11-19 至 11-20 年假")
        clock.set(at("2026-11-19 10:00"))
        assert "已补记" in await h.say("t_d", "补记 11-16 上午核对退役军人优待金发放名册，下午录入就业数据")
        await h.drain()

        await monday_morning(h, "2026-11-20 08:30")  # not a Monday: nothing
        assert digests(h, "t_leader") == []
        await monday_morning(h)
        (digest,) = digests(h, "t_leader")
        assert "测试镇 上周日志周报" in digest and "11月16日至11月22日" in digest and "工作日 5 天" in digest
        assert "- 安然：2 天（缺 3 天）" in digest and "- 邓可：1 天（缺 4 天，补记 1 天）" in digest
        assert "**缺记**：" in digest and "陈勤" in digest.split("**缺记**：")[1].split("\n")[0]
        assert "**事后补记**：邓可" in digest
        assert "**疑似抄袭或套话**：1 篇" in digest and "安然 11月17日（周二）：与本人 11月16日的日志几乎相同" in digest
        assert "**同事回复「未参与」**：1 条" in digest and "陈勤：未参与包容 11月17日日志中写的工作" in digest
        assert "陈勤 请假 11月19日至11月20日（待审批）" in digest
        assert "不计分" in digest and len(digest.encode()) <= 2048
        assert all(digests(h, u) == [] for u in ("t_a", "t_b", "t_c", "t_d", "o_a"))
        assert digests(h, "o_lead") == []  # 外镇 asked for none

        await monday_morning(h, "2026-11-23 08:31")  # a second replica, a catch-up
        assert len(digests(h, "t_leader")) == 1


async def test_a_digest_too_long_for_one_message_goes_as_a_file(db_url, clock, tmp_path):
    lines = ["userid,name,unit,unit_category,role,rank,position,oversees", "big_lead,高书记,大镇,township,main_leader,zhengke,党委书记,"]
    lines += [f"big_{i:02d},干部{i:02d}号,大镇,township,staff,general,科员," for i in range(80)]
    clock.set(at("2026-11-16 10:00"))
    async with running_bot(db_url, clock, roster(tmp_path, "\n".join(lines) + "\n"), logs={"start_date": "2026-11-16"}) as h:
        await monday_morning(h)
        assert digests(h, "big_lead") == []
        (upload,) = media_for(h.standin, "big_lead")
        assert upload.filename == "大镇-日志周报-2026-11-16.md"
        text = upload.data.decode()
        assert "- 干部79号：0 天（缺 5 天）" in text and len(text.encode()) > 2048
        assert any("已作为文件" in t for t in h.standin.texts_for("big_lead"))

"""Copied and boilerplate logs (issue 26, item 5) through the encrypted callback: flagged in the
admin's 缺记统计 (the main leader sees them in the weekly digest), never to colleagues and never
a deduction; a rota written the same way every day is no copy."""

from __future__ import annotations

from pathlib import Path

from scheduler.jobs import run_job
from scheduler.registry import all_jobs
from tests.conftest import at
from tests.harness import ADMIN, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
t_d,邓可,测试镇,township,staff,general,科员,
"""
WORK = "上午走访东街社区12户低保家庭，核实家庭收入和住房情况；下午整理民政救助台账，补齐缺失材料5份"
OTHER = "到西关村检查秸秆禁烧工作，发现问题3处并现场督促整改；下午起草人居环境整治工作方案初稿"
DUTY = "全天在镇便民服务中心值班，受理群众咨询{}件，办理社保认证2件"
TEMPLATE = "认真学习贯彻上级会议精神，进一步提高思想认识，扎实推进各项工作落实，切实做好本职工作"


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


async def test_copies_and_template_phrases_are_flagged_for_the_admin_only(db_url, clock, tmp_path):
    clock.set(at("2026-11-23 10:00"))
    async with running_bot(db_url, clock, roster(tmp_path), logs={"start_date": "2026-11-23"}) as h:
        assert "已记录" in await h.say("t_a", WORK)
        assert "已记录" in await h.say("t_leader", DUTY.format(8))
        assert "已记录" in await h.say("t_c", OTHER)
        clock.set(at("2026-11-24 10:00"))
        assert "已记录" in await h.say("t_a", WORK.replace("12户", "13户") + "，效果良好")  # padded repeat
        assert "已记录" in await h.say("t_leader", DUTY.format(8))  # the same rota
        assert "已记录" in await h.say("t_c", "上午参加村级财务审计；下午到南湖村调解两户村民的排水纠纷")
        clock.set(at("2026-11-24 11:00"))
        assert "已记录" in await h.say("t_b", "今天上午参加村级财务审计；下午到南湖村调解两户村民的排水纠纷")
        assert "已记录" in await h.say("t_d", TEMPLATE)

        clock.set(at("2026-11-25 09:00"))
        assert "【近 7 天疑似抄袭或套话的日志】没有。" in await h.say(ADMIN, "缺记统计")  # not checked yet
        check = next(job for job in all_jobs() if job.id == "check-copied-logs")
        for _ in range(2):  # the nightly check, run twice (a second replica): the same flags
            await run_job(check, h.runtime.jobs, at("2026-11-25 03:45"))
        stats = await h.say(ADMIN, "缺记统计")
        assert "【近 7 天疑似抄袭或套话的日志】3 篇（仅供核查，不扣分，同事看不到）" in stats
        assert "· 安然（测试镇） 11月24日（周二）：与本人 11月23日的日志几乎相同" in stats
        assert "· 包容（测试镇） 11月24日（周二）：与陈勤（测试镇） 11月24日的日志几乎相同" in stats
        assert "· 邓可（测试镇） 11月24日（周二）：大部分是套话" in stats
        assert "· 林书记（测试镇）" not in stats and "· 陈勤（测试镇）" not in stats  # a rota; the original
        # Colleagues read the logs as written, with no mark; nothing is missing or deducted.
        for reader in ("t_c", "t_d"):
            seen = await h.say(reader, "查看 安然")
            assert "几乎相同" not in seen and "疑似" not in seen and "效果良好" in seen
        assert "没有缺记" in await h.say("t_a", "缺记")

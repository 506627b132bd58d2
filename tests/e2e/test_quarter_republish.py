"""Re-publishing a quarter (issue 28 §4) through the encrypted callback and the CLI.

A leave asked for in time but approved only after 2026Q4 was published took two missing log
days off a cadre: 「发布结果 2026Q4 重新发布」 recomputes today's deductions from each cadre's
published weighted score (the ballots are gone), keeps version 1, and tells only that cadre,
old → new and why. Rankings, 我的得分 and the year's composite read the new version.

The quarter's handed-in scores are put in the ballot box directly, as tests/e2e/test_results.py
does (every group of a cadre gives the same mark, so a published score is the mark minus the
deductions); everything after is the admin's and the cadres' chat.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import rounds
from bot.cli import year as year_cli
from bot.clock import ManualClock
from storage.models_ops import AuditEvent
from storage.models_rating import QuarterPublication, QuarterResult, RatingRound, RatingScore
from storage.models_year import AnnualResult
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_results import MARKS, SETTINGS, publish_q4
from tests.e2e.test_year_end import shiji_year
from tests.e2e.test_year_roster import NAMES, ROSTER, SCORE, evaluate_everyone
from tests.harness import ADMIN, Harness, running_bot

JIANG = "chengguan_jiangtao"  # 蒋涛: 74 from everyone, 9 days without a log, no quarterly summary
LEADER = "chengguan_zhaojh"  # 赵建华, his unit's main leader: decides his leave
REPUBLISH = "发布结果 2026Q4 重新发布"
CLI_CLOCK = {"clock": {"start": "2027-01-19T10:00:00+08:00"}}  # what the CLI reads as now


async def rows(h: Harness, model, *where):  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return list((await session.execute(select(model).where(*where))).scalars().all())


async def count(h: Harness, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def drain(h: Harness) -> None:
    while await h.drain():
        pass


async def leave_asked_in_time(h: Harness, userid: str, leader: str) -> int:
    """On 12-28 `userid` asks for 12-22–12-23 off (still backfillable then); their leader does
    not decide until after the quarter is published. Returns the request's number."""
    h.clock.set(at("2026-12-28 10:00"))
    assert "已提交请假申请" in await h.say(userid, "请假 12-22 至 12-23 年假")
    pending = await h.say(leader, "待批请假")
    found = re.search(r"编号 (\d+)：", pending)
    assert found, pending
    return int(found[1])


def corrections(h: Harness, userids) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {u: [t for t in h.standin.texts_for(u) if "已更正" in t] for u in userids}


async def test_a_leave_approved_after_publishing_corrects_only_that_cadre(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS, **CLI_CLOCK) as h:
        number = await leave_asked_in_time(h, JIANG, LEADER)
        clock.set(at("2027-01-18 10:00"))
        await publish_q4(h)  # 74 − 9 × 0.2 − 2 = 70.20, last of 12 in 城关镇
        assert "您的得分：70.20 分，在本单位 12 人中排第 12 名" in await h.say(JIANG, "我的得分")

        # Asked before the quarter was published, not a correction yet.
        assert "结果已经发布过了" in (hint := await h.say(ADMIN, "发布结果 2026Q4")) and REPUBLISH in hint, hint
        # Nobody but the admin corrects a published quarter.
        refused = await h.say(JIANG, REPUBLISH)
        assert "仅限考核办" in refused, refused
        assert await count(h, QuarterPublication) == 1

        clock.set(at("2027-01-19 09:00"))
        assert "已批准" in await h.say(LEADER, f"批准请假 {number}")
        await drain(h)
        before = {u: len(h.standin.texts_for(u)) for u in MARKS}

        # The admin re-publishes; WeCom retries the same message (same MsgId): answered again, done once.
        signed = h.text(ADMIN, REPUBLISH)
        status, body = await h.post(signed)
        assert status == 200
        answer = h.reply_content(body)
        assert "已重新发布2026年第4季度结果（第 2 版，第 1 版保留备查）" in answer, answer
        assert "1 人的结果有变化，1 人已收到更正通知；其余 23 人不变，未通知" in answer, answer
        assert "· 蒋涛（城关镇）：得分 70.20 → 70.60，扣减 3.80 → 3.40，缺记日志 9 → 7 天" in answer, answer
        status, body = await h.post(signed)
        assert status == 200 and h.reply_content(body) == answer
        assert await count(h, QuarterPublication) == 2

        # Only 蒋涛 is told: old → new, why, and the corrected result.
        await drain(h)
        told = corrections(h, MARKS)
        assert [u for u, texts in told.items() if texts] == [JIANG], told
        notice = told[JIANG][0]
        assert "2026年第4季度实绩考核结果已更正（第 2 版）" in notice
        assert "得分：70.20 分 → 70.60 分" in notice and "扣减：3.80 分 → 3.40 分" in notice, notice
        assert "缺记日志由 9 天减为 7 天；12月22日、12月23日已不计缺记" in notice, notice
        assert "= 74.00 − 3.40 = 70.60 分" in notice, notice
        assert {u: len(h.standin.texts_for(u)) for u in MARKS if u != JIANG} == {
            u: n for u, n in before.items() if u != JIANG
        }

        # Every reader sees version 2; version 1 stays, as published, with who published what.
        assert "您的得分：70.60 分" in await h.say(JIANG, "我的得分")
        assert "缺记日志 7 天" in await h.say(JIANG, "我的得分 2026Q4")
        assert "12. 蒋涛 70.60" in (unit := await h.say(LEADER, "排名")) and "70.20" not in unit, unit
        scores = {(r.version, r.score) for r in await rows(h, QuarterResult, QuarterResult.userid == JIANG)}
        assert scores == {(1, "70.20"), (2, "70.60")}
        assert await count(h, QuarterResult, QuarterResult.version == 2) == len(MARKS)
        versions = await rows(h, QuarterPublication)
        assert [(v.version, v.published_by) for v in versions] == [(1, ADMIN), (2, ADMIN)]
        assert "蒋涛" in versions[1].changes
        audit = await rows(h, AuditEvent, AuditEvent.action == "round.republish")
        assert [(a.actor, a.detail) for a in audit] == [(ADMIN, "2026Q4 version 2: 1 changed, 1 notified")]

        # Nothing changed since: said so, nothing stored, nobody told — in chat and on the CLI.
        again = await h.say(ADMIN, REPUBLISH)
        assert "与第 2 版完全相同" in again and "未重新发布" in again, again
        assert await rounds.rating_round(h.settings, "publish", "2026Q4", republish=True) == 2
        assert await count(h, QuarterPublication) == 2
        await drain(h)
        assert len(corrections(h, MARKS)[JIANG]) == 1
        assert await rounds.rating_round(h.settings, "versions", "2026Q4") == 0


async def test_a_place_moved_by_a_colleagues_correction_is_told_too(db_url, clock):
    """吴昊 and 郑丽 share 5th place in 城关镇 (82.40 each); 吴昊's leave lifts him to 82.80 alone,
    so 郑丽 is 6th now: her score is the same, her place is not, and she is told why."""
    wu, zheng = "chengguan_wuhao", "chengguan_zhengli"
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS, **CLI_CLOCK) as h:
        number = await leave_asked_in_time(h, wu, LEADER)
        clock.set(at("2027-01-18 10:00"))
        await publish_q4(h)
        assert "已批准" in await h.say(LEADER, f"批准请假 {number}")
        answer = await h.say(ADMIN, REPUBLISH)
        assert "2 人的结果有变化，2 人已收到更正通知；其余 22 人不变" in answer, answer
        assert "· 郑丽（城关镇）：本单位第 5 → 6 名，同职级第 1 → 2 名" in answer, answer
        await drain(h)
        told = corrections(h, MARKS)
        assert sorted(u for u, texts in told.items() if texts) == [wu, zheng], told
        [notice] = told[zheng]
        assert "在本单位的名次：第 5 名（共 12 人） → 第 6 名（共 12 人）" in notice, notice
        assert "得分：" not in notice.split("【")[0]  # her score did not change
        assert "您的扣减没有变化；同单位或同职级其他干部的结果更正后，名次随之变化" in notice, notice
        assert "6. 郑丽 82.40" in await h.say(LEADER, "排名")


async def test_a_grade_moved_by_a_correction_is_told_and_version_1_keeps_its_own(db_url, clock):
    """With 一般 from 70.5, 蒋涛's 70.20 is 较差; the approved leave lifts him to 70.60, 一般:
    the correction says so, version 2 stores it, version 1 keeps 较差 as it was told."""
    grades = {"grades": {"fair_from": "70.5"}}
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS, **CLI_CLOCK, **grades) as h:
        number = await leave_asked_in_time(h, JIANG, LEADER)
        clock.set(at("2027-01-18 10:00"))
        await publish_q4(h)
        assert "平时考核：较差。" in await h.say(JIANG, "我的得分")
        assert "已批准" in await h.say(LEADER, f"批准请假 {number}")
        answer = await h.say(ADMIN, REPUBLISH)
        assert "· 蒋涛（城关镇）：得分 70.20 → 70.60，扣减 3.80 → 3.40，缺记日志 9 → 7 天，平时考核 较差 → 一般" in answer, answer
        await drain(h)
        [notice] = corrections(h, MARKS)[JIANG]
        assert "平时考核：较差 → 一般" in notice and "平时考核：一般。" in notice, notice
        assert "平时考核：一般。" in await h.say(JIANG, "我的得分")
        grades_by_version = {(r.version, r.grade) for r in await rows(h, QuarterResult, QuarterResult.userid == JIANG)}
        assert grades_by_version == {(1, "较差"), (2, "一般")}


async def test_only_a_published_quarter_is_re_published(db_url, clock, capsys):
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS, **CLI_CLOCK) as h:
        clock.set(at("2027-01-18 10:00"))
        refused = await h.say(ADMIN, REPUBLISH)
        assert "还没有开启过评分" in refused, refused
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        refused = await h.say(ADMIN, REPUBLISH)
        assert "尚未发布，没有可重新发布的结果" in refused and "关闭评分 2026Q4" in refused, refused
        capsys.readouterr()
        assert await rounds.rating_round(h.settings, "publish", "2026Q4", republish=True) == 2
        assert "尚未发布" in capsys.readouterr().err
        assert await count(h, QuarterPublication) == 0


async def test_a_withheld_score_stays_withheld_in_its_correction(db_url, clock):
    """张晨 of 团区委 is rated by two people: his score is withheld from everyone (issue 21).
    His correction says what he may see — the deduction, his place — and never the score."""
    zhang, lv = "tqw_zhangchen", "tqw_lvxiao"
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS, **CLI_CLOCK) as h:
        number = await leave_asked_in_time(h, zhang, lv)
        clock.set(at("2027-01-18 10:00"))
        async with h.runtime.sessions() as session, session.begin():
            rnd = RatingRound(quarter="2026Q4", status="closed", opened_by=ADMIN, opened_at=at("2027-01-04 09:00"),
                              closes_at=at("2027-01-15 18:00"), closed_at=at("2027-01-15 18:00"))
            session.add(rnd)
            await session.flush()
            for userid, mark in MARKS.items():
                groups = ["lead", "peer"] if userid == zhang else ["lead"] + ["peer"] * 3 + ["other"] * 3
                session.add_all(RatingScore(id=uuid.uuid4().hex, round_id=rnd.id, ratee=userid, grp=g, score=mark)
                                for g in groups)
        assert "已发布" in await h.say(ADMIN, "发布结果 2026Q4")
        hidden = ["80.00", "76.20", "76.60"]  # his weighted score, and 80 − 3.80 before and 80 − 3.40 after
        assert "76.20" not in await h.say(zhang, "我的得分")

        assert "已批准" in await h.say(lv, f"批准请假 {number}")
        answer = await h.say(ADMIN, REPUBLISH)
        assert "· 张晨（团区委）：得分和名次有变化（评分人不足 3 人，不公布），扣减 3.80 → 3.40" in answer, answer
        await drain(h)
        [notice] = corrections(h, [zhang])[zhang]
        assert "扣减：3.80 分 → 3.40 分" in notice and "评分人不足 3 人，为保护匿名不公布" in notice, notice
        for text in (answer, notice, await h.say(zhang, "我的得分")):
            assert not [figure for figure in hidden if figure in text], text
        scores = {(r.version, r.score) for r in await rows(h, QuarterResult, QuarterResult.userid == zhang)}
        assert scores == {(1, "76.20"), (2, "76.60")}  # computed as ever, shown to nobody


UNITS = [["a_lead", "a_dep", "a_s1", "a_s2", "a_s3", "a_s4"], ["b_lead", "b_dep", "b_s1", "b_s2", "b_s3"]]


async def test_the_year_reads_the_new_version_once_re_published(db_url, tmp_path: Path):
    """The year was published on version 1 of 2026Q4: the quarter's re-publish says the year now
    differs and how to bring it in line; the year's re-publish then counts version 2."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2026-12-28 10:00"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS, **CLI_CLOCK) as h:
        number = await leave_asked_in_time(h, "a_s1", "a_lead")
        clock.set(at("2027-01-18 10:00"))
        async with h.runtime.sessions() as session, session.begin():
            rnd = RatingRound(quarter="2026Q4", status="closed", opened_by=ADMIN, opened_at=at("2027-01-04 09:00"),
                              closes_at=at("2027-01-15 18:00"), closed_at=at("2027-01-15 18:00"))
            session.add(rnd)
            await session.flush()
            for userid, mark in SCORE.items():
                session.add_all(RatingScore(id=uuid.uuid4().hex, round_id=rnd.id, ratee=userid, grp=g, score=mark)
                                for g in ["peer"] * 3 + ["other"] * 3)
        assert "已发布" in await h.say(ADMIN, "发布结果 2026Q4")  # 孙一: 85 − 3.80 = 81.20
        for quarter in ("q1", "q2", "q3"):  # the district ran only 2026Q4
            assert await year_cli.run(h.settings, shiji_year("excuse", "2026", "*", quarter, "未开展")) == 0
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await evaluate_everyone(h, UNITS, SCORE)
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,90\n区发改局,80\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        assert "第 1 版" in await h.say(ADMIN, "发布年度结果 2026")
        first = {r.userid: r for r in await rows(h, AnnualResult, AnnualResult.version == 1)}
        assert first["a_s1"].quarter_mean == "81.20"

        assert "已批准" in await h.say("a_lead", f"批准请假 {number}")
        answer = await h.say(ADMIN, REPUBLISH)
        assert "· 孙一（城关镇）：得分 81.20 → 81.60" in answer, answer
        assert "2026 年度结果（第 1 版）是按本季度原来的得分计算的，其中 1 人的季度平均随之改变" in answer, answer
        assert "发布年度结果 2026 重新发布" in answer and "shiji year publish 2026 --republish" in answer, answer

        year = await h.say(ADMIN, "发布年度结果 2026 重新发布")
        assert "第 2 版" in year and f"{NAMES['a_s1']}（a_s1） 季度平均：81.20 → 81.60" in year, year
        second = {r.userid: r for r in await rows(h, AnnualResult, AnnualResult.version == 2)}
        assert second["a_s1"].quarter_mean == "81.60"
        assert {u: r.quarter_mean for u, r in second.items() if u != "a_s1"} == {
            u: r.quarter_mean for u, r in first.items() if u != "a_s1"
        }

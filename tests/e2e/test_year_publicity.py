"""The year's 公示 through the encrypted callback (issue 24 item 5): the admin publicises each
unit's proposed 优秀 list for five working days on the official calendar (调休 included);
two cadres object, 实名, seen only by the 考核办; one objection is dismissed, one upheld —
the place passes to the next by score in a new version (the first kept) and the changed unit
alone is publicised again; the 考核办 is reminded once (two replicas) while objections are
open near the end; the year becomes final only when every 公示 has ended with none open.
With it, issue 24's whole year in one district: grades by quota with a 基本称职 decided by the
考核办 and a cadre barred from 优秀, the written notice confirmed and contested with 本人意见,
a 复核 decided in the cadre's favour (re-published, earlier versions kept) and a 申诉 recorded,
the archive's 年度考核登记表 — on SQLite and PostgreSQL.

Every date is counted here from the calendar file itself, not by scoring/workdays.py.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.cli import year as year_cli
from bot.clock import ManualClock
from scheduler.jobs import run_job
from scheduler.notice_jobs import JOBS as NOTICE_JOBS
from storage.models_ops import AuditEvent
from storage.models_rating import QuarterResult
from storage.models_year_notice import YearFinal
from tests.conftest import SAMPLE_2027, at
from tests.e2e.test_year_end import shiji_year
from tests.e2e.test_year_roster import ROSTER, SCORE, evaluate_everyone, seed_quarters_and_summaries
from tests.e2e.test_year_ties import rows, texts_since
from tests.harness import ADMIN, running_bot

UNITS = {"城关镇": ["a_lead", "a_dep", "a_s1", "a_s2", "a_s3", "a_s4"],
         "区发改局": ["b_lead", "b_dep", "b_s1", "b_s2", "b_s3"]}
UNIT_RESULT = {"城关镇": Decimal(90), "区发改局": Decimal(80)}
MAIN = {"a_lead", "b_lead"}
NAMES = {"a_lead": "赵城", "a_dep": "钱镇", "b_lead": "郑局", "b_s1": "冯一"}
CALENDAR = tomllib.loads(SAMPLE_2027.read_text(encoding="utf-8"))
HOLIDAYS = {date.fromisoformat(d) for d in CALENDAR["holidays"]}
MAKEUP = {date.fromisoformat(d) for d in CALENDAR["workdays"]}  # 调休上班


def working(day: date) -> bool:
    return day in MAKEUP or (day.weekday() < 5 and day not in HOLIDAYS)


def fifth_working_day(start: date) -> date:
    day, counted = start - timedelta(days=1), 0
    while counted < 5:
        day += timedelta(days=1)
        counted += working(day)
    return day


def label(day: date) -> str:
    return f"{day.month}月{day.day}日（周{'一二三四五六日'[day.weekday()]}）"


def annual(userid: str, unit: str) -> Decimal:
    """10% democratic + 20% unit + 70% quarters (main leader 30% / 60%); both marks = SCORE."""
    s, u = Decimal(SCORE[userid]), UNIT_RESULT[unit]
    return (Decimal("0.7") * s + Decimal("0.3") * u) if userid in MAIN else (Decimal("0.8") * s + Decimal("0.2") * u)


LEVEL = {"a_lead": "zhengke", "b_lead": "zhengke", "a_dep": "fuke", "b_dep": "fuke"}
LEVEL = {u: LEVEL.get(u, "general") for units in UNITS.values() for u in units}
LEVEL_ZH = {"zhengke": "正科级", "fuke": "副科级", "general": "一般干部"}
UNIT_OF = {u: unit for unit, members in UNITS.items() for u in members}


def level_size(userid: str) -> int:
    return sum(1 for u in LEVEL if LEVEL[u] == LEVEL[userid])


def level_place(userid: str) -> int:
    mine = annual(userid, UNIT_OF[userid])
    return 1 + sum(1 for u in LEVEL if LEVEL[u] == LEVEL[userid] and annual(u, UNIT_OF[u]) > mine)


def unit_place(userid: str, unit: str) -> int:
    return 1 + sum(1 for u in UNITS[unit] if annual(u, unit) > annual(userid, unit))


def best(unit: str, without: set[str] = set()) -> str:  # noqa: B006  (read only)
    return max((u for u in UNITS[unit] if u not in without), key=lambda u: annual(u, unit))


async def run_check(h, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    for _replica in (1, 2):  # two replicas, or a restart's catch-up: nothing twice
        await run_job(NOTICE_JOBS[0], h.runtime.jobs, clock.now())
    while await h.drain():
        pass


async def test_publicity_objections_and_the_final_gate(db_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    # 复核 opened to 称职 and 基本称职 (the default is 不称职 alone, which no one here is graded).
    sections = {"logs": {"start_date": "2027-01-01"}, "clock": {"start": "2027-01-05T09:30:00+08:00"},
                "notice": {"review_grades": ["competent", "basically_competent"]}}
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **sections) as h:
        await seed_quarters_and_summaries(h, SCORE, gone_in_q4="")
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await evaluate_everyone(h, UNITS.values(), SCORE)
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,90\n区发改局,80\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        assert "尚未发布" in await h.say(ADMIN, "公示 2026")
        # The 考核办's records before publishing: a 基本称职 by decision, and a cadre barred from
        # 优秀 (an 诫勉 period) whose bar costs nobody else a place (王副 is not the unit's best).
        assert "基本称职（全年多项工作未按期完成）" in await h.say(ADMIN, "等次 2026 吴四 基本称职 全年多项工作未按期完成")
        assert "不得评为优秀" in await h.say(ADMIN, "不评优 2026 王副 诫勉影响期 2026-06-01 至 2027-05-31")
        assert "第 1 版" in await h.say(ADMIN, "发布年度结果 2026 强制发布")
        while await h.drain():
            pass
        first = await rows(h, 1)
        first_excellent = {u for u, r in first.items() if r.excellent}
        # Grades by quota (15% of 5 or 6, at least 1): each unit's best by score; the records stand.
        assert first_excellent == {best("城关镇"), best("区发改局")} == {"a_lead", "b_lead"}
        want = {u: "excellent" if u in first_excellent else "competent" for u in first} | {"a_s4": "basically_competent"}
        assert {u: r.grade for u, r in first.items()} == want
        assert "全年多项工作未按期完成" in first["a_s4"].grade_reason and "诫勉影响期" in first["b_dep"].grade_reason
        assert "等次：基本称职" in "".join(texts_since(h, "a_s4", 0))

        # 公示 starts on Thursday 1月28日: 28, 29, Sunday 31 (调休上班), 2月1日, 2日.
        clock.set(at("2027-01-28 09:00"))
        start = date(2027, 1, 28)
        ends = fifth_working_day(start)
        assert ends == date(2027, 2, 2)
        assert "仅限考核办" in await h.say("a_s2", "公示 2026")
        sent = len(h.standin.sent)
        reply = await h.say(ADMIN, "公示 2026")
        assert f"已在 2 个单位公示2026年度拟评优秀人员（依据第 1 版结果），公示期 {label(start)}至{label(ends)}（5 个工作日）" in reply
        while await h.drain():
            pass
        for unit, members in UNITS.items():
            for userid in members:
                (notice,) = [t for t in texts_since(h, userid, sent) if "优秀等次人选公示" in t]
                assert f"{unit}拟评优秀：{NAMES[best(unit)]}。" in notice
                assert f"公示期：{label(start)}至{label(ends)}，共 5 个工作日" in notice and "异议 " in notice
        assert "公示中" in await h.say(ADMIN, "公示 2026")  # again: where it stands, nothing restarted

        # Objections: by name, 实名, to the 考核办 only.
        assert "没有「钱四」" in await h.say("a_s2", "异议 钱四 不符合条件")
        assert "请写明具体事实和理由" in await h.say("a_s2", "异议 赵城")
        assert "不能对本人提出异议" in await h.say("a_lead", "异议 赵城 我不该评优秀")
        sent = len(h.standin.sent)
        signed = h.text("a_s2", "异议 赵城 年内受到通报批评，不宜评为优秀", msg_id=424242)
        for _retry in (1, 2):  # WeCom retries the same MsgId: one objection
            status, body = await h.post(signed)
            assert status == 200 and "编号 1" in h.reply_content(body)
        assert "编号 2" in await h.say("b_s1", "提出异议：郑局，全年多次无故缺记工作日志")
        while await h.drain():
            pass
        to_admin = texts_since(h, ADMIN, sent)
        assert any("编号 1" in t and "反映人：李二（城关镇）" in t and "通报批评" in t for t in to_admin)
        assert any("编号 2" in t and "反映人：冯一（区发改局）" in t for t in to_admin)
        for objected in ("a_lead", "b_lead"):  # never shown to the person objected to
            assert not any("异议" in t and ("李二" in t or "冯一" in t or "编号" in t) for t in texts_since(h, objected, sent))
        listing = await h.say(ADMIN, "异议列表 2026")
        assert "2 件（待处理 2 件）" in listing and "1. " in listing and "李二（城关镇） 反映 赵城（城关镇）" in listing
        assert "仅限考核办" in await h.say("a_s2", "异议列表 2026")

        # The working day before the end, objections open: the 考核办 is reminded, once.
        clock.set(at("2027-02-01 09:00"))
        sent = len(h.standin.sent)
        await run_check(h, clock)
        reminders = [t for t in texts_since(h, ADMIN, sent) if "待处理" in t and t.startswith("⏰")]
        assert len(reminders) == 1 and f"公示期 {label(ends)}结束，还有 2 件异议待处理（编号 1、2）" in reminders[0]

        # Dismissed: recorded with its reason, the objector told, nothing republished.
        sent = len(h.standin.sent)
        dismissed = await h.say(ADMIN, "异议处理 2 不成立 经核实，缺记均已请假")
        assert "不成立，已记录" in dismissed
        assert "已于此前处理" in await h.say(ADMIN, "异议处理 2 成立 改判")
        assert "成立」或「不成立" in await h.say(ADMIN, "异议处理 1 也许 再看看")
        # Upheld: 赵城 is barred; the place passes to the next by score (钱镇) in version 2.
        upheld = await h.say(ADMIN, "异议处理 1 成立：经核实属实")
        assert "第 2 版" in upheld and "公示异议 1 成立：赵城（城关镇）不评为优秀" in upheld
        assert "赵城（a_lead） 优秀：是 → 否" in upheld and "钱镇（a_dep） 优秀：否 → 是" in upheld
        assert best("城关镇", {"a_lead"}) == "a_dep"
        assert "郑局" not in upheld.split("改动")[-1]
        rerun_ends = fifth_working_day(date(2027, 2, 1))
        assert rerun_ends == date(2027, 2, 15)  # 2月5日、8–12日 春节, then the weekend
        assert f"已在城关镇重新公示调整后的名单（{label(date(2027, 2, 1))}至{label(rerun_ends)}）" in upheld
        while await h.drain():
            pass
        assert any("异议（编号 2）经核实不成立" in t for t in texts_since(h, "b_s1", sent))
        assert any("异议（编号 1）经核实成立" in t for t in texts_since(h, "a_s2", sent))
        for userid in UNITS["城关镇"]:
            (again,) = [t for t in texts_since(h, userid, sent) if "优秀等次人选公示" in t]
            assert "第 2 次" in again and "城关镇拟评优秀：钱镇。" in again
        for userid in UNITS["区发改局"]:
            assert not [t for t in texts_since(h, userid, sent) if "优秀等次人选公示" in t]
        assert (await rows(h, 1))["a_lead"].excellent is True  # version 1 kept as published
        second = await rows(h, 2)
        assert {u for u, r in second.items() if r.excellent} == {"a_dep", "b_lead"}

        # 区发改局's 公示 ended on 2月2日 but 城关镇's runs on: not final yet.
        clock.set(at("2027-02-03 09:00"))
        await run_check(h, clock)
        assert "已确定" not in await h.say(ADMIN, "公示情况 2026")
        assert "编号 3" in await h.say("b_s2", "异议 钱镇 年内有一项工作未按期完成")  # 城关镇's list is open
        async with h.runtime.sessions() as session:
            assert (await session.get(YearFinal, 2026)) is None
        assert "不成立，已记录" in await h.say(ADMIN, "异议处理 3 不成立 经核实已按期完成")
        # The next working day after the last 公示 ends, nothing open: final, once.
        async with h.runtime.sessions() as session, session.begin():
            for result in (await session.execute(select(QuarterResult))).scalars():
                if result.unit_id == h.runtime.directory.current.people["b_lead"].unit.id:
                    result.rater_counts = '{"peer": 2, "other": 2}'
        clock.set(at("2027-02-16 09:00"))
        sent = len(h.standin.sent)
        await run_check(h, clock)
        finals = [t for t in texts_since(h, ADMIN, sent) if "已确定" in t]
        assert len(finals) == 1 and "2026年度考核结果（第 2 版）已确定" in finals[0]
        assert f"已于 {label(date(2027, 2, 16))}确定（第 2 版）" in await h.say(ADMIN, "公示情况 2026")
        assert "已向 11 人发出书面结果通知" in finals[0]

        # Final gates the written notice: a card to every cadre with grade, score and places
        # of the final version, 「确认」 and 「有异议」.
        cards = {d.recipients[0]: d.payload["template_card"] for d in h.standin.sent[sent:]
                 if d.payload.get("template_card", {}).get("task_id", "").startswith("yrn-")}
        assert set(cards) == set(second)
        for userid, card in cards.items():
            row = second[userid]
            shown = dict((item["keyname"], item["value"]) for item in card["horizontal_content_list"])
            assert shown["等次"] == {"a_dep": "优秀", "b_lead": "优秀", "a_s4": "基本称职"}.get(userid, "称职")
            # 区发改局's quarters rest on 4 raters each; 城关镇's seeded quarters name none, so
            # their composite is withheld (fewer than 3 raters), and with it a main leader's place.
            if row.unit_name == "区发改局":
                assert shown["年度得分"] == f"{annual(userid, row.unit_name):.2f} 分" == f"{row.annual} 分"
                assert shown["单位排名"] == f"5 人中第 {unit_place(userid, '区发改局')} 名"
            else:
                assert shown["年度得分"] == "评分人不足 3 人，不公布"
                assert ("单位排名" in shown) is (userid != "a_lead")
            assert shown["同职级"] == f"全区{LEVEL_ZH[LEVEL[userid]]} {level_size(userid)} 人中第 {level_place(userid)} 名"
            assert [b["text"] for b in card["button_list"]] == ["确认", "有异议"]

        # 确认 on the card; 有异议 then 本人意见 by text; 确认 by text; retries change nothing.
        clock.set(at("2027-02-16 10:15"))
        status, body = await h.card("a_s2", cards["a_s2"]["task_id"], "confirm")
        assert status == 200
        assert "已记录" not in await h.say(ADMIN, "本人意见 测试")
        status, body = await h.card("a_s2", cards["b_s1"]["task_id"], "confirm")  # not theirs
        assert "不是发给您的" in h.reply_content(body)
        status, body = await h.card("b_s1", cards["b_s1"]["task_id"], "object")
        assert status == 200
        assert "2027-02-16 10:15 确认结果，不能再提出异议" in await h.say("a_s2", "本人意见 又想提意见")
        clock.set(at("2027-02-16 10:30"))
        assert "已记录您的本人意见（2027-02-16 10:30）" in await h.say("b_s1", "本人意见 第三季度加班未计入，得分偏低")
        assert "不能修改" in await h.say("b_s1", "本人意见 再改一次")
        assert "已确认2026年度考核结果" in await h.say("a_s3", "确认结果")
        assert "未作更改" in await h.say("a_s3", "确认结果")
        while await h.drain():
            pass
        assert any("冯一（区发改局）对2026年度考核结果有异议，本人意见：第三季度加班未计入" in t for t in texts_since(h, ADMIN, sent))

        # Five working days after the notice: 17, 18, 19, Saturday 20 (调休上班), 22 — reminded
        # once, not the working day before.
        remind_day = date(2027, 2, 16)
        for _ in range(5):
            remind_day += timedelta(days=1)
            while not working(remind_day):
                remind_day += timedelta(days=1)
        assert remind_day == date(2027, 2, 22)
        sent = len(h.standin.sent)
        clock.set(at("2027-02-20 09:00"))
        await run_check(h, clock)
        assert not [t for t in texts_since(h, "a_s1", sent) if "还没有回复" in t]
        for day in ("2027-02-22", "2027-02-23"):
            clock.set(at(f"{day} 09:00"))
            await run_check(h, clock)
        reminded = {u for u in second if [t for t in texts_since(h, u, sent) if "还没有回复2026年度考核结果通知" in t]}
        assert reminded == set(second) - {"a_s2", "b_s1", "a_s3"}
        for userid in reminded:
            assert len([t for t in texts_since(h, userid, sent) if "还没有回复" in t]) == 1

        # 复核 within 30 days of the notice (公务员法 §95, calendar days), decided within 30 (§96).
        notified = date(2027, 2, 16)
        clock.set(at("2027-02-24 10:00"))
        decision_due = date(2027, 2, 24) + timedelta(days=30)
        assert decision_due == date(2027, 3, 26)
        asked = await h.say("b_s1", "申请复核 第三季度加班未计入，应评为优秀")
        assert "编号 1" in asked and f"{label(decision_due)}前作出书面决定" in asked
        assert "不在其列" in await h.say("a_dep", "申请复核 我对等次有意见需要复核")
        assert "编号 2" in await h.say("a_s4", "申请复核 年度测评过程有误")
        assert "同一年度只能申请一次" in await h.say("a_s4", "申请复核 再申请一次看看")
        assert "仅限考核办" in await h.say("a_s4", "复核决定 2 变更 优秀 自己改")
        # The 考核办 is reminded from the working day before it is due, once a day.
        sent = len(h.standin.sent)
        clock.set(at("2027-03-24 09:00"))
        await run_check(h, clock)
        assert not [t for t in texts_since(h, ADMIN, sent) if "复核申请" in t]
        clock.set(at("2027-03-25 09:00"))
        await run_check(h, clock)
        review_reminders = [t for t in texts_since(h, ADMIN, sent) if "的复核申请（编号" in t]
        assert len(review_reminders) == 2 and all(f"须在 {label(decision_due)}前作出决定" in t for t in review_reminders)

        # Decided in the cadre's favour: version 3 changes 冯一 alone; version 2 is kept.
        clock.set(at("2027-03-25 10:00"))
        sent = len(h.standin.sent)
        changed = await h.say(ADMIN, "复核决定 1 变更 优秀 经复核，第三季度加班应计入")
        assert "第 3 版" in changed and "冯一（b_s1） 优秀：否 → 是" in changed
        changes = changed.split("改动")[-1]
        assert all(name not in changes for name in ("郑局", "钱镇", "赵城", "王副", "陈二"))
        assert "维持原等次" in await h.say(ADMIN, "复核决定 2 维持 经复核，原结果计算无误")
        appeal_due = date(2027, 3, 25) + timedelta(days=15)
        while await h.drain():
            pass
        (decision,) = [t for t in texts_since(h, "b_s1", sent) if "复核决定书" in t]
        assert "变更为「优秀」" in decision and f"{label(appeal_due)}前向上级机关提出申诉" in decision
        assert any("复核决定变更，第 3 版" in t and "等次：优秀。" in t for t in texts_since(h, "b_s1", sent))
        assert not [t for t in texts_since(h, "a_lead", sent)]  # nothing changed for anyone else
        assert (await rows(h, 2))["b_s1"].excellent is False
        assert {u for u, r in (await rows(h, 3)).items() if r.excellent} == {"a_dep", "b_lead", "b_s1"}

        # 申诉 within 15 days of the decision; the outside decision entered by the admin.
        clock.set(at("2027-04-01 10:00"))
        assert "已记录您的申诉（复核编号 2）" in await h.say("a_s4", "申诉 对复核决定不服，测评过程有误")
        clock.set(at("2027-04-12 10:00"))
        assert appeal_due < date(2027, 4, 12)
        assert "申诉期限已过" in await h.say("b_s1", "申诉 仍有意见需要申诉")
        assert "申请复核的期限已过" in await h.say("b_s2", "申请复核 对结果有意见需要复核")
        assert notified + timedelta(days=30) < date(2027, 4, 12)
        assert "已记录申诉 2" in await h.say(ADMIN, "申诉结果 2 市委组织部决定维持原复核决定")
        listing = await h.say(ADMIN, "复核列表")
        assert "1. 2026年度 冯一（区发改局）（称职）" in listing and "【变更等次】" in listing
        assert "已申诉，结果：市委组织部决定维持原复核决定" in listing

        # The archive keeps the answer and the opinion with their times.
        from bot.testing.standin import media_for
        from tests.e2e.test_archive import pdf_text

        assert "已生成" in await h.say(ADMIN, "导出档案 2026 冯一")
        while await h.drain():
            pass
        (dossier,) = [m for m in media_for(h.standin, ADMIN) if m.type == "file"]
        text = pdf_text(dossier.data)
        assert "本人意见：有异议。第三季度加班未计入，得分偏低（2027-02-16 10:30）" in text
        assert "复核决定：变更等次，变更为「优秀」（2027-03-25 10:00）" in text
        # The 年度考核登记表 page: the 平时考核 grades, the 等次, and each 公示's outcome for the
        # person (never who objected or what they wrote).
        assert "六、年度考核登记表" in text and "年度考核等次：优秀" in text and "平时考核：第一季度" in text
        for name, outcome in (("赵城", "异议经核实成立，不评为优秀"), ("郑局", "异议经核实不成立")):
            assert "已生成" in await h.say(ADMIN, f"导出档案 2026 {name}")
            while await h.drain():
                pass
            registered = pdf_text([m for m in media_for(h.standin, ADMIN) if m.type == "file"][-1].data)
            assert "拟评优秀，" in registered and outcome in registered, registered
            assert "年内受到通报批评" not in registered and "多次无故缺记" not in registered
        assert "目前没有正在公示" in await h.say("a_s2", "异议 钱镇 公示期后的异议")
        async with h.runtime.sessions() as session:
            final = await session.get(YearFinal, 2026)
            assert final is not None and final.version == 2
            audit = [e.action for e in (await session.execute(select(AuditEvent))).scalars()
                     if e.action.startswith(("year.publicity", "year.objection", "year.final", "year.republish",
                                             "year.notice", "year.review", "year.appeal"))]
        assert audit == [
            "year.publicity.start", "year.objection.raise", "year.objection.raise",
            "year.objection.dismissed", "year.objection.upheld", "year.republish", "year.publicity.rerun",
            "year.objection.raise", "year.objection.dismissed", "year.final", "year.notice.send",
            "year.notice.confirmed", "year.notice.objected", "year.notice.opinion", "year.notice.confirmed",
            "year.review.request", "year.review.request", "year.review.changed", "year.republish",
            "year.review.upheld", "year.appeal.request", "year.appeal.result",
        ]


async def test_a_list_changed_by_a_republish_is_publicised_again_before_it_is_final(db_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """区发改局's result re-imported at 60 during the 公示 and the year re-published: 冯一
    (.8 × 83 + .2 × 60 = 78.40) now passes 郑局 (.7 × 86 + .3 × 60 = 78.20). The next daily
    check publicises 区发改局's new list for five more working days; only then is it final."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    sections = {"logs": {"start_date": "2027-01-01"}, "clock": {"start": "2027-01-05T09:30:00+08:00"}}
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **sections) as h:
        await seed_quarters_and_summaries(h, SCORE, gone_in_q4="")
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await evaluate_everyone(h, UNITS.values(), SCORE)
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,90\n区发改局,80\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        assert "第 1 版" in await h.say(ADMIN, "发布年度结果 2026 强制发布")
        clock.set(at("2027-03-01 09:00"))
        assert "公示期 3月1日（周一）至3月5日（周五）" in await h.say(ADMIN, "公示 2026")
        while await h.drain():
            pass

        clock.set(at("2027-03-03 10:00"))
        assert "已导入" in await h.say(ADMIN, "单位结果 2026 城关镇 90 区发改局 60")
        republished = await h.say(ADMIN, "发布年度结果 2026 重新发布")
        assert "第 2 版" in republished and "冯一（b_s1） 优秀：否 → 是" in republished
        sent = len(h.standin.sent)
        clock.set(at("2027-03-04 09:00"))
        await run_check(h, clock)
        for userid in UNITS["区发改局"]:
            (again,) = [t for t in texts_since(h, userid, sent) if "优秀等次人选公示" in t]
            assert "区发改局拟评优秀：冯一。" in again and "3月4日（周四）至3月10日（周三）" in again
        assert fifth_working_day(date(2027, 3, 4)) == date(2027, 3, 10)
        for userid in UNITS["城关镇"]:
            assert not [t for t in texts_since(h, userid, sent) if "优秀等次人选公示" in t]
        clock.set(at("2027-03-08 09:00"))  # 城关镇's ended on 3月5日; 区发改局's runs on
        await run_check(h, clock)
        async with h.runtime.sessions() as session:
            assert await session.get(YearFinal, 2026) is None
        clock.set(at("2027-03-11 09:00"))
        await run_check(h, clock)
        async with h.runtime.sessions() as session:
            final = await session.get(YearFinal, 2026)
        assert final is not None and final.version == 2

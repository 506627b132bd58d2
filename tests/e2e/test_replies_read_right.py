"""Replies that read right (issue 27, item 12), through the encrypted callback.

Each test is one thing a newcomer tripped over in the demo: a truncated percentage, a
histogram of four people, nested brackets, 评分人 where 测评人 are counted, a command named
otherwise than the bot accepts it, a request for what is already done, a replacement that
replaced nothing, 24 lines where one reason would do, a list's places read as unit places,
and a request number that does not exist.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from bot.cli import year as year_cli
from bot.clock import ManualClock
from bot.testing.standin import media_for
from scheduler.log_jobs import daily_reminders, last_day_reminders
from storage.models import Leave
from storage.models_year import AnnualPublication, AnnualResult
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_archive import pdf_text
from tests.e2e.test_rating_round import cards_by_rater, plan_scores
from tests.e2e.test_results import images_for, publish_q4
from tests.harness import ADMIN, running_bot

SETTINGS = {"logs": {"start_date": "2027-01-01"}}
NESTED = re.compile(r"（[^（）]*（")  # a bracket opened inside another


async def drain_all(h) -> None:  # type: ignore[no-untyped-def]
    while await h.drain():
        pass


def shiji_year(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    year_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["year", *argv])


async def test_progress_shares_are_rounded_not_cut(db_url: str) -> None:
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_by_rater(h)
        for rater in ("chengguan_wuhao", "chengguan_zhengli"):
            own = {ratee: task for ratee, task in cards[rater].items() if ratee != "submit"}
            for ratee, score in plan_scores(rater, list(own)).items():
                clock.advance(seconds=1)
                await h.card(rater, own[ratee], "ok", selected={"score": [str(score)]})
            assert "已提交" in await h.say(rater, "评分 提交")
        progress = await h.say(ADMIN, "评分进度")
        assert "城关镇：12 位评分人中 2 位已提交（17%）" in progress, progress  # 2/12 = 16.7%


async def test_a_rank_level_too_small_to_draw_is_a_list(db_url: str, clock: ManualClock) -> None:
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **{"logs": {"start_date": "2026-12-21"}}) as h:
        await publish_q4(h)
        level = await h.say(ADMIN, "排名 正科级")  # 4 people
        await drain_all(h)
        assert images_for(h, ADMIN) == [] and "分布图" not in level
        assert all(name in level for name in ("赵建华", "刘敏", "沈宇", "吕潇"))
        assert "四分位" in await h.say(ADMIN, "排名 一般干部")  # 13 people: drawn
        await drain_all(h)
        assert len(images_for(h, ADMIN)) == 1


async def test_a_one_day_leave_reads_as_one_day_in_the_archive(db_url: str, clock: ManualClock) -> None:
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **{"logs": {"start_date": "2026-12-21"}}) as h:
        async with h.runtime.sessions() as session, session.begin():
            session.add(Leave(userid="chengguan_wuhao", start=date(2026, 12, 8), end=date(2026, 12, 8), kind="请假",
                              reason="病假", status="approved", decided_by="chengguan_zhaojh",
                              decided_at=at("2026-12-07 10:00"), created_at=at("2026-12-07 09:00")))
        await publish_q4(h)
        assert "已生成" in await h.say(ADMIN, "导出档案 2026 吴昊")
        await drain_all(h)
        (pdf,) = media_for(h.standin, ADMIN)
        text = pdf_text(pdf.data)
        assert "请假：12月8日（病假）" in text and "12月8日至" not in text, text[text.find("四、"):text.find("五、")]


async def test_no_bracket_opens_inside_another(db_url: str) -> None:
    clock = ManualClock(at("2027-01-05 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        for userid, text in (("chengguan_wuhao", "我的"), (ADMIN, "缺记统计"), ("chengguan_wuhao", "缺记")):
            reply = await h.say(userid, text)
            assert not NESTED.search(reply), (text, reply)
        # The daily reminder a cadre gets, and the last day to backfill (1月4日's log).
        clock.set(at("2027-01-11 16:00"))
        await daily_reminders(h.runtime.jobs, clock.now())
        await last_day_reminders(h.runtime.jobs, clock.now())
        await drain_all(h)
        texts = h.standin.texts_for("chengguan_wuhao")
        assert any("还没有记载" in t for t in texts) and any("最后补记日" in t for t in texts), texts
        assert not [t for t in texts if NESTED.search(t)], texts


async def test_an_early_year_publish_says_why_in_one_line(db_url: str) -> None:
    clock = ManualClock(at("2026-11-24 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        early = await h.say(ADMIN, "发布年度结果 2026")
        assert "12月31日" in early and "\n" not in early and "未发布" in early, early


async def test_the_evaluation_names_its_progress_command_and_counts_evaluators(db_url: str) -> None:
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        opened = await h.say(ADMIN, "开启测评 2026")
        progress = await h.say(ADMIN, "测评进度")
        assert "位测评人中" in progress and "评分人" not in progress, progress
        assert "「测评进度」" in opened, opened  # as the bot takes it, not 「测评 进度」


async def test_the_first_import_replaced_nothing(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,92\n区发展和改革局,85.5\n团区委,78.25\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        first = capsys.readouterr().out
        assert "已导入 2026 年单位年度综合考核结果 3 个单位" in first and "替换" not in first, first
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        assert "替换此前导入的该年结果" in capsys.readouterr().out


async def test_closing_the_evaluation_asks_for_no_unit_result_already_imported(db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,92\n区发展和改革局,85.5\n团区委,78.25\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        closed = await h.say(ADMIN, "关闭测评 2026")
        assert "已关闭" in closed and "导入单位结果" not in closed and "发布年度结果 2026" in closed, closed


async def test_a_leaders_commendation_list_says_its_places_are_the_districts(db_url: str) -> None:
    clock = ManualClock(at("2027-02-01 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        async with h.runtime.sessions() as session, session.begin():
            session.add(AnnualPublication(year=2026, version=1, published_by=ADMIN, published_at=clock.now()))
            await session.flush()
            for place, (userid, name) in enumerate((("chengguan_wuhao", "吴昊"), ("chengguan_zhengli", "郑丽")), 5):
                session.add(AnnualResult(
                    year=2026, version=1, userid=userid, name=name, unit_id=h.runtime.directory.current.people[userid].unit.id,
                    unit_name="城关镇", role="staff", rank_level="general", democratic="90.00", democratic_raters=11,
                    summary_deduction="0", unit_result="92.00", quarter_mean="88.00", quarters="1,2,3,4",
                    weights="0.1/0.2/0.7", annual="89.00", unit_rank=place - 4, unit_size=12, level_rank=place,
                    level_size=13, excellent=False, excellent_tied=False, promotion_eligible=True,
                    promotion_reason="", commendation_eligible=True, last_place_years=0,
                ))
        listed = await h.say("chengguan_zhaojh", "评先名单 一般干部")
        assert "吴昊" in listed and "全区" in listed.splitlines()[0] and "名次为全区" in listed, listed


async def test_deciding_a_request_that_does_not_exist_says_so(db_url: str, clock: ManualClock) -> None:
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "没有编号为 999 的请假/出差申请" in await h.say(ADMIN, "批准请假 999")
        reply = await h.say("chengguan_zhaojh", "驳回请假 999")
        assert "没有您可以审批的编号 999 的申请" in reply, reply


async def test_a_list_asked_without_its_rank_level_names_the_command_typed(db_url: str, clock: ManualClock) -> None:
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert await h.say("chengguan_zhaojh", "评先名单") == (
            "请写上职级：正科级、副科级或一般干部，例如「评先名单 正科级」。"
        )
        assert await h.say("chengguan_zhaojh", "提拔名单 科员") == (
            "收到「科员」，请写上职级：正科级、副科级或一般干部，例如「提拔名单 正科级」。"
        )

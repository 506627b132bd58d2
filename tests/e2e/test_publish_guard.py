"""Publishing too early (issue 28 §4, §5): a quarter or the year is not published while its
summary window is open unless the admin forces it knowing what it deducts; a summary is not
taken once its result is published; a round nobody rated and an excuse that drops a published
quarter score both need saying so — through the encrypted callback and the CLI."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.cli import year as year_cli
from bot.clock import ManualClock
from storage.models import Outbox, Summary
from storage.models_rating import QuarterResult
from storage.models_year import AnnualResult, QuarterExcuse
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_year_end import shiji_year
from tests.e2e.test_year_roster import ROSTER, SCORE, evaluate_everyone, seed_quarters_and_summaries
from tests.harness import ADMIN, Harness, running_bot

WU = "chengguan_wuhao"  # 吴昊, staff of 城关镇
QUARTER_SUMMARY = "季度小结 " + "本季度完成城关社区低保复核与民政台账整理，" * 6
UNITS = [["a_lead", "a_dep", "a_s1", "a_s2", "a_s3", "a_s4"], ["b_lead", "b_dep", "b_s1", "b_s2", "b_s3"]]


async def count(h: Harness, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_a_quarter_waits_for_its_summary_window_and_then_takes_no_late_summary(db_url):
    """2026Q4 published on 01-04 deducted 未交季度小结 while the window ran to 01-15; a summary
    sent afterwards was stored but the published score could not change."""
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, calendars=(SAMPLE_2027,),
                           logs={"start_date": "2026-10-01"}) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        closed = await h.say(ADMIN, "关闭评分 2026Q4")
        # The close answer names when publishing will be taken, not a command the guard refuses.
        assert "已关闭" in closed and "1月15日（周五）截止，截止后发送「发布结果 2026Q4」" in closed, closed

        refused = await h.say(ADMIN, "发布结果 2026Q4")
        assert "未发布" in refused and "1月15日" in refused and "发布结果 2026Q4 强制发布" in refused, refused
        assert "人按未交季度小结扣分" in refused
        assert await count(h, QuarterResult) == 0
        assert await count(h, Outbox, Outbox.dedupe_key.like("rate-result:%")) == 0
        assert "已保存" in await h.say(WU, QUARTER_SUMMARY)  # still in time

        forced = await h.say(ADMIN, "发布结果 2026Q4 强制发布")
        assert "已发布" in forced and "已强制发布" in forced and "人按未交季度小结扣分" in forced, forced
        published = await count(h, QuarterResult)
        assert published > 0

        # The result has counted the summaries: a later one (or a rewrite) is refused, not stored.
        late = await h.say("chengguan_liumin", QUARTER_SUMMARY)
        assert "2026Q4 结果已发布，季度小结不再接收" in late and "未保存" in late, late
        assert "不再接收" in await h.say(WU, QUARTER_SUMMARY)
        assert await count(h, Summary, Summary.kind == "quarter") == 1
        assert await count(h, QuarterResult) == published


async def test_a_round_nobody_rated_is_not_published_without_saying_so(db_url):
    """Publishing a round with 0 ballots pushed 25 「无人评分」 messages without a word."""
    clock = ManualClock(at("2027-01-18 10:00"))  # 2026Q4's summary window closed on 01-15
    async with running_bot(db_url, clock, SAMPLE_ROSTER, calendars=(SAMPLE_2027,),
                           logs={"start_date": "2026-10-01"}) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        closed = await h.say(ADMIN, "关闭评分 2026Q4")
        assert closed.endswith("发送「发布结果 2026Q4」计算并发布。"), closed  # the window has closed
        refused = await h.say(ADMIN, "发布结果 2026Q4")
        assert "没有任何人提交" in refused and "未发布" in refused and "强制发布" in refused, refused
        assert await count(h, QuarterResult) == 0
        assert await count(h, Outbox, Outbox.dedupe_key.like("rate-result:%")) == 0

        forced = await h.say(ADMIN, "发布结果 2026Q4 强制发布")
        assert "已发布" in forced and "已强制发布" not in forced, forced  # the window had closed
        assert await count(h, Outbox, Outbox.dedupe_key.like("rate-result:%")) > 0


async def test_the_year_waits_for_the_annual_summary_window_and_excuses_name_the_score_they_drop(
    db_url, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    # A district of its own (no 城关镇): the answers' examples must name its units, not the sample's.
    roster.write_text(ROSTER.replace("城关镇", "青山镇"), encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,),
                           logs={"start_date": "2026-12-31"}, clock={"start": "2027-01-05T09:30:00+08:00"}) as h:
        await seed_quarters_and_summaries(h, SCORE, gone_in_q4="")
        async with h.runtime.sessions() as session, session.begin():
            await session.execute(Summary.__table__.delete().where(Summary.userid == "a_s2"))  # type: ignore[attr-defined]
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        closed = await evaluate_everyone(h, UNITS, SCORE)
        # Its next steps: the unit results (none imported yet), then publishing after 01-15.
        assert "下一步：导入尚缺的 2 个单位的年度考核结果（shiji year import-unit-results 2026 文件）" in closed, closed
        assert "2026年度总结1月15日（周五）截止，截止后发送「发布年度结果 2026」" in closed, closed
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n青山镇,90\n区发改局,80\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0

        # An excuse for a quarter the cadre has a published score in names the score it drops.
        capsys.readouterr()
        assert await year_cli.run(h.settings, shiji_year("excuse", "2026", "a_s1", "q2", "长期病假")) == 2
        err = capsys.readouterr().err
        assert "第二季度已有得分" in err and f"{SCORE['a_s1']}.00" in err and "--confirm" in err, err
        assert await year_cli.run(h.settings, shiji_year("excuse", "2026", "*", "q3", "未开展")) == 2
        assert "已有" in capsys.readouterr().err
        assert await count(h, QuarterExcuse) == 0

        refused = await h.say(ADMIN, "发布年度结果 2026")
        assert "未发布" in refused and "1月15日" in refused and "发布年度结果 2026 强制发布" in refused, refused
        assert "1 人按未交年度总结扣分" in refused
        assert await count(h, AnnualResult) == 0

        forced = await h.say(ADMIN, "发布年度结果 2026 强制发布")
        assert "第 1 版" in forced and "1 人按未交年度总结扣分" in forced, forced
        overview = await h.say(ADMIN, "排名 2026")
        assert "全区排名概况" in overview and "「排名 区发改局」看某单位" in overview, overview
        late = await h.say("a_s2", "年度总结 " + "年度工作" * 60)
        assert "2026 年度结果已发布，年度总结不再接收" in late, late
        assert await count(h, Summary, Summary.userid == "a_s2") == 0

        # A re-publish inside the window needs no force: no annual summary can arrive any more.
        assert "完全相同" in await h.say(ADMIN, "发布年度结果 2026 重新发布")
        # Confirmed, the excuse is taken.
        assert await year_cli.run(
            h.settings, shiji_year("excuse", "2026", "a_s1", "q2", "长期病假", "--confirm")
        ) == 0
        assert await count(h, QuarterExcuse) == 1

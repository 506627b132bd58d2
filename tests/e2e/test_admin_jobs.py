"""Long admin work from chat (issue 25 item 3): on a roster bigger than settings
jobs.inline_max_cadres, 开启评分 and 发布年度结果 answer at once 「已开始」, run once as a job on
whichever replica claims it, and send their result as a message; 「进度」 shows them. A WeCom
retry queues nothing more; a replica that dies mid-job leaves it to another, which does it
once — through the encrypted callback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.cli import year as year_cli
from bot.cli.jobs import list_jobs
from bot.cli.rounds import rating_round
from bot.clock import ManualClock
from bot.job_runner import LEASE
from bot.runtime import Runtime
from bot.testing.standin import media_for
from handlers.jobs import KINDS
from handlers.services.jobs import job_line
from handlers.services.rating import open_round
from scoring.workdays import QuarterId
from storage.models import Outbox
from storage.models_ops import AdminJob
from storage.models_rating import RatingAssignment, RatingRound
from storage.models_year import AnnualPublication, AnnualResult
from storage.repos import Store
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_archive import workbook_rows
from tests.e2e.test_quarter_republish import count
from tests.e2e.test_quarter_republish import drain as drain_all
from tests.e2e.test_year_end import shiji_year
from tests.e2e.test_year_roster import ROSTER, SCORE, evaluate_everyone, seed_quarters_and_summaries
from tests.harness import ADMIN, Harness, driven, driven_sleep, running_bot

# A district of 1,340 is answered at once; these tests make the sample district "a province".
AS_PROVINCE = {"jobs": {"inline_max_cadres": 5}}
ROUND = {"logs": {"start_date": "2026-12-21"}, **AS_PROVINCE}
STARTED = "已开始，完成后通知您；进度发送「进度」查看"


def rating_cards(h: Harness) -> list[tuple[tuple[str, ...], str]]:
    return [(d.recipients, d.payload["template_card"]["task_id"]) for d in h.standin.sent
            if d.path == "message/send" and "template_card" in d.payload
            and d.payload["template_card"]["task_id"].startswith("rate-")]


def another_replica(h: Harness) -> Runtime:
    other = Runtime.build(h.settings, h.clock, monotonic=driven(h.clock), sleep=driven_sleep(h.clock),
                          transport_time=driven(h.clock))
    other.background = False
    return other


async def test_a_province_round_opens_as_a_job_and_its_result_arrives_as_a_message(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        # What is wrong is still said at once, and queues nothing.
        assert "季度结束后才能开启" in await h.say(ADMIN, "开启评分 2027Q1")
        signed = h.text(ADMIN, "开启评分 2026Q4")
        status, body = await h.post(signed)
        assert status == 200 and STARTED in h.reply_content(body), h.reply_content(body)
        assert "开启2026年第4季度评分" in h.reply_content(body)
        # WeCom retries the same message (it did not see the answer in time): the same answer, no second job.
        status, again = await h.post(signed)
        assert h.reply_content(again) == h.reply_content(body)
        assert "已在进行中" in await h.say(ADMIN, "开启评分 2026Q4")  # asked again, in a new message
        assert await count(h, AdminJob) == 1
        assert "排队中" in await h.say(ADMIN, "进度")
        assert await count(h, RatingRound) == 0  # nothing done inside the message

        await drain_all(h)
        told = [t for t in h.standin.texts_for(ADMIN) if "已开启" in t]
        assert len(told) == 1 and "评分卡已排队发送" in told[0], told
        cards = rating_cards(h)
        assert cards and len(cards) == len(set(cards)) == await count(h, RatingAssignment)
        progress = await h.say(ADMIN, "进度")
        assert "开启2026年第4季度评分" in progress and "已完成" in progress and "评分卡已排队发送" in progress, progress
        assert "不能重复开启" in await h.say(ADMIN, "开启评分 2026Q4")


async def test_two_replicas_run_a_job_once(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")
        other = another_replica(h)
        await other.start()
        try:
            ran = await asyncio.gather(h.runtime.job_runner.run_until_idle(), other.job_runner.run_until_idle())
            assert sorted(ran) == [0, 1]  # one of them did it
            await drain_all(h)
        finally:
            await other.close()
        assert await count(h, RatingRound) == 1
        cards = rating_cards(h)
        assert len(cards) == len(set(cards)) == await count(h, RatingAssignment)
        assert len([t for t in h.standin.texts_for(ADMIN) if "已开启" in t]) == 1
        async with h.runtime.sessions() as session:
            job = (await session.execute(select(AdminJob))).scalar_one()
        assert (job.state, job.attempts) == ("done", 1)


async def test_a_job_whose_replica_died_is_done_once_by_another(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")
        other = another_replica(h)
        await other.start()
        try:
            claimed = await other.job_runner.claim()  # ... and the replica dies before finishing
            assert claimed is not None
            assert "正在进行" in await h.say(ADMIN, "进度")
            assert await h.runtime.job_runner.run_until_idle() == 0  # its lease still holds
            clock.advance(seconds=LEASE.total_seconds() + 1)
            assert await h.runtime.job_runner.run_until_idle() == 1  # taken over once the lease lapsed
            # The stalled replica wakes up and carries on with its claim: it does nothing.
            job, token = claimed
            async with h.runtime.sessions() as session, session.begin():
                assert not await Store(session).jobs.renew(job.id, token, clock.now() + LEASE)
            await other.job_runner.run_claimed(*claimed)
            await drain_all(h)
        finally:
            await other.close()
        assert await count(h, RatingRound) == 1
        cards = rating_cards(h)
        assert cards and len(cards) == len(set(cards)) == await count(h, RatingAssignment)
        assert Counter(key.split(":")[0] for (key,) in await _outbox_keys(h))["rate-card"] == len(cards)
        assert len([t for t in h.standin.texts_for(ADMIN) if "已开启" in t]) == 1
        async with h.runtime.sessions() as session:
            job = (await session.execute(select(AdminJob))).scalar_one()
        assert (job.state, job.attempts) == ("done", 2)


async def _outbox_keys(h: Harness) -> list[tuple[str]]:
    async with h.runtime.sessions() as session:
        return [(k,) for k in (await session.execute(select(Outbox.dedupe_key))).scalars()]


async def test_a_province_year_is_published_once_as_a_job(db_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), logs={"start_date": "2026-12-31"},
                           clock={"start": "2027-01-05T09:30:00+08:00"}, **AS_PROVINCE) as h:
        await seed_quarters_and_summaries(h, SCORE, gone_in_q4="")
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await evaluate_everyone(h, [["a_lead", "a_dep", "a_s1", "a_s2", "a_s3", "a_s4"],
                                    ["b_lead", "b_dep", "b_s1", "b_s2", "b_s3"]], SCORE)
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,90\n区发改局,80\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0

        assert "年度结束后才能发布" in await h.say(ADMIN, "发布年度结果 2027")  # refused at once
        started = await h.say(ADMIN, "发布年度结果 2026 强制发布")
        assert STARTED in started and "发布年度结果 2026" in started, started
        other = another_replica(h)
        await other.start()
        try:
            claimed = await other.job_runner.claim()  # that replica dies
            assert claimed is not None
            clock.advance(seconds=LEASE.total_seconds() + 1)
            assert await h.runtime.job_runner.run_until_idle() == 1
            await other.job_runner.run_claimed(*claimed)  # wakes up late: publishes nothing
            await drain_all(h)
        finally:
            await other.close()
        assert await count(h, AnnualPublication) == 1
        assert await count(h, AnnualResult) == 11
        told = [t for t in h.standin.texts_for(ADMIN) if "已发布2026年度考核结果" in t]
        assert len(told) == 1 and "第 1 版" in told[0], told
        assert len([t for t in h.standin.texts_for("a_s1") if "2026年度考核结果" in t]) == 1
        progress = await h.say(ADMIN, "进度")
        assert "发布年度结果 2026：" in progress and "已完成" in progress, progress

        # A job that meets a refusal when it runs says what failed and what to do.
        assert STARTED in await h.say(ADMIN, "发布年度结果 2026 重新发布")
        await drain_all(h)
        failed = h.standin.texts_for(ADMIN)[-1]
        assert "未完成" in failed and "完全相同" in failed, failed
        assert "未完成" in await h.say(ADMIN, "进度")


LOG = "上午召开专题会议研究年度重点工作推进，下午深入一线调研并形成情况报告"


async def test_a_province_missing_log_statistics_come_as_a_workbook(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-11-16"}, **AS_PROVINCE) as h:
        await h.say("chengguan_zhengli", f"补记 11-16 {LOG}")
        assert "看不懂" in await h.say(ADMIN, "缺记统计 明年")  # refused at once
        started = await h.say(ADMIN, "缺记统计")
        assert STARTED in started and "缺记统计 2026Q4" in started, started
        await drain_all(h)
        summary = [t for t in h.standin.texts_for(ADMIN) if t.startswith("📊 缺记统计")]
        assert len(summary) == 1 and "工作簿「缺记统计-2026Q4.xlsx」" in summary[0], summary
        assert "本季度缺记 " in summary[0] and "【各单位】" not in summary[0]  # a summary, not the whole text
        (workbook,) = media_for(h.standin, ADMIN)
        assert workbook.type == "file" and workbook.filename == "缺记统计-2026Q4.xlsx"
        sheets = workbook_rows(workbook.data)
        units = {row[0]: row[1:] for row in sheets["各单位"][2:]}
        # 城关镇: 12 people × 4 days − 郑丽's 1 = 47, this week and this quarter alike.
        assert units["城关镇"] == (12, 47, 47)
        assert units["团区委"] == (3, 12, 12)
        people = sheets["缺记人员"][2:]
        assert ("郑丽", "城关镇", 3) in [row[1:] for row in people]
        assert sum(row[3] for row in people) == sum(u[2] for u in units.values())
        assert "已完成" in await h.say(ADMIN, "进度")


def many_units(tmp_path: Path, count: int) -> Path:
    """A roster of `count` one-person units: a district whose 缺记统计 runs to many lines."""
    lines = ["userid,name,unit,unit_category,role,rank,position,oversees"]
    lines += [f"u{i:03d},赵{'一二三四五六七八九十'[i % 10]}{'甲乙丙丁戊己庚辛壬癸'[i // 10 % 10]},第{i:03d}社区管理服务中心,township,main_leader,zhengke,主任,"
              for i in range(count)]
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_a_district_missing_log_statistics_longer_than_a_few_messages_come_as_a_workbook(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, many_units(tmp_path, 120), logs={"start_date": "2026-11-16"},
                           jobs={"inline_max_messages": 1}) as h:
        answer = await h.say(ADMIN, "缺记统计")  # answered at once, the roster being small
        assert "工作簿「缺记统计-2026Q4.xlsx」" in answer and STARTED not in answer, answer
        await drain_all(h)
        (workbook,) = media_for(h.standin, ADMIN)
        units = {row[0]: row[1:] for row in workbook_rows(workbook.data)["各单位"][2:]}
        assert len(units) == 120 and units["第007社区管理服务中心"] == (1, 4, 4)


async def test_the_command_line_shows_the_jobs_and_a_progress_bar(db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), clock={"start": "2027-01-04T09:30:00+08:00"},
                           **ROUND) as h:
        assert STARTED in await h.say(ADMIN, "缺记统计 2026Q4")
        capsys.readouterr()
        assert await list_jobs(h.settings, 3) == 0
        assert "缺记统计 2026Q4：排队中" in capsys.readouterr().out
        await drain_all(h)
        assert await list_jobs(h.settings, 3) == 0
        assert "缺记统计 2026Q4：01-04 09:30 已完成。📊 缺记统计" in capsys.readouterr().out

        # The same work as the job, in the terminal: a bar on stderr, the answer on stdout.
        assert await rating_round(h.settings, "open", "2026Q4") == 0
        out, err = capsys.readouterr()
        assert "已开启2026年第4季度评分" in out and "开启2026年第4季度评分：正在生成评分卡" in err, err


async def test_progress_shows_while_the_job_runs(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2026-11-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-11-16"}, **AS_PROVINCE) as h:
        assert STARTED in await h.say(ADMIN, "缺记统计")
        seen: list[str] = []

        async def look(done: int, total: int, stage: str) -> None:
            """What 「进度」 says while the job is at work."""
            if db_url.startswith("postgresql"):  # the job runs beside the replica's chat, which goes on
                seen.append(await h.say(ADMIN, "进度"))
            else:  # SQLite has one writer, the job: what 「进度」 would read, from another connection
                async with h.runtime.sessions() as session:
                    (job,) = (await session.execute(select(AdminJob))).scalars()
                    seen.append(job_line(job, None))

        assert await h.runtime.job_runner.run_once(progress=look)
        if db_url.startswith("postgresql"):  # recorded beside the job's own transaction
            assert "缺记统计 2026Q4：正在统计 24 人的缺记，已完成 0/4（0%）" in seen[-1], seen
        else:  # SQLite: it is running
            assert seen[-1] == "· 缺记统计 2026Q4：正在进行", seen


async def test_a_job_that_breaks_changes_nothing_and_says_what_to_do(db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")

        runs = []

        async def broken(ctx, args, progress):  # type: ignore[no-untyped-def]
            runs.append(1)
            await open_round(ctx, QuarterId(2026, 4), progress)
            raise RuntimeError("disk full")  # after the round and its cards were made

        monkeypatch.setitem(KINDS, "round.open", broken)
        await drain_all(h)
        told = h.standin.texts_for(ADMIN)[-1]
        assert told.startswith("❌ 开启2026年第4季度评分 未完成：系统出错，没有做任何更改") and "重新发送" in told, told
        assert "disk full" not in told
        assert len(runs) == 1  # done once: a province's work is not run a second time to fail again
        assert await count(h, RatingRound) == 0 and rating_cards(h) == []  # rolled back whole
        assert "开启2026年第4季度评分：01-04 09:30 未完成。系统出错，没有做任何更改" in await h.say(ADMIN, "进度")
        monkeypatch.undo()
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")  # asked again, it is done
        await drain_all(h)
        assert await count(h, RatingRound) == 1 and rating_cards(h)


async def test_a_database_fault_that_looks_passing_but_stays_ends_the_job_and_tells_its_asker(db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A transient-looking error (SQLite's OperationalError: a full disk, a read-only file)
    that comes back every time was queued again for ever, uncounted: 「排队中」 without end."""
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        runs = []

        async def full_disk(ctx, args, progress):  # type: ignore[no-untyped-def]
            runs.append(1)
            raise OperationalError("INSERT …", {}, Exception("database or disk is full"))

        monkeypatch.setitem(KINDS, "round.open", full_disk)
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")
        for _ in range(8):
            await h.runtime.job_runner.run_once()
        assert len(runs) == 3
        await drain_all(h)
        told = h.standin.texts_for(ADMIN)
        assert told and "未完成" in told[-1] and "已尝试 3 次" in told[-1], told
        assert "未完成" in await h.say(ADMIN, "进度")


async def test_progress_lists_a_running_job_before_many_finished_ones(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")  # the oldest, still queued
        async with h.runtime.sessions() as session, session.begin():
            for n in range(25):  # 25 workbooks finished since
                session.add(AdminJob(kind="archive.workbook", args="{}", title=f"导出档案 {n}", requested_by=ADMIN,
                                     state="done", result="ok", created_at=clock.now(), finished_at=clock.now()))
        assert "排队中" in await h.say(ADMIN, "进度")


async def test_a_job_asked_by_someone_no_longer_admin_is_not_run(db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **ROUND) as h:
        assert STARTED in await h.say(ADMIN, "开启评分 2026Q4")
    # Restarted with ADMIN taken off the admin list before any replica ran the job.
    async with running_bot(db_url, clock, None, **ROUND, admin={"userids": ["kaohe_other"]}) as h:
        await drain_all(h)
        assert await count(h, RatingRound) == 0 and rating_cards(h) == []
        assert "已不是考核办管理员" in h.standin.texts_for(ADMIN)[-1]

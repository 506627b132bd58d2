"""What each kind of admin job does (handlers/services/jobs.py), and 「进度」: the admin's view
of the jobs queued, running and lately finished."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from handlers.archive.commands import workbook_job
from handlers.audience import Audience
from handlers.base import Ctx, Reply
from handlers.dates import parse_quarter
from handlers.router import Router
from handlers.services.jobs import JobOutcome, Progress, job_line
from handlers.services.rating import open_round
from handlers.services.year_publish import publish_year
from handlers.stats import missing_report

router = Router()

JobWork = Callable[[Ctx, dict[str, Any], Progress], Awaitable[JobOutcome]]
RECENT = timedelta(days=3)  # 「进度」 lists jobs finished this recently


async def _open_round(ctx: Ctx, args: dict[str, Any], progress: Progress) -> JobOutcome:
    quarter = parse_quarter(str(args["quarter"]))
    assert quarter is not None  # checked when the job was queued
    return JobOutcome(await open_round(ctx, quarter, progress))


async def _publish_year(ctx: Ctx, args: dict[str, Any], progress: Progress) -> JobOutcome:
    return JobOutcome(await publish_year(
        ctx, int(args["year"]), ctx.userid, republish=bool(args.get("republish")), force=bool(args.get("force")),
        progress=progress,
    ))


async def _missing_stats(ctx: Ctx, args: dict[str, Any], progress: Progress) -> JobOutcome:
    quarter = parse_quarter(str(args["quarter"]))
    assert quarter is not None  # checked when the job was queued
    report = await missing_report(ctx, quarter, progress)
    if report.calendar_note:
        return JobOutcome(report.text())
    await progress(3, 4, "正在生成工作簿")
    name, data = await report.workbook()
    return JobOutcome(report.summary(name), ((name, data),))


KINDS: dict[str, JobWork] = {
    "round.open": _open_round,
    "year.publish": _publish_year,
    "stats.missing": _missing_stats,
    "archive.workbook": workbook_job,
}


async def run_kind(ctx: Ctx, kind: str, args: dict[str, Any], progress: Progress) -> JobOutcome:
    return await KINDS[kind](ctx, args, progress)


@router.command(
    "进度", usage="进度",
    summary="耗时较长的操作（全省开启评分、发布年度结果、导出全区档案等）的进度，以及近 3 天完成的结果",
    audience=Audience.admin, section="考核办", alone=True,
)
async def job_progress(args: str, ctx: Ctx) -> Reply:
    jobs = await ctx.store.jobs.recent(ctx.now - RECENT, limit=20)
    if not jobs:
        return Reply("目前没有进行中的操作，近 3 天也没有完成的。耗时较长的命令（如全省「发布年度结果」）发出后，在这里查看进度。")
    active = [j for j in jobs if j.finished_at is None]
    finished = [j for j in jobs if j.finished_at is not None]
    tz = ctx.now.tzinfo
    lines = ["⏳ 进行中的操作", *(job_line(j, tz) for j in reversed(active))] if active else ["目前没有进行中的操作。"]
    if finished:
        lines += ["【近 3 天完成】", *(job_line(j, tz) for j in finished)]
    return Reply("\n".join(lines))

"""Admin jobs (issue 25): work too long for WeCom's 5-second callback (a province's 开启评分 or
发布年度结果, the district's archive workbook) is queued by the chat message that asks for it
and answered at once; a runner on some replica (bot/job_runner.py) does it and sends the
result. What each kind of job does is in handlers/jobs.py.

Which requests become jobs is decided by the roster's size (settings [jobs]), never by how
long the work happens to take: the same request always gets the same kind of answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from handlers.base import Ctx, Refusal, Reply
from storage.models_ops import AdminJob

# Told how far a job has come: (done, total, what it is doing, in Chinese). Chat's inline
# path gives `no_progress`; the runner records it for 「进度」, the CLI draws a bar.
Progress = Callable[[int, int, str], Awaitable[None]]


async def no_progress(done: int, total: int, stage: str) -> None:
    """The progress of work answered inline: nobody is watching."""


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job sends the one who asked: a text, and files (name, bytes) after it."""

    text: str
    files: tuple[tuple[str, bytes], ...] = ()


def runs_as_job(ctx: Ctx) -> bool:
    """Whether roster-sized work is too big to answer inside the message."""
    return len(ctx.directory.cadres()) > ctx.settings.jobs.inline_max_cadres


def started_text(title: str) -> str:
    return f"⏳ {title}：已开始，完成后通知您；进度发送「进度」查看。"


async def start_job(ctx: Ctx, kind: str, args: Mapping[str, Any], title: str) -> Reply:
    """Queue a job in the message's own unit of work (a WeCom retry of the message gets the
    stored reply and queues nothing) and answer at once. The same job still waiting or
    running is not queued twice."""
    for job in await ctx.store.jobs.active():
        if job.kind == kind and json.loads(job.args) == dict(args):
            raise Refusal(f"{job.title} 已在进行中，完成后会通知您。发送「进度」查看。")
    await ctx.store.jobs.enqueue(kind, dict(args), title, ctx.userid, ctx.now)
    return Reply(started_text(title))


def failed_text(title: str, why: str) -> str:
    """A job that could not be done, as its requester reads it: what, why, what to do."""
    return f"❌ {title} 未完成：{why}"


# Why a job that raised did not finish: its transaction rolled back whole.
CRASHED = "系统出错，没有做任何更改（错误已记录）。请稍后重新发送该命令；如仍不成功，请联系系统管理员。"


_STATES = {"queued": "排队中", "running": "正在进行", "done": "已完成", "failed": "未完成"}


def job_line(job: AdminJob, tz: tzinfo | None) -> str:
    """「发布年度结果 2026：正在计算，已完成 3,200/100,000（3%）」, or how it ended."""
    if job.state == "queued":
        return f"· {job.title}：排队中，稍后开始"
    if job.state == "running":
        where = job.stage or "正在进行"
        if job.total > 0:
            where += f"，已完成 {job.done:,}/{job.total:,}（{job.done * 100 // job.total}%）"
        return f"· {job.title}：{where}"
    at = f"{job.finished_at.astimezone(tz):%m-%d %H:%M} " if job.finished_at is not None else ""
    ended = job.result.split("\n", 1)[0] if job.state == "done" else job.error.split("\n", 1)[0]
    return f"· {job.title}：{at}{_STATES.get(job.state, job.state)}。{ended}"

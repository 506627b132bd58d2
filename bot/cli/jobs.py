"""The command line's view of admin jobs (handlers/services/jobs.py): a progress bar for the
same long work a job does (`shiji round open`, `shiji year publish`), and `shiji jobs`, what
「进度」 shows in chat."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Never

from tqdm import tqdm

from bot.cli.db import open_database
from bot.clock import SHANGHAI, clock_from_start
from bot.settings import Settings
from handlers.services.jobs import Progress, job_line
from storage.repos import Store


@contextmanager
def progress_bar(desc: str) -> Iterator[Progress]:
    """A tqdm bar on stderr told what the work's `Progress` is told: stage, done of total.
    Drawn from the first report on, so work refused before it starts prints its one line only."""
    bars: list[tqdm[Never]] = []

    async def report(done: int, total: int, stage: str) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True))
        bar = bars[0]
        if bar.total != total:
            bar.reset(total=total)
        bar.set_description_str(f"{desc}：{stage}")
        bar.update(done - bar.n)

    try:
        yield report
    finally:
        for bar in bars:
            bar.close()


async def list_jobs(settings: Settings, days: int) -> int:
    """`shiji jobs [--days N]`: jobs queued and running, then those finished lately."""
    since = clock_from_start(settings.clock.start).now() - timedelta(days=days)
    async with open_database(settings) as sessions, sessions() as session:
        jobs = await Store(session).jobs.recent(since, limit=1000)
    if not jobs:
        print(f"没有进行中的操作，最近 {days} 天也没有完成的。")
    for job in jobs:
        print(f"#{job.id}\t{job.requested_by}\t{job_line(job, SHANGHAI).removeprefix('· ')}")
    return 0

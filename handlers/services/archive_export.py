"""The archive's outputs: the whole year to a folder (CLI), one file at a time (chat).

The folder export draws the PDFs in a pool of processes, one per core: drawing is pure CPU
(~25 ms a cadre on an idle core) while this process keeps reading the next dossiers, so a
district's 1,340 documents take about half the time they would in one process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from handlers.base import Ctx, Refusal
from handlers.render.pdf import dossier_pdf
from handlers.render.records import Dossier, YearRecord, file_name
from handlers.render.workbook import write_workbook
from handlers.services.archive_records import (
    dossier_of,
    dossiers,
    year_record,
)
from handlers.services.rating import result_text
from storage.directory import Person

Progress = Callable[[int], object]


def workbook_name(year: int) -> str:
    return f"{year}-实绩档案-全区.xlsx"


def _exported(ctx: Ctx) -> str:
    return f"{ctx.now:%Y-%m-%d %H:%M}"


def _texts(ctx: Ctx, dossier: Dossier) -> dict[int, str]:
    """Each quarter explained as 我的得分 explains it, in the register of a filed form; a
    withheld score keeps its places to itself, since the archive files every cadre together
    (scoring.disclosure)."""
    return {quarter: result_text(ctx, row, filed=True) for quarter, row in dossier.quarters.items()}


def _write_pdf(path: Path, dossier: Dossier, year: int, texts: dict[int, str], exported: str) -> None:
    """In a worker process: draw one dossier and write it."""
    path.write_bytes(dossier_pdf(dossier, year, texts, exported))


def check_year(ctx: Ctx, year: int) -> None:
    if not 2000 <= year <= ctx.today.year:
        raise Refusal(f"没有 {year} 年的档案：年份须在 2000 年到今年之间。")


async def record_of(ctx: Ctx, year: int) -> YearRecord:
    check_year(ctx, year)
    return await year_record(ctx, year)


@dataclass(frozen=True)
class Exported:
    workbook: Path
    documents: int


async def export_year(
    ctx: Ctx, record: YearRecord, out: Path, *, workbook_progress: Progress, pdf_progress: Progress
) -> Exported:
    """`shiji archive export`: the district workbook and every cadre's PDF into `out`."""
    year = record.year
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    path = out / workbook_name(year)
    await asyncio.to_thread(write_workbook, record, path, _exported(ctx), workbook_progress)
    workers = os.cpu_count() or 1
    count = 0
    # spawn, not fork: this process runs an event loop, threads and database connections.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        running: set[asyncio.Future[None]] = set()

        async def settle(when: str) -> None:
            nonlocal running, count
            done, running = await asyncio.wait(running, return_when=when)
            for job in done:
                job.result()  # a failed document fails the export, loudly
                pdf_progress(1)
                count += 1

        async for dossier in dossiers(ctx, record):
            texts = _texts(ctx, dossier)
            light = dataclasses.replace(dossier, quarters={})  # explained in `texts`; less to pickle
            running.add(asyncio.wrap_future(pool.submit(
                _write_pdf, out / file_name(year, dossier.person), light, year, texts, _exported(ctx),
            )))
            if len(running) >= 4 * workers:  # bounded: dossiers are read only as fast as drawn
                await settle(asyncio.FIRST_COMPLETED)
        if running:
            await settle(asyncio.ALL_COMPLETED)
    return Exported(path, count)


async def workbook_bytes(ctx: Ctx, record: YearRecord) -> bytes:
    buffer = io.BytesIO()
    # In a thread: a district's workbook takes a second or two, which the bot's loop must not wait.
    await asyncio.to_thread(write_workbook, record, buffer, _exported(ctx))
    return buffer.getvalue()


async def dossier_bytes(ctx: Ctx, year: int, person: Person) -> bytes:
    record = await record_of(ctx, year)
    dossier = await dossier_of(ctx, record, person)
    return dossier_pdf(dossier, year, _texts(ctx, dossier), _exported(ctx))

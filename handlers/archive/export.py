"""The archive's outputs: the whole year to a folder (CLI), one file at a time (chat)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from handlers.archive.pdf import dossier_pdf
from handlers.archive.records import (
    Dossier,
    YearRecord,
    dossier_of,
    dossiers,
    file_name,
    year_record,
)
from handlers.archive.workbook import write_workbook
from handlers.base import Refusal
from handlers.rating.service import RatingEnv, result_text
from storage.directory import Person

Progress = Callable[[int], None]


def workbook_name(year: int) -> str:
    return f"{year}-实绩档案-全区.xlsx"


def _exported(env: RatingEnv) -> str:
    return f"{env.now:%Y-%m-%d %H:%M}"


def render_dossier(env: RatingEnv, record: YearRecord, dossier: Dossier) -> bytes:
    """A cadre's PDF; each quarter is explained exactly as 我的得分 explains it."""
    texts = {quarter: result_text(env, row) for quarter, row in dossier.quarters.items()}
    return dossier_pdf(dossier, record.year, texts, _exported(env))


async def record_of(env: RatingEnv, year: int) -> YearRecord:
    if not 2000 <= year <= env.today.year:
        raise Refusal(f"没有 {year} 年的档案：年份须在 2000 年到今年之间。")
    return await year_record(env, year)


@dataclass(frozen=True)
class Exported:
    workbook: Path
    documents: int


async def export_year(
    env: RatingEnv, year: int, out: Path, *, workbook_progress: Progress, pdf_progress: Progress
) -> Exported:
    """`shiji archive export`: the district workbook and every cadre's PDF into `out`."""
    record = await record_of(env, year)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    path = out / workbook_name(year)
    await asyncio.to_thread(write_workbook, record, path, _exported(env), workbook_progress)
    count = 0
    async for dossier in dossiers(env, record):
        target = out / file_name(year, dossier.person)
        await asyncio.to_thread(target.write_bytes, render_dossier(env, record, dossier))
        pdf_progress(1)
        count += 1
    return Exported(path, count)


async def workbook_bytes(env: RatingEnv, year: int) -> bytes:
    record = await record_of(env, year)
    buffer = io.BytesIO()
    # In a thread: a district's workbook takes a second or two, which the bot's loop must not wait.
    await asyncio.to_thread(write_workbook, record, buffer, _exported(env))  # type: ignore[arg-type]
    return buffer.getvalue()


async def dossier_bytes(env: RatingEnv, year: int, person: Person) -> bytes:
    record = await record_of(env, year)
    return render_dossier(env, record, await dossier_of(env, record, person))

"""`shiji archive export 2026 --out DIR`: the year's 实绩档案, with progress bars (counts,
rate and time left) on the terminal. `shiji archive awards FILE`: the 奖惩 its PDFs list."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from tqdm import tqdm

from bot.cli.db import open_database, operator_table
from bot.cli.ops import cli_ctx
from bot.cli.rounds import rating_unit_of_work
from bot.settings import Settings
from handlers.base import Refusal
from handlers.services.archive_export import export_year, record_of
from handlers.services.awards import import_awards
from storage.repos import Store


async def archive_export(settings: Settings, year: int, out: Path) -> int:
    async with open_database(settings) as sessions, sessions() as session:
        ctx = await cli_ctx(settings, Store(session))
        try:
            record = await record_of(ctx, year)
        except Refusal as refusal:
            print(refusal.text, file=sys.stderr)
            return 2
        bar = functools.partial(tqdm, total=len(record.people), unit="人", file=sys.stderr, dynamic_ncols=True)
        with bar(desc="全区工作簿") as book, bar(desc="个人档案 PDF") as pdfs:
            done = await export_year(ctx, record, out, workbook_progress=book.update, pdf_progress=pdfs.update)
        await ctx.audit("archive.export", f"{year}: {done.documents} PDFs, workbook {done.workbook.name}")
        await session.commit()
    print(f"已导出 {year} 年度实绩档案：工作簿 {done.workbook}，个人档案 {done.documents} 份（PDF），在 {out}。")
    return 0


async def archive_awards(settings: Settings, path: Path) -> int:
    if (records := operator_table(path)) is None:
        return 2
    return await rating_unit_of_work(settings, lambda ctx: import_awards(ctx, records))

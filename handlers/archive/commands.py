"""导出档案 (R-USE-5) in chat, for the admin: a cadre's PDF or the district workbook, sent as
a WeCom file message after the reply; the workbook is made by a job (handlers/services/jobs.py)."""

from __future__ import annotations

from typing import Any

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply
from handlers.dates import parse_year
from handlers.render.records import file_name
from handlers.router import Router
from handlers.services.archive_export import (
    check_year,
    dossier_bytes,
    record_of,
    workbook_bytes,
    workbook_name,
)
from handlers.services.jobs import JobOutcome, Progress, start_job
from handlers.services.media import queue_media
from handlers.text import fold
from storage.directory import Person

router = Router()

# WeCom takes files up to 20 MB (media/upload, doc 90253); a bigger one is exported on the command line.
MAX_FILE_BYTES = 20 * 2**20


def _person(ctx: Ctx, year: int, words: list[str]) -> Person:
    """`张三`, `张三@城关镇` or `张三 城关镇`; former cadres too (their archive is kept)."""
    name, unit = words[0], " ".join(words[1:]) or None
    if unit is None and "@" in name:
        name, unit = name.split("@", 1)
    found = [
        p for p in ctx.directory.people.values()
        if p.name == name and not p.is_superior and (unit is None or p.unit.name == unit)
    ]
    if not found:
        raise Refusal(f"名册中没有「{' '.join(words)}」。同名时请写「导出档案 {year} 姓名@单位」。")
    if len(found) > 1:
        units = "、".join(p.unit.name for p in found)
        raise Refusal(f"有 {len(found)} 位「{name}」（{units}），请写上单位，例如：导出档案 {year} {name}@{found[0].unit.name}")
    return found[0]


@router.command(
    "导出档案",
    usage="导出档案 2026 / 导出档案 2026 张三",
    summary="导出全区实绩档案工作簿，或某人的年度实绩档案（PDF），以文件发给您",
    audience=Audience.admin,
    section="考核办",
)
async def export_archive(args: str, ctx: Ctx) -> Reply:
    words = fold(args).split()
    year = parse_year(words[0]) if words else None
    if year is None:
        raise Refusal("请写上年份，例如「导出档案 2026」（全区工作簿）或「导出档案 2026 张三」（个人 PDF）。")
    if not words[1:]:  # the whole district: seconds already, minutes for a province
        check_year(ctx, year)
        return await start_job(ctx, "archive.workbook", {"year": year}, f"导出档案 {year}（全区工作簿）")
    person = _person(ctx, year, words[1:])
    name, data = file_name(year, person), await dossier_bytes(ctx, year, person)
    what = f"{person.label}的 {year} 年度实绩档案（PDF）"
    _check_size(what, year, data)
    await queue_media(ctx, "file", name, data)
    return Reply(f"📁 {what}已生成（{len(data) // 1024 + 1} KB），稍后以文件「{name}」发送给您。")


def _check_size(what: str, year: int, data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise Refusal(f"{what}有 {len(data) // 2**20} MB，超过企业微信 20 MB 的文件上限。请在服务器上运行 shiji archive export {year} --out 目录。")


async def workbook_job(ctx: Ctx, args: dict[str, Any], progress: Progress) -> JobOutcome:
    """The job 导出档案 <year> queues: the district workbook, sent as a file."""
    year = int(args["year"])
    await progress(0, 2, "正在汇总全年档案")
    record = await record_of(ctx, year)
    await progress(1, 2, f"正在生成 {len(record.people):,} 人的工作簿")
    name, data = workbook_name(year), await workbook_bytes(ctx, record)
    what = f"全区 {year} 年度实绩档案工作簿"
    _check_size(what, year, data)
    return JobOutcome(f"📁 {what}已生成（{len(data) // 1024 + 1} KB），以文件「{name}」发送给您。", ((name, data),))

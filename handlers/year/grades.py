"""The 考核办's chat commands on annual 等次 (issue 24): record a decided grade, an exclusion
or a bar on 优秀, list and undo them. The rules and storage are in
handlers/services/grade_records.py; publishing applies the records."""

from __future__ import annotations

import re

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply
from handlers.router import Router
from handlers.services import grade_records
from handlers.text import fold

router = Router()
SECTION = "年度"
_YEAR = re.compile(r"^(\d{4})(?:年度|年)?$")


def _split(ctx: Ctx, args: str) -> tuple[int, list[str]]:
    """`2026 张三 …` → (2026, ["张三", …]); no year: last year's."""
    words = fold(args).split()
    if words and (found := _YEAR.match(words[0])):
        return int(found.group(1)), words[1:]
    if words and words[0][:4].isdigit() and not words[0][:4] == words[0]:
        year, rest = words[0][:4], words[0][4:].removeprefix("年度").removeprefix("年")
        return int(year), [rest, *words[1:]]
    return ctx.today.year - 1, words


@router.command(
    "等次", "年度等次", "认定等次",
    usage="等次 2026 张三 基本称职 理由 / 等次 2026 张三 不确定等次 试用期 / 等次 2026 张三 不参加 病假超过半年",
    summary="记录考核办确定的年度等次（基本称职、不称职，或不确定等次、不参加）及理由，发布时采用",
    audience=Audience.admin, section=SECTION,
)
async def record_grade(args: str, ctx: Ctx) -> Reply:
    year, words = _split(ctx, args)
    if len(words) < 2:
        raise Refusal(grade_records.usage(year) + f" 查看已有记录：「等次记录 {year}」。")
    return Reply(await grade_records.record(ctx, year, words[0], words[1], " ".join(words[2:]), ctx.userid))


@router.command(
    "不评优", "不得评优", "不能评优",
    usage="不评优 2026 张三 诫勉影响期 2026-03-01 至 2027-02-28",
    summary="记录不得评为优秀的人员（处分、诫勉等影响期）及理由，其名额由本单位得分其后者递补",
    audience=Audience.admin, section=SECTION,
)
async def bar_excellent(args: str, ctx: Ctx) -> Reply:
    year, words = _split(ctx, args)
    if not words:
        raise Refusal(grade_records.usage(year))
    return Reply(await grade_records.record(ctx, year, words[0], grade_records.BAR, " ".join(words[1:]), ctx.userid))


@router.command(
    "不定等次", "不确定等次",
    usage="不定等次 2026 张三 试用期",
    summary="记录不确定等次的人员（如试用期、正在接受调查）及理由，不占优秀名额",
    audience=Audience.admin, section=SECTION,
)
async def undetermined(args: str, ctx: Ctx) -> Reply:
    year, words = _split(ctx, args)
    if not words:
        raise Refusal(grade_records.usage(year))
    return Reply(await grade_records.record(ctx, year, words[0], "不确定等次", " ".join(words[1:]), ctx.userid))


@router.command("等次记录", usage="等次记录 2026", summary="查看某年度考核办记录的等次和不得评优人员",
                audience=Audience.admin, section=SECTION)
async def list_records(args: str, ctx: Ctx) -> Reply:
    year, _ = _split(ctx, args)
    return Reply(await grade_records.records_text(ctx, year))


@router.command("撤销等次记录", usage="撤销等次记录 2026 张三", summary="撤销某人该年度的等次记录和不评优记录",
                audience=Audience.admin, section=SECTION)
async def remove_records(args: str, ctx: Ctx) -> Reply:
    year, words = _split(ctx, args)
    if len(words) != 1:
        raise Refusal(f"请写成「撤销等次记录 {year} 张三」（同名时写 张三@城关镇）。")
    return Reply(await grade_records.remove(ctx, year, words[0]))

"""批注: a leader's note under a colleague's day (issue 26 §3). The cadre is told at once;
the note shows under the log to everyone who may read it, and in the archive. Never a score."""

from __future__ import annotations

import re

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply, day_label
from handlers.dates import DateError, split_leading_date
from handlers.router import Router
from handlers.text import fold
from scoring.visibility import may_annotate
from storage.directory import Person

router = Router()

NOTE_MAX_CHARS = 300  # a note under a ~50-character log: a few sentences, not an essay
EXAMPLE = "「批注 吴昊 12-04 低保核查情况属实，请继续跟进困难户救助」"
# The name, then the day: 「吴昊 12-04」, 「吴昊12-04」, 「吴昊昨天」, 「王强（城关镇） 12-04」.
_NAME_THEN_DAY = re.compile(r"^(\S+?)\s*((?:今天|今日|昨天|昨日|前天|\d).*)$", re.S)
_NAME_WITH_UNIT = re.compile(r"^(.+?)[（(](.+?)[)）]$")


def _split(args: str) -> tuple[str, str]:
    """(name, what follows it): the name ends at a space or where the day begins."""
    match = _NAME_THEN_DAY.match(fold(args))  # fold keeps every index (one char for one)
    if match is not None:
        return args[: match.end(1)], args[match.start(2):]
    name = fold(args).partition(" ")[0]
    return args[: len(name)], args[len(name) + 1 :].strip()


def _writer_name(ctx: Ctx) -> str:
    return ctx.person.label if ctx.person is not None else "考核办"


def _whom(ctx: Ctx, typed: str) -> Person:
    match = _NAME_WITH_UNIT.match(typed)
    name, unit = (match[1], match[2]) if match else (typed, None)
    people = [
        p for p in ctx.directory.named(name)
        if may_annotate(ctx.person, ctx.is_admin, p) and (unit is None or p.unit.name == unit)
    ]
    if not people and ctx.person is not None and name == ctx.person.name:
        raise Refusal("批注是写给同事的，不能批注自己的日志。没有保存批注。")
    if not people:
        # One answer whether the name does not exist or is not the asker's to annotate.
        raise Refusal(
            f"没有找到您可以批注的「{typed}」。单位主要领导可批注本单位同事的日志，上级领导可批注所分管单位干部的日志；"
            f"请核对姓名，同名时加单位，例如「批注 王强（城关镇） 12-04 内容」。"
        )
    if len(people) > 1:
        options = "、".join(f"「批注 {p.label} …」" for p in people)
        raise Refusal(f"有 {len(people)} 位「{name}」，请加上单位：{options}。没有保存批注。")
    return people[0]


@router.command(
    "批注", "点评",
    usage="批注 张三 12-04 内容",
    summary="在同事某天的日志下写批注，本人会收到通知，能看这篇日志的人都能看到（不计分）",
    audience=Audience.leader, section="审批",
)
async def annotate(args: str, ctx: Ctx) -> Reply:
    args = args.strip()
    if not args:
        raise Refusal(f"请写上姓名、日期和批注内容，例如：{EXAMPLE}。")
    typed, rest = _split(args)
    try:
        day, text = split_leading_date(rest, ctx.today)
    except DateError as exc:
        raise Refusal(f"{exc}。日期可以写成 12-04、2026-12-04、12月4日、今天 或 昨天，例如：{EXAMPLE}。") from None
    if day is None:
        raise Refusal(f"请在姓名后写上是哪一天的日志，例如：{EXAMPLE}。没有保存批注。")
    person = _whom(ctx, typed)
    if not text:
        raise Refusal(
            f"请在日期后写上批注内容，例如「批注 {person.name} {day.month}-{day.day:02d} 情况属实，请继续跟进」。"
            "没有保存批注。"
        )
    if len(text) > NOTE_MAX_CHARS:
        raise Refusal(f"批注太长了（{len(text)} 字），最多 {NOTE_MAX_CHARS} 字，请精简后重新发送。没有保存批注。")
    if day > ctx.today:
        raise Refusal(f"{day_label(day, ctx.today)}还没到，没有日志可批注。")
    if await ctx.store.logs.get(person.userid, day) is None:
        raise Refusal(
            f"{person.label} {day_label(day, ctx.today)}没有日志，批注写在日志下面，无法批注。"
            f"可以发送「查看 {person.name} 本周」看看哪天有日志。"
        )
    writer = _writer_name(ctx)
    note_id = await ctx.store.logs.annotate(person.userid, day, ctx.userid, writer, text, ctx.now)
    told = (
        f"📝 {writer} 批注了您 {day_label(day, ctx.today)}的日志：\n{text}\n"
        f"（批注不计分。发送「我的 {day.month}-{day.day:02d}」可查看日志和批注。）"
    )
    await ctx.store.outbox.enqueue(f"log-note:{note_id}", [person.userid], "text", {"content": told}, ctx.now)
    return Reply(
        f"✅ 已批注 {person.label} {day_label(day, ctx.today)}的日志，已通知本人。\n"
        "批注显示在这篇日志下面，能查看这篇日志的人都能看到；批注不计分。"
    )

"""查看: reading colleagues' logs (R-LOG-4), scoped by scoring/visibility.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from handlers.base import Ctx, Refusal, Reply, day_label
from handlers.dates import DateError, Period, parse_day, parse_period
from handlers.router import Router
from handlers.services.log_mentions import mention_notes
from handlers.services.record_start import record_start_of
from handlers.text import fold
from scoring.leave import leave_days
from scoring.log_record import Change, replay
from scoring.visibility import Sight, may_read_logs_of, may_see_unit
from storage.directory import Person, UnitInfo, listed_names

router = Router()

LATEST_COUNT = 5
# 王强（城关镇） / 王强(城关镇): a name with its unit, as the bot itself prints it.
_NAME_WITH_UNIT = re.compile(r"^(.+?)[（(](.+?)[)）]$")


@dataclass(frozen=True)
class _Query:
    name: str | None  # None: a whole unit
    unit: UnitInfo | None
    unit_text: str | None  # the unit the user typed (echoed back, even when unknown)
    period: Period | None
    day: date | None
    history: bool = False  # 「查看 张三 12-04 历史」: every version of that day's log


def not_found(ctx: Ctx, name: str) -> str:
    """The answer for a name that does not exist AND for one the viewer may not read.

    It depends only on what was typed and who asks, so a refusal reveals nothing.
    """
    return (
        f"没有找到您可以查看日志的「{name}」。您可以查看本单位同事"
        f"{'及所分管单位干部' if ctx.person is not None and ctx.person.oversees else ''}的日志，"
        "请核对姓名；同名时可加单位，例如「查看 王强 城关镇」。"
    )


# 「郑丽11-30」「郑丽本周」: a name with its day or period typed without the space between.
_GLUED_WHEN = re.compile(
    r"^(.*?\D)((?:\d{4}[-./年])?\d{1,2}[-./月]\d{1,2}日?|\d{4}[Qq][1-4]|本周|这周|本月|这个月|本季度?|上季度?|今天|昨天|前天)$"
)


def _unglued(tokens: list[str], today: date) -> list[str]:
    """Each token, a name run into its day or period split in two (only where the tail reads as one)."""
    out: list[str] = []
    for token in tokens:
        match = _GLUED_WHEN.match(token)
        if match and (_looks_like_date(match[2]) or parse_period(match[2], today) is not None):
            out += [match[1], match[2]]
        else:
            out.append(token)
    return out


# 「历史」 after the day (glued on or not): the day's versions instead of its text.
_HISTORY = re.compile(r"(历史|修改记录|历史版本|版本)$")


def _parse(args: str, ctx: Ctx) -> _Query:
    args = args.strip()
    history = _HISTORY.search(args) is not None
    if history:
        args = _HISTORY.sub("", args).strip()
    tokens = _unglued(fold(args).split(), ctx.today)
    original = _unglued(args.split(), ctx.today)
    if len(tokens) != len(original):  # folding never splits a token; be safe anyway
        original = tokens
    name: str | None = None
    unit_text: str | None = None
    period: Period | None = None
    day: date | None = None
    for token, raw in zip(tokens, original, strict=True):
        if period is None and day is None and (named := parse_period(token, ctx.today)) is not None:
            period = named
        elif token == "本单位" and name is None and unit_text is None:
            unit_text = "本单位"
        elif ctx.directory.unit_named(raw) is not None and unit_text is None:
            unit_text = raw
        elif name is None and not _looks_like_date(token):
            match = _NAME_WITH_UNIT.match(raw)
            name, unit_text = (match[1], match[2]) if match else (raw, unit_text)
        elif day is None and period is None:
            try:
                day = parse_day(token, ctx.today)
            except DateError as exc:
                raise Refusal(f"{exc}。可以写「查看 张三 11-20」「查看 张三 本周」「查看 张三 本月」或「查看 张三 本季」。") from None
        else:
            raise Refusal(f"看不懂「{raw}」。用法：「查看 张三」「查看 张三 11-20」「查看 张三 本周」「查看 本单位」。")
    unit = None
    if unit_text == "本单位":
        unit = ctx.person.unit if ctx.person is not None else None
    elif unit_text is not None:
        unit = ctx.directory.unit_named(unit_text)
    if history and (name is None or day is None):
        who = name or "张三"
        raise Refusal(f"「历史」按天查看，请写上是哪一天的日志，例如「查看 {who} 12-04 历史」。")
    return _Query(name, unit, unit_text, period, day, history)


def _looks_like_date(token: str) -> bool:
    try:
        parse_day(token, date(2000, 1, 1))
    except DateError:
        return False
    return True


@router.command(
    "查看", "看看", "查阅",
    usage="查看 张三 / 查看 张三 11-20 / 查看 张三 11-20 历史 / 查看 张三 本周（本月、本季、上季度、2026Q4）/ 查看 本单位",
    summary="阅读同事的日志（本单位；上级领导可看所分管单位），同名时加单位",
)
async def view(args: str, ctx: Ctx) -> Reply:
    if not args.strip():
        raise Refusal("请写上要查看的人，例如「查看 吴昊」「查看 吴昊 本周」，或「查看 本单位」看今天全单位的日志。")
    query = _parse(args, ctx)
    if query.name is None:
        return await _view_unit(ctx, query)
    people = [
        p for p in ctx.directory.named(query.name)
        if may_read_logs_of(ctx.person, ctx.is_admin, p) and (query.unit_text is None or p.unit == query.unit)
    ]
    if not people:
        typed = query.name if query.unit_text is None else f"{query.name}（{query.unit_text}）"
        return Reply(not_found(ctx, typed))
    parts = [await _view_person(ctx, p, query) for p in people]
    if len(people) > 1:
        parts.insert(0, f"有 {len(people)} 位「{query.name}」，分别是：")
    return Reply("\n\n".join(parts))


async def _leave_days(ctx: Ctx, person: Person, start: date, end: date) -> dict[date, str]:
    return {
        day: leave.kind
        for leave in await ctx.store.leave.overlapping(person.userid, start, end)
        if leave.status == "approved"
        for day in leave_days(leave.start, leave.end, start, end)
    }


def _clock(at: datetime) -> str:
    return f"{at.month}月{at.day}日 {at:%H:%M}"


async def _history(ctx: Ctx, person: Person, day: date) -> str:
    """Every write to the day's log, oldest first: what each one did, and when."""
    title = f"{person.label} {day_label(day, ctx.today)}的日志"
    versions = await ctx.store.logs.versions(person.userid, day)
    entry = await ctx.store.logs.get(person.userid, day)
    if not versions and entry is None:
        return f"{title}：没有日志，也没有改动记录。"
    lines = [f"{title}共有 {len(versions)} 次记载和改动（时间为写入的时间）："]
    parts = 0
    for number, version in enumerate(versions, start=1):
        late = version.at.date() > day
        match version.change:
            case Change.ADD:
                verb = ("补记" if late else "记载") if parts == 0 else ("补记追加" if late else "追加")
                parts += 1
            case Change.REPLACE:
                verb, parts = "修改（替换全文）", 1
            case Change.WITHDRAW:
                verb, parts = "撤回", max(parts - 1, 0)
        lines.append(f"{number}. {_clock(version.at)} {verb}：{version.text}")
    if entry is None:
        lines.append("现在没有日志。")
    else:
        if len(replay(versions).written) < entry.appended + 1:  # parts older than the record
            lines.append("（部分内容写于系统开始保留改动之前，没有更早的版本。）")
        lines.append(f"现在的日志：\n{entry.shown}")
    return "\n".join(lines)


async def _notes(ctx: Ctx, authors: list[Person], start: date, end: date) -> dict[tuple[str, date], str]:
    """Colleagues' confirmations shown beside each log (handlers/services/log_mentions.py)."""
    return await mention_notes(ctx.store, ctx.directory, ctx.person, ctx.is_admin, authors, start, end)


async def _view_person(ctx: Ctx, person: Person, query: _Query) -> str:
    if query.history and query.day is not None:
        return await _history(ctx, person, query.day)
    begins = await record_start_of(ctx.store, ctx.settings, ctx.directory, person)
    if query.day is not None:
        entry = await ctx.store.logs.get(person.userid, query.day)
        if entry is not None:
            note = (await _notes(ctx, [person], query.day, query.day)).get((person.userid, query.day), "")
            return f"{person.label} {day_label(query.day, ctx.today)}的日志：\n{entry.shown}{note}"
        leave = (await _leave_days(ctx, person, query.day, query.day)).get(query.day)
        note = f"（{leave}）" if leave else ""
        if begins is not None and query.day < begins.day:
            note = f"（{begins.note}）"
        return f"{person.label} {day_label(query.day, ctx.today)}没有日志{note}。"
    if query.period is not None:
        start, end = query.period.start, query.period.end
        entries = {e.day: e for e in await ctx.store.logs.between(person.userid, start, end)}
        on_leave = await _leave_days(ctx, person, start, end)
        notes = await _notes(ctx, [person], start, end)
        lines = [f"{person.label}{query.period.label}的日志："]
        first = start if begins is None else begins.first_listed(start)
        if first > start and begins is not None:
            lines.append(f"（{begins.note_for(any(d < first for d in entries))}。）")
        day = start
        while day <= end:
            if day in entries:
                lines.append(f"【{day_label(day)}】{entries[day].shown}{notes.get((person.userid, day), '')}")
            elif day < first:
                pass  # before the record began: not missed, said once above
            elif day in on_leave:
                lines.append(f"【{day_label(day)}】（{on_leave[day]}）")
            elif ctx.calendar.is_working_day(day):
                lines.append(f"【{day_label(day)}】（未记载）")
            day += timedelta(days=1)
        return "\n".join(lines)
    latest = await ctx.store.logs.latest(person.userid, LATEST_COUNT)
    if not latest:
        return f"{person.label}还没有日志。"
    notes = await _notes(ctx, [person], min(e.day for e in latest), max(e.day for e in latest))
    lines = [f"{person.label}最近 {len(latest)} 篇日志："]
    lines += [f"【{day_label(e.day, ctx.today)}】{e.shown}{notes.get((person.userid, e.day), '')}" for e in latest]
    return "\n".join(lines)


async def _view_unit(ctx: Ctx, query: _Query) -> Reply:
    if query.unit_text == "本单位" and (ctx.person is None or ctx.person.is_superior):
        raise Refusal("您没有所属的考核单位。请写明单位名称，例如「查看 城关镇」。")
    unit = query.unit
    if unit is None or not may_see_unit(ctx.person, ctx.is_admin, unit.id, Sight.logs):
        return Reply(not_found(ctx, query.unit_text or ""))
    if query.period is not None:
        label = query.period.label
        raise Refusal(f"全单位的日志按天查看，例如「查看 {query.unit_text} 昨天」。查看一个人{label}的日志请写「查看 姓名 {label}」。")
    day = query.day or ctx.today
    members = ctx.directory.members(unit.id)
    logs = await ctx.store.logs.on_day(day, [p.userid for p in members])
    excused = await ctx.store.leave.excused_between(day, day)
    working = ctx.calendar.is_working_day(day)
    written = [p for p in members if p.userid in logs]
    lines = [f"{unit.name} {day_label(day, ctx.today)}的日志（已记 {len(written)}/{len(members)} 人）："]
    notes = await _notes(ctx, written, day, day)
    lines += [f"【{p.name}】{logs[p.userid].shown}{notes.get((p.userid, day), '')}" for p in written]
    if not working:
        lines.append("这一天不是工作日，无需记载日志。")
        return Reply("\n".join(lines))
    on_leave = [p for p in members if p.userid not in logs and p.userid in excused]
    missing = [p for p in members if p.userid not in logs and p.userid not in excused]
    if missing:
        lines.append(f"还没有记载（{len(missing)} 人）：{'、'.join(listed_names(missing))}")
    else:
        lines.append("全部人员都已记载。")
    if on_leave:
        lines.append(f"请假/出差（{len(on_leave)} 人）：{'、'.join(listed_names(on_leave))}")
    return Reply("\n".join(lines))

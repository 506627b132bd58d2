"""晒实绩: today's log, backfill, correction, 撤回, my logs, what I still miss."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply, Sender, day_label
from handlers.dates import DATE_TOKEN, DateError, parse_day, parse_period, split_leading_date
from handlers.hints import EXAMPLE, answer_unless_log
from handlers.reminders import mute_today
from handlers.router import BatchForm, PlainText, Router
from handlers.services import calendar_missing
from handlers.services.log_mentions import ask_colleagues, names_a_colleague
from handlers.services.log_rules import missing_this_quarter
from handlers.services.record_start import record_start_of
from handlers.text import fold
from scoring.log_length import LengthFault, log_length
from scoring.log_record import is_locked, late_mark, locked_from
from scoring.reminder_budget import is_mute_request
from scoring.rule_settings import LogSettings, RuleSettings
from scoring.workdays import QuarterId, UnknownCalendarYear
from storage import log_batch
from storage.directory import Person
from storage.writer import Driver

router = Router()

COUNTED = "（只计汉字、字母和数字）"


def _check_length(settings: LogSettings, text: str, *, existing: int | None = None) -> int:
    """The length rule (scoring/log_length.py), its refusals worded. `existing`: the length
    of the day's log so far (None: no log yet). Returns the day's log length once `text` is
    added."""
    length = log_length(
        text, existing,
        min_chars=settings.min_chars, append_min_chars=settings.append_min_chars, max_chars=settings.max_chars,
    )
    match length.fault:
        case LengthFault.EMPTY:
            raise Refusal(f"日志内容是空的。请直接发送今天的工作内容，例如：{EXAMPLE}。")
        case LengthFault.SHORT_PART:
            raise Refusal(
                f"追加的内容太短了（{length.words} 字{COUNTED}），至少需要 {settings.append_min_chars} 字，"
                "没有记入日志。请写清补充了哪项工作后再发送。"
            )
        case LengthFault.SHORT:
            raise Refusal(
                f"日志太短了（{length.words} 字{COUNTED}），至少需要 {settings.min_chars} 字，没有记入日志。"
                f"请写清今天做了什么、进展如何，约 {settings.target_chars} 字即可。"
            )
        case LengthFault.LONG:
            raise Refusal(
                f"日志太长了（{length.total} 字），最多 {settings.max_chars} 字。"
                f"请精简到 {settings.target_chars} 字左右后重新发送，内容未保存。"
            )
    return length.total


def _ensure_working_day(sender: Sender, day: date, action: str) -> None:
    if not sender.calendar.is_working_day(day):
        holiday = sender.calendar.holiday_name(day)
        reason = f"{holiday}假期" if holiday else "周末"
        raise Refusal(
            f"{day_label(day, sender.today)}是{reason}，不是工作日，无需{action}。"
            "如果当天加班，可以写进下一个工作日的日志里。"
        )


def _saved_reply(
    settings: LogSettings, today: date, day: date, chars: int, *, appended: bool, verb: str = "记录"
) -> Reply:
    note = "（已追加到当天日志）" if appended else ""
    lines = [f"✅ 已{verb} {day_label(day, today)}的工作日志{note}，共 {chars} 字。"]
    if appended and day == today:
        lines.append("发错了？发送「撤回」可撤回刚追加的这一段。")
    if chars > settings.long_note_chars:
        lines.append(f"小提示：日志以 {settings.target_chars} 字左右为宜，写清要点即可。")
    return Reply("\n".join(lines))


async def _write(ctx: Ctx, person: Person, day: date, content: str, *, verb: str = "记录") -> Reply:
    existing = await ctx.store.logs.get(person.userid, day)
    _check_length(ctx.settings.logs, content, existing=None if existing is None else len(existing.content))
    stored = await ctx.store.logs.write(person.userid, day, content, ctx.now, append=True)
    saved = _saved_reply(ctx.settings.logs, ctx.today, day, len(stored), appended=existing is not None, verb=verb)
    return await _with_mentions(ctx, person, day, content, saved)


async def _with_mentions(ctx: Ctx, person: Person, day: date, content: str, saved: Reply) -> Reply:
    """Colleagues `content` names as taking part are asked to confirm (log_mentions)."""
    asked = await ask_colleagues(ctx.store, ctx.directory, person, day, content, ctx.now)
    return Reply(f"{saved.text}\n{asked}") if asked else saved


def _todays_writer(plain: PlainText, sender: Sender) -> Person:
    """Who writes today's log with this text, or why nobody does (a refusal, or
    UnknownCalendarYear): plain text is today's log (a second text the same day is appended)
    when it reads as work from someone who keeps a log, on a working day; anything else is
    answered (handlers/hints.py) and never stored. Its length is decided on the day's log."""
    if (answer := answer_unless_log(plain, sender.person, sender.is_admin)) is not None:
        raise Refusal(answer)
    person = sender.require_cadre()
    _ensure_working_day(sender, sender.today, "记载日志")
    return person


# ---- today's logs in batches (the callback's hot path) ---------------------------------


@dataclass(frozen=True)
class TodaysLog:
    """A plain text `todays_log` takes (it reads as work, a cadre sent it on a working day),
    its length decided on the day's log and stored with others at once."""

    dedupe_key: str
    userid: str
    text: str
    now: datetime


def take_todays_log(plain: PlainText, sender: Sender, dedupe_key: str) -> TodaysLog | None:
    """A text `todays_log` would store joins a batch; one it refuses goes the ordinary way,
    where the refusal is worded (and a missing calendar year alerted)."""
    if is_mute_request(plain.text) or names_a_colleague(sender.directory, sender.person, plain.text):
        return None
    try:
        _todays_writer(plain, sender)
    except (Refusal, UnknownCalendarYear):
        return None
    return TodaysLog(dedupe_key, sender.userid, plain.text, sender.now)


def apply_todays_logs(driver: Driver, items: list[TodaysLog], rules: RuleSettings) -> list[Reply]:
    """`todays_log` for a whole batch in a few statements, in the caller's transaction.

    Retries are answered from their stored reply; each new message is decided on its own,
    in arrival order (a second text of the same person appends to the first); refusals
    store nothing but their reply.
    """
    settings = rules.logs
    claims = [log_batch.Claim(i.dedupe_key, i.userid, i.now) for i in items]
    found = log_batch.claim_and_read(driver, claims)
    fresh, lengths = found.fresh, found.lengths
    appends: dict[tuple[str, date], log_batch.LogAppend] = {}
    replies: list[Reply] = []
    for item in items:
        if item.dedupe_key not in fresh:
            replies.append(Reply.loads(found.stored.get(item.dedupe_key)))
            continue
        day = item.now.date()
        existing = lengths.get((item.userid, day))
        try:
            lengths[(item.userid, day)] = _check_length(settings, item.text, existing=existing)
        except Refusal as refusal:
            replies.append(Reply(refusal.text))
            continue
        earlier = appends.get((item.userid, day))
        parts, times = ((), ()) if earlier is None else (earlier.parts, earlier.times)
        appends[(item.userid, day)] = log_batch.LogAppend(item.userid, day, (*parts, item.text), (*times, item.now))
        replies.append(_saved_reply(settings, day, day, lengths[(item.userid, day)], appended=existing is not None))
    answered = [(c, r.dumps()) for c, r in zip(claims, replies, strict=True) if c.dedupe_key in fresh]
    log_batch.write(driver, list(appends.values()), answered)
    return replies


@router.default(batch=BatchForm(take_todays_log, apply_todays_logs))
async def todays_log(plain: PlainText, ctx: Ctx) -> Reply:
    """Today's log, one message in its own unit of work (`_todays_writer` decides who writes;
    batched, `apply_todays_logs` stores it the same way)."""
    if is_mute_request(plain.text):  # 「今天别提醒了」 and other ways of typing 「今天不提醒」
        return await mute_today("", ctx)
    person = _todays_writer(plain, ctx)
    return await _write(ctx, person, ctx.today, plain.text)


@router.command(
    "补记", "补录", "补写",
    usage="补记 11-20 内容",
    summary="补记之前某个工作日的日志（5 个工作日内），日期也可写 2026-11-20、11月20日、昨天、前天",
    audience=Audience.cadre,
)
async def backfill(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    try:
        day, content = split_leading_date(args, ctx.today)
    except DateError as exc:
        raise Refusal(f"{exc}。日期可以写成 11-20、2026-11-20、11月20日、昨天 或 前天。") from None
    if day is None:
        raise Refusal("请在「补记」后写上日期和内容，例如：「补记 11-20 上午参加防汛调度会，下午检查河道」。")
    if not content:
        raise Refusal(
            f"请在日期后写上那天的工作内容，例如：「补记 {args.strip()} 上午参加防汛调度会，下午检查河道」。"
            "没有保存任何内容。"
        )
    if day > ctx.today:
        raise Refusal(f"{day_label(day, ctx.today)}还没到，不能提前记载。今天的日志请直接发送内容。")
    _ensure_working_day(ctx, day, "补记")
    existing = await ctx.store.logs.get(person.userid, day)
    if existing is not None:
        _refuse_if_locked(ctx, day, "追加")
    _refuse_if_past_backfill(ctx, day)
    if existing is None or day == ctx.today:
        return await _write(ctx, person, day, content, verb="补记" if day != ctx.today else "记录")
    # A day already logged (and perhaps read): adding to it is asked, never silent.
    _check_length(ctx.settings.logs, content, existing=len(existing.content))
    minutes = ctx.settings.logs.backfill_confirm_minutes
    await ctx.store.logs.hold_backfill(person.userid, day, content, ctx.now + timedelta(minutes=minutes))
    return Reply(
        f"{day_label(day, ctx.today)}已经有日志：\n{existing.shown}\n\n"
        f"要把这段内容追加到当天日志吗？追加的部分会标注「{late_mark(ctx.today)}」，同事查看时可见。\n"
        f"回复「{CONFIRM_BACKFILL}」追加，或忽略（{minutes} 分钟内有效）。"
    )


CONFIRM_BACKFILL = "确认补记"


def _refuse_if_past_backfill(ctx: Ctx, day: date) -> None:
    window = ctx.settings.logs.backfill_working_days
    deadline = ctx.calendar.backfill_deadline(day, window)
    if ctx.today > deadline:
        raise Refusal(
            f"{day_label(day, ctx.today)}的日志最晚可在 {day_label(deadline, ctx.today)}补记"
            f"（{window} 个工作日内），已超过补记期限，系统不再接收。"
            "发送「缺记」可查看还能补记的日期。"
        )


def _refuse_if_locked(ctx: Ctx, day: date, action: str) -> None:
    """The lock (scoring/log_record.py): a day past its window never changes again."""
    window = ctx.settings.logs.lock_window
    if is_locked(ctx.calendar, day, ctx.today, window):
        last = locked_from(ctx.calendar, day, window) - timedelta(days=1)
        raise Refusal(
            f"{day_label(day, ctx.today)}的日志已锁定，不能再{action}：日志最晚可在 {day_label(last, ctx.today)}补充"
            f"（当天之后 {window} 个工作日内），之后不再改动，保证记载真实可查。"
            "需要说明的情况，请写进今天的日志。"
        )


@router.command(
    CONFIRM_BACKFILL, usage=CONFIRM_BACKFILL,
    summary="把刚才「补记」的内容追加到那天已有的日志（标注为补记）", audience=Audience.cadre,
)
async def confirm_backfill(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    waiting = await ctx.store.logs.take_backfill(person.userid)
    if waiting is None:
        raise Refusal(
            "没有等待确认的补记（每次补记只能确认一次）。"
            "要给之前某天的日志补充内容，请发送「补记 12-04 内容」。"
        )
    _refuse_if_locked(ctx, waiting.day, "追加")
    _refuse_if_past_backfill(ctx, waiting.day)  # a lock set longer than the window
    if ctx.now >= waiting.expires_at:
        minutes = ctx.settings.logs.backfill_confirm_minutes
        raise Refusal(
            f"刚才的补记已过期（{minutes} 分钟内有效），没有追加。"
            f"请重新发送「补记 {waiting.day.month}-{waiting.day.day:02d} 内容」。"
        )
    return await _write(ctx, person, waiting.day, waiting.text, verb="补记")


def _refuse_other_day(ctx: Ctx, args: str, command: str) -> None:
    """「修改 12-04 …」/「撤回 12-04」: only today's log is rewritten or taken back; an
    earlier day is locked, or may only be added to (marked late). A leading number that only
    looks like a day (「修改 3.5万元专项资金…」) is today's new text."""
    match = DATE_TOKEN.match(fold(args))
    if match is None:
        return
    apart = match.end() == len(args) or args[match.end()].isspace()
    if not apart and not re.search(r"[-/月]", match[1]):
        return
    try:
        day = parse_day(match[1], ctx.today)
    except DateError:
        return
    if day == ctx.today:
        return
    _refuse_if_locked(ctx, day, command)
    raise Refusal(
        f"「{command}」只能用于今天的日志，之前的日志不能改写或撤回（改动全部留痕）。"
        f"要给 {day_label(day, ctx.today)}补充内容，请发送「补记 {day.month}-{day.day:02d} 内容」，会标注为补记。"
    )


@router.command("修改", "更正", usage="修改 内容", summary="用新内容替换今天的日志", audience=Audience.cadre)
async def correct_today(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    _refuse_other_day(ctx, args, "修改")
    _ensure_working_day(ctx, ctx.today, "记载日志")
    if not args:
        raise Refusal(f"请在「修改」后写上今天日志的新内容（将替换整篇），例如「修改 {EXAMPLE[1:-1]}」。")
    _check_length(ctx.settings.logs, args)
    stored = await ctx.store.logs.write(person.userid, ctx.today, args, ctx.now, append=False)
    saved = _saved_reply(ctx.settings.logs, ctx.today, ctx.today, len(stored), appended=False, verb="更新")
    return await _with_mentions(ctx, person, ctx.today, args, saved)


@router.command(
    "撤回", usage="撤回", summary="撤回今天日志中最后追加的一段（整篇重写请用「修改」）", audience=Audience.cadre,
)
async def withdraw(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    _refuse_other_day(ctx, args, "撤回")
    taken = await ctx.store.logs.withdraw_last_part(person.userid, ctx.today, ctx.now)
    if taken is None:
        logged = await ctx.store.logs.get(person.userid, ctx.today) is not None
        raise Refusal(
            "今天的日志没有追加的内容可撤回。要改写今天的整篇日志，请发送「修改 新内容」。"
            if logged else "您今天还没有记载日志，没有可撤回的内容。"
        )
    part, kept = taken
    return Reply(f"↩️ 已撤回今天日志中追加的这一段：\n{part}\n现在今天的日志是：\n{kept}")


@router.command(
    "我的", "我的日志",
    usage="我的 / 我的 11-20 / 我的 本周（本月、本季、上季度）",
    summary="查看自己今天、某一天或一段时间的日志",
    audience=Audience.cadre,
)
async def my_logs(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    if args in ("", "今天", "今日"):
        entry = await ctx.store.logs.get(person.userid, ctx.today)
        if entry is None:
            return Reply(f"您今天 {day_label(ctx.today)}还没有记载日志。直接发送工作内容即可记载。")
        note = f"\n（其中追加了 {entry.appended} 段，发送「撤回」可撤回最后一段）" if entry.appended else ""
        return Reply(f"您 {day_label(ctx.today)}的日志：\n{entry.shown}{note}")
    if (period := parse_period(args, ctx.today)) is not None:
        return await _range_reply(ctx, person, period.start, period.end, period.label)
    try:
        day = parse_day(args, ctx.today)
    except DateError as exc:
        raise Refusal(f"{exc}。可以发送「我的」「我的 11-20」「我的 本周」或「我的 本季」。") from None
    entry = await ctx.store.logs.get(person.userid, day)
    if entry is None:
        begins = await record_start_of(ctx.store, ctx.settings, ctx.directory, person)
        note = f"（{begins.note}）" if begins is not None and day < begins.day else ""
        return Reply(f"您 {day_label(day, ctx.today)}没有日志{note}。")
    return Reply(f"您 {day_label(day, ctx.today)}的日志：\n{entry.shown}")


async def _range_reply(ctx: Ctx, person: Person, start: date, end: date, title: str) -> Reply:
    entries = {e.day: e for e in await ctx.store.logs.between(person.userid, start, end)}
    lines = [f"您{title}的日志："]
    begins = await record_start_of(ctx.store, ctx.settings, ctx.directory, person)
    first = start if begins is None else begins.first_listed(start)
    if first > start and begins is not None:
        lines.append(f"（{begins.note_for(any(d < first for d in entries))}。）")
    day = start
    while day <= end:
        if day in entries:
            lines.append(f"【{day_label(day)}】{entries[day].shown}")
        elif day >= first and ctx.calendar.is_working_day(day):
            lines.append(f"【{day_label(day)}】（未记载）")
        day += timedelta(days=1)
    return Reply("\n".join(lines))


@router.command(
    "缺记", "漏记", usage="缺记", summary="列出本季度还缺日志的工作日和各自的补记截止日", audience=Audience.cadre,
)
async def missing(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    days, unknown_year = await missing_this_quarter(ctx, person)
    quarter = QuarterId.of(ctx.today)
    lines: list[str] = []
    today_logged = await ctx.store.logs.get(person.userid, ctx.today) is not None
    if ctx.today.year in ctx.calendar.years and ctx.calendar.is_working_day(ctx.today) and not today_logged:
        lines.append("今天的日志还没有记载。")
    if unknown_year is not None:
        await calendar_missing.alert_admins(ctx.store, ctx.settings.admin.userids, unknown_year, ctx.today, ctx.now)
        lines.append(calendar_missing.query_note(unknown_year))
        if not days:
            return Reply("\n".join(lines))
    open_days = [m for m in days if m.open_on(ctx.today)]
    closed_days = [m for m in days if not m.open_on(ctx.today)]
    if not days:
        lines.append(f"{quarter.year}年第{quarter.quarter}季度到昨天为止没有缺记，继续保持！")
        return Reply("\n".join(lines))
    if open_days:
        lines.append(f"还可以补记的 {len(open_days)} 天：")
        lines += [f"· {day_label(m.day, ctx.today)}，最晚 {day_label(m.deadline, ctx.today)}" for m in open_days]
        lines.append("补记方法：「补记 11-20 内容」。")
    if closed_days:
        lines.append(f"已过补记期限的 {len(closed_days)} 天（将按规定扣分）：")
        lines.append("、".join(f"{m.day.month}月{m.day.day}日" for m in closed_days))
    return Reply("\n".join(lines))

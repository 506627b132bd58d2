"""缺记统计 for the admin: missing logs per unit and the people missing most, plus reminders
that could not be delivered."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply, day_label
from handlers.dates import parse_quarter
from handlers.router import Router
from handlers.services import calendar_missing
from handlers.services.golive import go_live_date
from handlers.services.log_flags import CHECK_DAYS, flag_line
from handlers.services.log_rules import missing_counts
from scoring.logs import counting_start
from scoring.names import text_key
from scoring.workdays import QuarterId, UnknownCalendarYear
from storage.directory import roster_order

router = Router()

TOP = 10
_KIND_NAMES = {"daily": "当日提醒", "last_day": "补记截止提醒", "rate": "评分提醒", "dem": "测评提醒"}


@router.command(
    "缺记统计", usage="缺记统计 / 缺记统计 上季度 / 缺记统计 2026Q3",
    summary="各单位本周、本季度（或所写季度）缺记篇数，缺记最多的 10 人，近 7 天疑似抄袭或套话的日志，发送失败的提醒",
    audience=Audience.admin, section="考核办",
)
async def missing_stats(args: str, ctx: Ctx) -> Reply:
    today = ctx.today
    yesterday = today - timedelta(days=1)
    quarter = _asked_quarter(args, today)
    current = quarter == QuarterId.of(today)
    # A finished quarter is counted to its last day; the current one to yesterday (today may
    # still be logged). The week only means something for the current quarter.
    end = yesterday if current else quarter.last_day
    go_live = go_live_date(ctx.settings, ctx.directory)
    q_start = counting_start(quarter.first_day, go_live)
    week_start = counting_start(today - timedelta(days=today.weekday()), go_live) if current else q_start
    people = ctx.directory.cadres()
    as_of = f"截至 {day_label(yesterday, today)}，" if current else ""
    lines = [f"📊 缺记统计：{as_of}{quarter.year}年第{quarter.quarter}季度"]
    if go_live is not None and go_live > quarter.first_day:  # said once: those days were never owed
        lines.append(f"（系统 {go_live.isoformat()} 上线，此前无日志，不计缺记。）")
    try:
        counts = await missing_counts(ctx.store, ctx.calendar, people, end, (week_start, q_start))
    except UnknownCalendarYear as unknown:  # the period itself lies in that year: nothing to count
        await calendar_missing.alert_admins(ctx.store, ctx.settings.admin.userids, unknown.year, today, ctx.now)
        return Reply("\n".join([*lines, calendar_missing.query_note(unknown.year)]))
    week_count = {userid: c[0] for userid, c in counts.items()}
    quarter_count = {userid: c[1] for userid, c in counts.items()}
    units: dict[int, list] = {}
    for person in people:
        units.setdefault(person.unit.id, []).append(person)
    lines.append("【各单位】本周 / 本季度缺记篇数" if current else "【各单位】本季度缺记篇数")
    for unit_id in sorted(units, key=lambda u: text_key(ctx.directory.units[u].name)):
        members = units[unit_id]
        week = sum(week_count[p.userid] for p in members)
        total = sum(quarter_count[p.userid] for p in members)
        counted = f"{week} / {total}" if current else f"{total}"
        lines.append(f"· {ctx.directory.units[unit_id].name}（{len(members)} 人）：{counted}")
    worst = sorted(
        (p for p in people if quarter_count[p.userid] > 0),
        key=lambda p: (-quarter_count[p.userid], roster_order(p)),
    )[:TOP]
    lines.append(f"【本季度缺记最多的 {TOP} 人】")
    if worst:
        lines += [f"{i}. {p.label} 缺 {quarter_count[p.userid]} 篇" for i, p in enumerate(worst, 1)]
    else:
        lines.append("本季度到昨天为止没有人缺记。" if current else "本季度没有人缺记。")
    lines += await _flagged_section(ctx, today)
    failed = [
        o for o in await ctx.store.reminders.outcomes(min(q_start, end), end + timedelta(days=1))
        if o.status == "failed"
    ]
    if failed:
        lines.append(f"【发送失败的提醒】{len(failed)} 人次（请核对这些人的企业微信账号）：")
        for o in failed[:TOP]:
            cadre = ctx.directory.get(o.userid)
            who = cadre.label if cadre is not None else o.userid
            lines.append(f"· {who} {o.day.month}月{o.day.day}日 {_kind_name(o.kind)}：{o.error}")
        if len(failed) > TOP:
            lines.append(f"……另有 {len(failed) - TOP} 人次")
    return Reply("\n".join(lines))


async def _flagged_section(ctx: Ctx, today: date) -> list[str]:
    """Logs of the last 7 days that look copied or are mostly 套话, as the nightly check found
    them (handlers/services/log_flags.py): for the admin to look into, never a deduction."""
    start = today - timedelta(days=CHECK_DAYS)
    flags = await ctx.store.trust.flags(None, start, today)
    title = f"【近 {CHECK_DAYS} 天疑似抄袭或套话的日志】"
    if not flags:
        return [f"{title}没有。"]
    lines = [f"{title}{len(flags)} 篇（仅供核查，不扣分，同事看不到）："]
    lines += [flag_line(f, ctx.directory, today, with_unit=True) for f in flags[:TOP]]
    if len(flags) > TOP:
        lines.append(f"……另有 {len(flags) - TOP} 篇")
    return lines


def _kind_name(kind: str) -> str:
    """daily, last_day, rate:<round>, dem:<evaluation> as the admin reads them."""
    return _KIND_NAMES.get(kind.split(":")[0], kind)


def _asked_quarter(args: str, today: date) -> QuarterId:
    """The quarter written after 缺记统计 (none: this one), never one not yet begun."""
    if not args.strip():
        return QuarterId.of(today)
    quarter = parse_quarter(args, today)
    if quarter is None:
        raise Refusal(
            f"看不懂「{args.strip()}」。发送「缺记统计」查看本季度，"
            "或写上季度，例如「缺记统计 上季度」「缺记统计 2026Q3」。"
        )
    if quarter.first_day > today:
        raise Refusal(f"{quarter.year}年第{quarter.quarter}季度还没有开始，没有缺记可统计。发送「缺记统计」查看本季度。")
    return quarter

"""缺记统计 for the admin: missing logs per unit and the people missing most, plus reminders
that could not be delivered. Too long for a few chat messages (a city, a province), it comes
as a workbook with a short summary."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from openpyxl import Workbook

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply, day_label
from handlers.dates import parse_quarter
from handlers.router import Router
from handlers.services import calendar_missing
from handlers.services.golive import go_live_date
from handlers.services.jobs import Progress, no_progress, runs_as_job, start_job
from handlers.services.log_flags import CHECK_DAYS, flag_line
from handlers.services.log_rules import missing_counts
from handlers.services.media import queue_media
from scoring.logs import counting_start
from scoring.names import text_key
from scoring.wecom_protocol import TEXT_LIMIT_BYTES
from scoring.workdays import QuarterId, UnknownCalendarYear
from storage.directory import Person, roster_order

router = Router()

TOP = 10
_KIND_NAMES = {"daily": "当日提醒", "last_day": "补记截止提醒", "rate": "评分提醒", "dem": "测评提醒"}


@router.command(
    "缺记统计", usage="缺记统计 / 缺记统计 上季度 / 缺记统计 2026Q3",
    summary="各单位本周、本季度（或所写季度）缺记篇数，缺记最多的 10 人，近 7 天疑似抄袭或套话的日志，发送失败的提醒",
    audience=Audience.admin, section="考核办",
)
async def missing_stats(args: str, ctx: Ctx) -> Reply:
    quarter = _asked_quarter(args, ctx.today)
    if runs_as_job(ctx):  # a city's or a province's: counted in a job, sent as a workbook
        return await start_job(ctx, "stats.missing", {"quarter": str(quarter)}, f"缺记统计 {quarter}")
    report = await missing_report(ctx, quarter)
    text = report.text()
    if len(text.encode()) <= ctx.settings.jobs.inline_max_messages * TEXT_LIMIT_BYTES:
        return Reply(text)
    name, data = await report.workbook()
    await queue_media(ctx, "file", name, data)
    return Reply(report.summary(name))


@dataclass(frozen=True)
class UnitMissing:
    name: str
    members: int
    week: int
    quarter: int


@dataclass(frozen=True)
class FailedReminder:
    who: str
    day: date
    kind: str
    error: str


@dataclass(frozen=True)
class MissingReport:
    """What 缺记统计 finds, said as a text (a district) or a workbook (a city, a province)."""

    quarter: QuarterId
    current: bool
    heading: list[str]  # the title, and when the system went live if inside the quarter
    units: list[UnitMissing]
    missing: list[tuple[Person, int]]  # everyone who missed a log, most first
    flags: list[str]  # flag_line of each flagged log of the last CHECK_DAYS days
    failed: list[FailedReminder]
    calendar_note: str = ""  # the quarter lies in a year without a holiday schedule: nothing counted

    def text(self) -> str:
        lines = list(self.heading)
        if self.calendar_note:
            return "\n".join([*lines, self.calendar_note])
        lines.append("【各单位】本周 / 本季度缺记篇数" if self.current else "【各单位】本季度缺记篇数")
        for unit in self.units:
            counted = f"{unit.week} / {unit.quarter}" if self.current else f"{unit.quarter}"
            lines.append(f"· {unit.name}（{unit.members} 人）：{counted}")
        lines.append(f"【本季度缺记最多的 {TOP} 人】")
        if self.missing:
            lines += [f"{i}. {p.label} 缺 {n} 篇" for i, (p, n) in enumerate(self.missing[:TOP], 1)]
        else:
            lines.append("本季度到昨天为止没有人缺记。" if self.current else "本季度没有人缺记。")
        title = f"【近 {CHECK_DAYS} 天疑似抄袭或套话的日志】"
        if not self.flags:
            lines.append(f"{title}没有。")
        else:
            lines.append(f"{title}{len(self.flags)} 篇（仅供核查，不扣分，同事看不到）：")
            lines += self.flags[:TOP]
            if len(self.flags) > TOP:
                lines.append(f"……另有 {len(self.flags) - TOP} 篇")
        if self.failed:
            lines.append(f"【发送失败的提醒】{len(self.failed)} 人次（请核对这些人的企业微信账号）：")
            lines += [f"· {f.who} {f.day.month}月{f.day.day}日 {f.kind}：{f.error}" for f in self.failed[:TOP]]
            if len(self.failed) > TOP:
                lines.append(f"……另有 {len(self.failed) - TOP} 人次")
        return "\n".join(lines)

    def summary(self, workbook: str) -> str:
        """The short text that goes with the workbook."""
        if self.calendar_note:
            return self.text()
        quarter_total = sum(u.quarter for u in self.units)
        return "\n".join([
            *self.heading,
            f"{len(self.units):,} 个单位、{sum(u.members for u in self.units):,} 人：本季度缺记 {quarter_total:,} 篇（{len(self.missing):,} 人）"
            + (f"，本周 {sum(u.week for u in self.units):,} 篇" if self.current else "") + "。",
            f"近 {CHECK_DAYS} 天疑似抄袭或套话的日志 {len(self.flags):,} 篇；发送失败的提醒 {len(self.failed):,} 人次。",
            f"各单位明细、缺记人员、疑似日志和发送失败的提醒见工作簿「{workbook}」，稍后以文件发送给您。",
        ])

    async def workbook(self) -> tuple[str, bytes]:
        name = f"缺记统计-{self.quarter.year}Q{self.quarter.quarter}.xlsx"
        return name, await asyncio.to_thread(missing_workbook, self)


def missing_workbook(report: MissingReport) -> bytes:
    """The report as sheets: 各单位, 缺记人员 (everyone who missed, not just the top 10),
    疑似日志, 发送失败的提醒; each headed by the report's title."""
    book = Workbook(write_only=True)
    caption = " ".join(report.heading)

    def sheet(title: str, header: list[str], rows: Iterable[list[object]]) -> None:
        made = book.create_sheet(title)
        made.append([caption])
        made.append(header)
        for row in rows:
            made.append(row)

    sheet("各单位", ["单位", "人数", *(["本周缺记"] if report.current else []), "本季度缺记"],
          ([u.name, u.members, *([u.week] if report.current else []), u.quarter] for u in report.units))
    sheet("缺记人员", ["序号", "姓名", "单位", "本季度缺记"],
          ([i, p.name, p.unit.name, n] for i, (p, n) in enumerate(report.missing, 1)))
    sheet("疑似日志", [f"近 {CHECK_DAYS} 天疑似抄袭或套话的日志（仅供核查，不扣分）"], ([line.removeprefix("· ")] for line in report.flags))
    sheet("发送失败的提醒", ["姓名", "日期", "提醒", "原因"],
          ([f.who, f.day.isoformat(), f.kind, f.error] for f in report.failed))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def missing_report(ctx: Ctx, quarter: QuarterId, progress: Progress = no_progress) -> MissingReport:
    today = ctx.today
    yesterday = today - timedelta(days=1)
    current = quarter == QuarterId.of(today)
    # A finished quarter is counted to its last day; the current one to yesterday (today may
    # still be logged). The week only means something for the current quarter.
    end = yesterday if current else quarter.last_day
    go_live = go_live_date(ctx.settings, ctx.directory)
    q_start = counting_start(quarter.first_day, go_live)
    week_start = counting_start(today - timedelta(days=today.weekday()), go_live) if current else q_start
    people = ctx.directory.cadres()
    as_of = f"截至 {day_label(yesterday, today)}，" if current else ""
    heading = [f"📊 缺记统计：{as_of}{quarter.year}年第{quarter.quarter}季度"]
    if go_live is not None and go_live > quarter.first_day:  # said once: those days were never owed
        heading.append(f"（系统 {go_live.isoformat()} 上线，此前无日志，不计缺记。）")
    await progress(0, 4, f"正在统计 {len(people):,} 人的缺记")
    try:
        counts = await missing_counts(ctx.store, ctx.calendar, people, end, (week_start, q_start))
    except UnknownCalendarYear as unknown:  # the period itself lies in that year: nothing to count
        await calendar_missing.alert_admins(ctx.store, ctx.settings.admin.userids, unknown.year, today, ctx.now)
        return MissingReport(quarter, current, heading, [], [], [], [], calendar_missing.query_note(unknown.year))
    await progress(1, 4, "正在汇总各单位")
    week_count = {userid: c[0] for userid, c in counts.items()}
    quarter_count = {userid: c[1] for userid, c in counts.items()}
    by_unit: dict[int, list[Person]] = {}
    for person in people:
        by_unit.setdefault(person.unit.id, []).append(person)
    units = [
        UnitMissing(ctx.directory.units[unit_id].name, len(members),
                    sum(week_count[p.userid] for p in members), sum(quarter_count[p.userid] for p in members))
        for unit_id, members in sorted(by_unit.items(), key=lambda u: text_key(ctx.directory.units[u[0]].name))
    ]
    missing = [(p, quarter_count[p.userid]) for p in sorted(
        (p for p in people if quarter_count[p.userid] > 0),
        key=lambda p: (-quarter_count[p.userid], roster_order(p)),
    )]
    await progress(2, 4, "正在整理疑似日志和发送失败的提醒")
    flags = [flag_line(f, ctx.directory, today, with_unit=True)
             for f in await ctx.store.trust.flags(None, today - timedelta(days=CHECK_DAYS), today)]
    failed = []
    for o in await ctx.store.reminders.outcomes(min(q_start, end), end + timedelta(days=1)):
        if o.status == "failed":
            cadre = ctx.directory.get(o.userid)
            failed.append(FailedReminder(cadre.label if cadre is not None else o.userid, o.day, _kind_name(o.kind), o.error))
    return MissingReport(quarter, current, heading, units, missing, flags, failed)


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

"""`shiji import-roster`, `shiji roster template|export|import|sync|history` and
`shiji unknown-users`: the roster as an organisation department keeps it."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from bot.cli.db import missing_sqlite_file, open_database, operator_table
from bot.cli.ops import cli_actor
from bot.clock import Clock, clock_from_start
from bot.settings import Settings
from bot.startup_check import API_ONLY, refuse_unsafe
from bot.wecom.api import WeComClient, WeComError
from scoring.roster import BEGINNING
from storage.models import RosterChange
from storage.repos import Store
from storage.roster_import import (
    RosterError,
    apply_roster,
    parse_roster,
)
from storage.roster_sync import Member, SyncReport, compare, sync_rows
from storage.roster_table import EXAMPLE, NO, YES, label
from storage.roster_workbook import roster_rows, write_roster

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def effective_date(text: str) -> date:
    """`--effective 2026-10-01` (also 2026/10/1, 2026年10月1日); argparse shows the refusal."""
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"看不懂日期「{text}」，请写成 2026-10-01") from None


def _clock(settings: Settings) -> Clock:
    return clock_from_start(settings.clock.start)


def _print_problems(title: str, problems: list[str]) -> int:
    print(f"{title}（全部回退），共 {len(problems)} 处问题：", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 2


async def import_roster(settings: Settings, path: Path, effective: date | None = None) -> int:
    if (records := operator_table(path)) is None:
        return 2
    if missing_sqlite_file(settings) is not None:
        # A first import: a roster that cannot be imported must not leave an empty database
        # behind, which later commands would take for the district.
        try:
            parse_roster(records, set())
        except RosterError as exc:
            return _print_problems("名册未导入", exc.problems)
    async with open_database(settings) as sessions:
        try:
            async with sessions() as session, session.begin():
                known = {u.name for u in await Store(session).roster.units()}
                parsed = parse_roster(records, known)
                rows = parsed.rows
                now = _clock(settings).now()
                summary = await apply_roster(session, rows, now, effective, f"导入 {path.name}")
                await Store(session).audit.record(
                    cli_actor(), "roster.import",
                    f"{path.name}: {len(rows)} rows, {summary.cadres_created} new, {summary.cadres_updated} changed", now,
                )
        except RosterError as exc:
            return _print_problems("名册未导入", exc.problems)
    when = "首次导入，视为一直如此" if summary.effective == BEGINNING else f"自 {summary.effective} 起生效"
    print(
        f"名册已导入（{when}）：{len(rows)} 行，新建单位 {summary.units_created} 个，"
        f"新增 {summary.cadres_created} 人，变更 {summary.cadres_updated} 人，{summary.unchanged} 人无变化。"
        "运行中的机器人一分钟内生效。"
    )
    _print_remarks(parsed.notes, summary.warnings)
    return 0


def _print_remarks(notes: list[str], warnings: tuple[str, ...]) -> None:
    """After a successful import: rows skipped on purpose, then what may not be what was meant."""
    for note in notes:
        print(f"说明：{note}")
    for warning in warnings:
        print(f"注意：{warning}")


async def roster_template(settings: Settings, path: Path) -> int:
    write_roster(path, [EXAMPLE])
    print(f"已生成名册模板 {path}：第一行是示例（原样留着导入时会跳过），填好后运行 shiji import-roster {path.name}")
    return 0


async def roster_export(settings: Settings, path: Path) -> int:
    async with open_database(settings) as sessions:
        async with sessions() as session, session.begin():
            rows = await roster_rows(session)
            await Store(session).audit.record(cli_actor(), "roster.export", f"{path.name}: {len(rows)} people", _clock(settings).now())
    write_roster(path, rows)
    active = sum(1 for r in rows if r["active"] == YES)
    print(f"已导出 {len(rows)} 人（在职 {active} 人）到 {path}；修改后可用 shiji import-roster 导回。")
    return 0


def _describe(line: RosterChange, unit: str) -> dict[str, str]:
    return {
        "单位": unit, "角色": label("role", line.role), "职级": label("rank", line.rank) or "—",
        "职务": line.position or "—", "分管单位": line.oversees.replace(";", "、") or "—",
        "在职": YES if line.active else NO, "姓名": line.name,
    }


async def roster_history(settings: Settings, userid: str) -> int:
    async with open_database(settings) as sessions:
        async with sessions() as session:
            store = Store(session)
            lines = await store.roster.changes(userid)
            units = {u.id: u.name for u in await store.roster.units()}
    if not lines:
        print(f"名册中没有账号 {userid}。", file=sys.stderr)
        return 2
    print(f"{lines[-1].name}（{userid}）的名册记录：")
    before: dict[str, str] = {}
    for line in lines:
        now = _describe(line, units[line.unit_id])
        day = "建档时" if line.effective == BEGINNING else f"{line.effective} 起"
        if not before:
            what = "，".join(f"{k} {v}" for k, v in now.items() if k != "姓名")
        else:
            what = "；".join(f"{k} {before[k]} → {v}" for k, v in now.items() if before[k] != v) or "无变化"
        source = line.source or "初始名册"
        print(f"  {day}：{what}（{source}，记录于 {line.recorded_at.astimezone(_clock(settings).now().tzinfo):%Y-%m-%d %H:%M}）")
        before = now
    return 0


async def _read_address_book(settings: Settings) -> tuple[set[str], list[Member]]:
    """Departments and members the app may see, merged per member across departments."""
    wecom = settings.wecom
    async with aiohttp.ClientSession() as http:
        client = WeComClient(http, wecom.api_base, wecom.corp_id, wecom.secret, wecom.agent_id)
        departments = {int(d["id"]): str(d.get("name") or d["id"]) for d in await client.departments()}
        found: dict[str, tuple[dict[str, Any], list[str]]] = {}  # userid → (member, department names)
        for dept_id in sorted(departments):
            for user in await client.department_members(dept_id):
                _, names = found.setdefault(str(user["userid"]), (user, []))
                names.append(departments[dept_id])
    members = [
        Member(userid, str(u.get("name") or userid), tuple(names), str(u.get("position") or ""),
               int(u.get("status") or 1))
        for userid, (u, names) in found.items()
    ]
    return set(departments.values()), members


def _report_text(report: SyncReport, units: dict[int, tuple[str, str]]) -> list[str]:
    lines = [f"【企业微信有、名册没有】{len(report.new)} 人（角色、职级企业微信不提供，请在名册中补填后导入）："]
    lines += [f"  {m.name}（{m.userid}）部门：{'、'.join(m.departments)}{' 职务：' + m.position if m.position else ''}"
              for m in report.new]
    lines.append(f"【名册有、企业微信已没有】{len(report.gone)} 人（--apply 记为不在职，保留历史）：")
    lines += [f"  {c.name}（{c.userid}）{units[c.unit_id][0]}" for c in report.gone]
    lines.append(f"【姓名不一致】{len(report.renamed)} 人（--apply 改为企业微信中的姓名）：")
    lines += [f"  {c.userid}：名册「{c.name}」→ 企业微信「{name}」" for c, name in report.renamed]
    if report.proposals:
        lines.append("【可能是同一人，账号不同】请核对后在名册中改正账号（--apply 不处理）：")
        lines += [f"  名册 {p.name}（{p.roster_userid}，{p.unit}）↔ 企业微信 {p.wecom_userid}" for p in report.proposals]
    if report.moved:
        lines.append("【部门与名册单位不同】单位调动请用名册导入（角色、职级需一并确认）：")
        lines += [f"  {c.name}（{c.userid}）名册：{units[c.unit_id][0]}，企业微信：{'、'.join(d)}" for c, d in report.moved]
    if report.unchecked:
        lines.append("【未核对】这些单位在企业微信中没有应用可见的同名部门（请检查应用可见范围）："
                     + "、".join(sorted(report.unchecked)))
    return lines


async def roster_sync(settings: Settings, apply: bool, effective: date | None = None) -> int:
    if refuse_unsafe(settings, "shiji roster sync", API_ONLY):
        return 2
    try:
        departments, members = await _read_address_book(settings)
    except WeComError as exc:
        if exc.errcode is None:
            print(f"连不上企业微信（{settings.wecom.api_base}）：{exc.errmsg}。名册未改动。", file=sys.stderr)
            return 2
        hint = "请在企业微信管理后台把本应用的可见范围设为需要核对的单位" if exc.errcode == 60011 else "请稍后再试"
        print(f"读取企业微信通讯录失败（{exc.errcode}：{exc.errmsg}）：{hint}。名册未改动。", file=sys.stderr)
        return 2
    except aiohttp.ClientError as exc:
        # The type alone: aiohttp's message holds the URL, and the URL the secret or token.
        print(f"连不上企业微信（{settings.wecom.api_base}）：{type(exc).__name__}。名册未改动。", file=sys.stderr)
        return 2
    async with open_database(settings) as sessions:
        async with sessions() as session, session.begin():
            store = Store(session)
            units = {u.id: (u.name, u.category) for u in await store.roster.units() if u.id is not None}
            report = compare(await store.roster.cadres(), {k: v[0] for k, v in units.items()}, departments, members)
            print(f"企业微信通讯录：{len(departments)} 个部门、{len(members)} 人（应用可见范围内）。")
            print("\n".join(_report_text(report, units)))
            oversees = {k: tuple(v) for k, v in (await store.roster.oversees_names()).items()}
            rows = sync_rows(report, units, oversees)
            if not apply or not rows:
                print("以上仅为差异，名册未改动；确认后加 --apply 写入。" if rows else "没有需要写入的变化。")
                return 0
            try:
                summary = await apply_roster(session, rows, _clock(settings).now(), effective, "企业微信同步")
            except RosterError as exc:
                return _print_problems("同步未写入", exc.problems)
            await store.audit.record(cli_actor(), "roster.sync", f"{summary.cadres_updated} changed", _clock(settings).now())
    print(f"已写入（自 {summary.effective} 起生效）：{summary.cadres_updated} 人变更。")
    _print_remarks([], summary.warnings)
    return 0



async def unknown_users(settings: Settings) -> int:
    async with open_database(settings) as sessions:
        async with sessions() as session:
            rows = await Store(session).unknown_users.all()
    if not rows:
        print("没有名册外用户联系过机器人。")
    for row in rows:
        print(f"{row.userid}\t{row.attempts} 次\t最近 {row.last_seen:%Y-%m-%d %H:%M}\t{row.last_text}")
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """`shiji roster ACTION …`."""
    actions = {
        "template": lambda: roster_template(settings, args.file),
        "export": lambda: roster_export(settings, args.file),
        "import": lambda: import_roster(settings, args.file, args.effective),
        "sync": lambda: roster_sync(settings, args.apply, args.effective),
        "history": lambda: roster_history(settings, args.userid),
    }
    return await actions[args.action]()

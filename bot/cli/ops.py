"""`shiji audit`, `shiji backup` and `shiji restore`, and who a command's actions are recorded as."""

from __future__ import annotations

import asyncio
import getpass
import sys
from datetime import timedelta
from pathlib import Path

from bot.calendar import build_calendar
from bot.cli.db import in_words, open_database
from bot.clock import SHANGHAI, clock_from_start
from bot.settings import Settings
from handlers.base import Ctx
from storage.backup import BackupError, backup_sqlite, restore_sqlite, sqlite_path, table_rows
from storage.directory import Directory
from storage.repos import Store


async def cli_ctx(settings: Settings, store: Store) -> Ctx:
    """The context of a command run on the server: the roster, calendar and clock of now,
    recorded in the audit trail as the operator (`cli_actor`)."""
    directory = Directory(
        await store.roster.units(), await store.roster.cadres(), await store.roster.oversight(),
        await store.roster.first_import(),
    )
    calendar = build_calendar(await store.calendar.loaded())
    now = clock_from_start(settings.clock.start).now()
    return Ctx.office(cli_actor(), store, settings.rules, directory, calendar, now)


def cli_actor() -> str:
    """Who ran a command, for the audit trail: the operator's login on this machine."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


async def audit(settings: Settings, days: int) -> int:
    """`shiji audit [--days N]`: admin actions, newest first."""
    since = clock_from_start(settings.clock.start).now() - timedelta(days=days)
    async with open_database(settings) as sessions:
        async with sessions() as session:
            events = await Store(session).audit.recent(since, limit=10_000)
    if not events:
        print(f"最近 {days} 天没有管理操作记录。")
    for event in events:
        print(f"{event.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}\t{event.actor}\t{event.action}\t{event.detail}")
    return 0


async def backup(settings: Settings, target: Path) -> int:
    """`shiji backup PATH`: an online copy of the SQLite database, checked before it is named."""
    source = sqlite_path(settings.database.url)
    if source is None:
        print("PostgreSQL 请用 pg_dump 备份（见 README「备份」）；shiji backup 只复制 SQLite 数据库。", file=sys.stderr)
        return 2
    try:
        report = await asyncio.to_thread(backup_sqlite, source, target)
    except BackupError as exc:
        print(f"未备份：{exc}", file=sys.stderr)
        return 2
    rows = sum(report.rows.values())
    print(f"已备份到 {report.path}：校验通过，结构版本 {report.revision}，{len(report.rows)} 张表共 {rows} 行。")
    during = report.open_ballots
    if during:
        print(during_round_warning(during), file=sys.stderr)
    async with open_database(settings) as sessions:
        async with sessions() as session, session.begin():
            detail = str(report.path) + (f" (during {', '.join(during)})" if during else "")
            await Store(session).audit.record(cli_actor(), "backup", detail, clock_from_start(settings.clock.start).now())
    return 0


async def restore(settings: Settings, backup: Path) -> int:
    """`shiji restore BACKUP`: the SQLite database replaced by a checked backup, the bot stopped."""
    target = sqlite_path(settings.database.url)
    if target is None:
        print("PostgreSQL 请用 pg_restore 恢复（见 README「备份与恢复」）；shiji restore 只恢复 SQLite 数据库。", file=sys.stderr)
        return 2
    try:
        report = await asyncio.to_thread(restore_sqlite, backup, target)
    except BackupError as exc:
        print(f"未恢复：{exc}", file=sys.stderr)
        return 2
    # Opened as the bot opens it (migrated to this version if the backup is older), and counted.
    async with open_database(settings) as sessions:
        async with sessions() as session, session.begin():
            rows = await table_rows(session)
            await Store(session).audit.record(
                cli_actor(), "restore", f"{backup.name} → {target.name}", clock_from_start(settings.clock.start).now()
            )
    print(
        f"已从 {backup} 恢复到 {target}：校验通过（备份的结构版本 {report.revision}），"
        f"{in_words(rows)}。请核对无误后再启动机器人。"
    )
    return 0


def during_round_warning(during: tuple[str, ...]) -> str:
    """Said, not refused: a nightly backup job that stopped for a round's two weeks would
    leave the district without backups exactly while most is being entered."""
    return (
        f"⚠️ 注意：{'、'.join(during)} 正在进行中。本备份含有尚未提交的草稿评分（谁给谁打了多少分），"
        "评分关闭后数据库中不再有这种对应，但本备份里一直都有。请把它当作评分本身保管（只放在仅考核办可读的位置），"
        "评分关闭后另做一次备份，并删除本备份及其所有副本。\n"
        f"Warning: {', '.join(during)} is open; this backup holds rater-linked draft scores. "
        "Keep it as secret as the ballots, back up again after the close and delete this copy."
    )

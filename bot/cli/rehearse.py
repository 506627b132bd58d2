"""`shiji rehearse [--db PATH | --db-url URL] [--at TIME]`: an operator rehearses their own
district before go-live, on a copy of its database, with the demo's page, movable clock and
`shiji chat`.

The copy is made by SQLite's online backup (storage/backup.py), so it is one committed state
even while their bot runs, and the original is only ever read. The rehearsal uses the demo's
published WeCom app (bot/demo/credentials.py): it talks only to the loopback stand-in, never
to their real WeCom. Their admins stay admins, so they rehearse as themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.clock import SHANGHAI
from bot.demo.credentials import demo_settings
from bot.demo.run import running_rehearsal, with_sections
from bot.settings import Settings
from storage.backup import BackupError, backup_sqlite, sqlite_path

REHEARSALS = Path("data")
POSTGRES_ADVICE = (
    "当前配置的是 PostgreSQL：演练会写入数据，不能在正式库上进行。请先用 pg_dump 导出、pg_restore 导入一个临时库，"
    "再运行 shiji rehearse --db-url postgresql+asyncpg://…/临时库名；或用 --db 指定一份 SQLite 数据库文件。"
)
LIVE_DATABASE = (
    "--db-url 指向的正是机器人使用的数据库：演练会写入数据，不能在正式库上进行。"
    "请先用 pg_dump 导出、pg_restore 导入一个临时库，再指向该临时库。"
)
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
NOT_POSTGRES = "--db-url 只用于 PostgreSQL 临时库；SQLite 数据库请用 --db 指定文件，演练会在它的副本上进行。"


def moment(text: str) -> datetime:
    """`2027-01-04T09:00+08:00`, or without the offset in Beijing time."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"看不懂时间「{text}」，请写成 2027-01-04T09:00+08:00") from None
    return when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when.astimezone(SHANGHAI)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    part = sub.add_parser("rehearse", help="rehearse your own district on a copy of its SQLite database: page, clock, chat")
    source = part.add_mutually_exclusive_group()
    source.add_argument("--db", type=Path, help="the SQLite database to copy (default: the configured one)")
    source.add_argument("--db-url", help="a scratch PostgreSQL database (pg_dump → pg_restore) to rehearse on as it is")
    part.add_argument("--at", type=moment, help="where the clock starts, e.g. 2027-01-04T09:00+08:00 (default: now)")


def copy_for_rehearsal(settings: Settings, db: Path | None, now: datetime) -> Path:
    """A private copy of the database to rehearse on, in data/; the original is only read."""
    source = db if db is not None else sqlite_path(settings.database.url)
    if source is None:
        raise BackupError(POSTGRES_ADVICE)
    REHEARSALS.mkdir(parents=True, exist_ok=True)
    try:
        return backup_sqlite(source, REHEARSALS / f"rehearsal-{now:%Y%m%d-%H%M%S}.db").path
    except sqlite3.DatabaseError as exc:  # --db named some other file
        raise BackupError(f"{source} 不是 shiji 的 SQLite 数据库（{exc}）；请用 --db 指定机器人的数据库文件。") from None


def scratch_database(settings: Settings, url: str) -> str:
    """A PostgreSQL database to rehearse on in place: never the one the bot uses."""
    try:
        scratch, live = make_url(url), make_url(settings.database.url)
    except ArgumentError:
        raise BackupError(f"看不懂数据库地址「{url}」，请写成 postgresql+asyncpg://用户@主机:端口/临时库名") from None
    if scratch.get_backend_name() != "postgresql":
        raise BackupError(NOT_POSTGRES)
    if live.get_backend_name() == "postgresql" and _server_and_name(scratch) == _server_and_name(live):
        raise BackupError(LIVE_DATABASE)
    return url


def _server_and_name(url: URL) -> tuple[str, int, str | None]:
    """Which database a PostgreSQL URL names, however its host is spelled on this machine."""
    host = (url.host or "localhost").lower()
    return ("localhost" if host in LOOPBACK_NAMES else host), url.port or 5432, url.database


def rehearsal_settings(settings: Settings, database_url: str) -> Settings:
    """The demo's WeCom app on the stand-in, on the copy, with the operator's own admins."""
    return with_sections(
        demo_settings(settings),
        database={"url": database_url},
        admin={"userids": list(settings.admin.userids)},
    )


async def rehearse(settings: Settings, db: Path | None, at: datetime | None, db_url: str | None = None) -> int:
    now = datetime.now(SHANGHAI)
    try:
        if db_url is not None:
            url = scratch_database(settings, db_url)
            where = f"临时库 {make_url(url).database}（用完可删除）"  # its name, not its password
        else:
            copy = copy_for_rehearsal(settings, db, now)
            url, where = f"sqlite+aiosqlite:///{copy}", f"数据库副本 {copy}（原数据库不会被改动；用完可删除该副本）"
    except BackupError as problem:
        print(problem, file=sys.stderr)
        return 2
    rehearsal = rehearsal_settings(settings, url)
    async with running_rehearsal(rehearsal, at or now) as running:
        print(banner(settings, where, running.page_url), flush=True)
        await asyncio.Event().wait()
    return 0


def banner(settings: Settings, where: str, page_url: str) -> str:
    """What the operator reads once the rehearsal runs: where it writes, the page, and the exact
    `shiji chat` line — with the same settings file, since the page's port comes from it."""
    admins = settings.admin.userids
    toml_path = type(settings).toml_path
    config = f" --config {toml_path.resolve()}" if toml_path is not None else ""
    program = sys.argv[0] if Path(sys.argv[0]).name == "shiji" else "shiji"
    return (
        f"演练已启动，使用的是{where}。\n"
        f"在浏览器中打开：{page_url}（顶部拨动机器人时间，左侧选择身份）\n"
        f"也可在另一个终端对话：{program}{config} chat --as {admins[0] if admins else 'USERID'}"
        + ("" if admins else "\n注意：设置中没有 [admin] userids，演练中没有管理员。")
    )

"""`shiji rehearse [--db PATH] [--at TIME]`: an operator rehearses their own district before
go-live, on a copy of its database, with the demo's page, movable clock and `shiji chat`.

The copy is made by SQLite's online backup (storage/backup.py), so it is one committed state
even while their bot runs, and the original is only ever read. The rehearsal uses the demo's
published WeCom app (bot/demo/credentials.py): it talks only to the loopback stand-in, never
to their real WeCom. Their admins stay admins, so they rehearse as themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.clock import SHANGHAI
from bot.demo.credentials import demo_settings
from bot.demo.run import running_rehearsal, with_sections
from bot.settings import Settings
from storage.backup import BackupError, backup_sqlite, sqlite_path

REHEARSALS = Path("data")
POSTGRES_ADVICE = (
    "演练需要一份 SQLite 数据库：当前配置的是 PostgreSQL，请用 --db 指定一份 SQLite 数据库文件；"
    "PostgreSQL 的数据可先用 pg_dump 导入一个临时库，在另一份配置中指向它再演练。"
)


def moment(text: str) -> datetime:
    """`2027-01-04T09:00+08:00`, or without the offset in Beijing time."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"看不懂时间「{text}」，请写成 2027-01-04T09:00+08:00") from None
    return when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when.astimezone(SHANGHAI)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    part = sub.add_parser("rehearse", help="rehearse your own district on a copy of its SQLite database: page, clock, chat")
    part.add_argument("--db", type=Path, help="the SQLite database to copy (default: the configured one)")
    part.add_argument("--at", type=moment, help="where the clock starts, e.g. 2027-01-04T09:00+08:00 (default: now)")


def copy_for_rehearsal(settings: Settings, db: Path | None, now: datetime) -> Path:
    """A private copy of the database to rehearse on, in data/; the original is only read."""
    source = db if db is not None else sqlite_path(settings.database.url)
    if source is None:
        raise BackupError(POSTGRES_ADVICE)
    REHEARSALS.mkdir(parents=True, exist_ok=True)
    return backup_sqlite(source, REHEARSALS / f"rehearsal-{now:%Y%m%d-%H%M%S}.db").path


def rehearsal_settings(settings: Settings, copy: Path) -> Settings:
    """The demo's WeCom app on the stand-in, on the copy, with the operator's own admins."""
    return with_sections(
        demo_settings(settings),
        database={"url": f"sqlite+aiosqlite:///{copy}"},
        admin={"userids": list(settings.admin.userids)},
    )


async def rehearse(settings: Settings, db: Path | None, at: datetime | None) -> int:
    now = datetime.now(SHANGHAI)
    try:
        copy = copy_for_rehearsal(settings, db, now)
    except BackupError as problem:
        print(problem, file=sys.stderr)
        return 2
    rehearsal = rehearsal_settings(settings, copy)
    async with running_rehearsal(rehearsal, at or now) as running:
        admins = rehearsal.admin.userids
        as_whom = admins[0] if admins else "USERID"
        print(
            f"演练已启动，使用的是数据库副本 {copy}（原数据库不会被改动；演练结束后可删除该副本）。\n"
            f"在浏览器中打开：{running.page_url}（顶部拨动机器人时间，左侧选择身份）\n"
            f"也可在终端对话：.venv/bin/shiji chat --as {as_whom}"
            + ("" if admins else "\n注意：设置中没有 [admin] userids，演练中没有管理员。"),
            flush=True,
        )
        await asyncio.Event().wait()
    return 0

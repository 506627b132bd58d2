"""`shiji db upgrade|status`, and the migrated database every other command opens."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.backup import sqlite_path, table_rows
from storage.db import after_commit_of, create_engine, current_revision, migrate, session_factory
from storage.erasure import ERASURE_DUE, Eraser
from storage.roster_import import UnreadableTable, read_table


def operator_table(path: Path) -> list[dict[str, str]] | None:
    """The rows of a file the operator hands in (roster, unit results, raters, 奖惩), or None
    once it has said in one line why the file cannot be read."""
    try:
        return read_table(path)
    except UnreadableTable as exc:
        print(f"无法读取：{exc}", file=sys.stderr)
        return None


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database for one CLI command, disposed afterwards.

    A command that closed a round (`shiji round close`) erases its leftovers before exiting.
    """
    engine = create_engine(settings.database.url)
    erasures: list[bool] = []
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        after_commit_of(sessions, ERASURE_DUE, lambda: erasures.append(True))
        yield sessions
        if erasures:
            await Eraser(engine).erase()
    finally:
        await engine.dispose()


def missing_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file the settings name, if it does not exist (None otherwise)."""
    path = sqlite_path(settings.database.url)
    return path if path is not None and not path.exists() else None


def database_left_behind(settings: Settings) -> str | None:
    """Why not to open the database the settings name, if the data is elsewhere: a relative
    SQLite path used to be read against the current directory (systemd's WorkingDirectory),
    and is now read against the settings file's folder. Opening the new place would start an
    empty district while the real one sits where it was."""
    path, before = sqlite_path(settings.database.url), type(settings).sqlite_in_current_folder
    if path is None or before is None or path.exists() or not before.exists() or before.resolve() == path.resolve():
        return None
    return (
        f"数据库 {path} 不存在，而 {before} 存在：设置里的相对路径现在按设置文件 {type(settings).toml_path} "
        f"所在的文件夹解析。请把 [database] url 改成绝对路径 sqlite+aiosqlite:///{before.resolve()}"
        "（或把数据库移过去），再重试。"
    )


async def db_upgrade(settings: Settings) -> int:
    async with open_database(settings):
        pass
    print("数据库已升级到最新结构。")
    return 0


def in_words(rows: dict[str, int]) -> str:
    """The figures an operator recognises, from `table_rows`."""
    return f"干部 {rows['cadre']} 人，日志 {rows['dailylog']} 篇，评分轮次 {rows['rating_round']} 个"


async def db_status(settings: Settings) -> int:
    """`shiji db status`: the schema version and every table's rows, the same on both databases;
    kept beside each backup, it is what a restore is checked against (README, "Backups")."""
    engine = create_engine(settings.database.url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session:
            rows = await table_rows(session)
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    print(f"结构版本 {revision}：{in_words(rows)}")
    for name, count in rows.items():
        print(f"{name}\t{count}")
    return 0

"""`shiji restore` (SQLite) and the documented pg_dump / pg_restore steps (PostgreSQL): what an
operator does the morning the database is lost, and what they must be able to trust after."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.cli import calendar, db, ops, roster, rounds
from bot.settings import load_settings
from storage.backup import sqlite_path
from storage.metadata import metadata
from tests.conftest import PG_ADMIN_URL, SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, running_bot

WU = "chengguan_wuhao"
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def count(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


async def test_restore_puts_the_backup_back_checked_private_and_counted(sqlite_url, clock, tmp_path, capsys):
    backup = tmp_path / "backup" / "shiji-2026-11-23.db"
    backup.parent.mkdir()
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        assert await ops.backup(h.settings, backup) == 0
        clock.advance(days=1)
        await h.say(WU, LOG + "，第二天")  # after the backup: the restore takes it away
        await h.say("stranger", "你好")
        settings = h.settings
    database = sqlite_path(settings.database.url)
    assert database is not None
    assert count(database, "dailylog") == 2
    assert mode(backup) == 0o600
    capsys.readouterr()

    assert await ops.restore(settings, backup) == 0
    out = capsys.readouterr().out
    assert f"已从 {backup} 恢复到 {database}：校验通过" in out
    assert "干部 25 人，日志 1 篇，评分轮次 0 个" in out
    assert mode(database) == 0o600
    assert count(database, "dailylog") == 1 and count(database, "unknown_user") == 0
    assert sqlite3.connect(database).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list(database.parent.glob(".*restoring*"))
    assert count(backup, "dailylog") == 1  # the backup itself is untouched, usable again

    async with running_bot(sqlite_url, clock, None) as h:  # the bot runs on the restored database
        assert "已记录" in await h.say(WU, LOG + "，恢复后补记")
        assert await ops.audit(h.settings, 30) == 0
        assert "\trestore\tshiji-2026-11-23.db → shiji.db" in capsys.readouterr().out


async def test_restore_refuses_while_a_bot_has_the_database_open(sqlite_url, clock, tmp_path):
    """A bot just started, or idle between messages, still has the database: `shiji restore`
    run by the operator in another process is refused, and the bot goes on as if nothing happened."""
    backup = tmp_path / "b.db"
    shiji = Path(sys.executable).with_name("shiji")
    env = {**os.environ, "SHIJI_DATABASE__URL": sqlite_url}

    async def restore_elsewhere() -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run, [str(shiji), "restore", str(backup)], env=env, capture_output=True, text=True, timeout=60,
        )

    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        assert await ops.backup(h.settings, backup) == 0
        for _ in range(2):  # before its first message, and after one
            run = await restore_elsewhere()
            assert run.returncode == 2, run.stdout + run.stderr
            assert "正在被使用：请先停止机器人" in run.stderr and "数据库未改动" in run.stderr
            assert "已记录" in await h.say(WU, LOG) or "已更新" in await h.say(WU, "修改 " + LOG + "，又补充一句")
        # Nothing was replaced under the running bot: what it stored is still there.
        database = sqlite_path(h.settings.database.url)
        assert database is not None and count(database, "dailylog") == 1
    assert (await restore_elsewhere()).returncode == 0  # stopped, it may


async def test_restore_refuses_a_damaged_or_foreign_backup_and_keeps_the_database(sqlite_url, clock, tmp_path, capsys):
    good = tmp_path / "good.db"
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        assert await ops.backup(h.settings, good) == 0
        settings = h.settings
    database = sqlite_path(settings.database.url)
    assert database is not None
    before = database.read_bytes()

    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    newer = tmp_path / "newer.db"
    shutil.copy(good, newer)
    db = sqlite3.connect(newer)
    db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    db.commit()
    db.close()
    text = tmp_path / "notes.db"
    text.write_text("这不是数据库", encoding="utf-8")
    capsys.readouterr()
    for backup, says in [
        (truncated, "无法读取：database disk image is malformed（truncated.db）；请换一份备份再恢复"),
        (newer, "是更新版本的 shiji 写的"),
        (text, "无法读取：file is not a database（notes.db）"),
        (tmp_path / "missing.db", "不存在"),
    ]:
        assert await ops.restore(settings, backup) == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert database.read_bytes() == before


async def test_restore_replaces_a_database_that_no_longer_opens(sqlite_url, clock, tmp_path, capsys):
    """The usual reason to restore: the database file is damaged."""
    backup = tmp_path / "b.db"
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        assert await ops.backup(h.settings, backup) == 0
        settings = h.settings
    database = sqlite_path(settings.database.url)
    assert database is not None
    database.write_bytes(b"\0" * 4096)
    wal = database.with_name(database.name + "-wal")
    wal.write_bytes(b"stale")
    assert await ops.restore(settings, backup) == 0
    assert "干部 25 人" in capsys.readouterr().out
    assert not wal.exists()


async def test_restore_says_postgresql_is_pg_restore(capsys):
    from bot.settings import load_settings

    pg = load_settings(None, database={"url": "postgresql+asyncpg://u@h/db"})
    assert await ops.restore(pg, Path("x.dump")) == 2
    assert "pg_restore" in capsys.readouterr().err


# The README's PostgreSQL steps, exactly: a custom-format dump readable by its owner only, and a
# restore that replaces every table in one transaction, stopping at the first error.
PG_DUMP = ["pg_dump", "-Fc", "-f"]  # FILE DBURL
PG_RESTORE = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", "-d"]


@asynccontextmanager
async def another_database() -> AsyncIterator[str]:
    """A second database on the test server, dropped afterwards (the fixtures' way)."""
    import asyncpg

    name = f"shiji_r_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield name
    finally:
        admin = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def libpq(url: str) -> str:
    """The URL pg_dump and pg_restore take, from the bot's SQLAlchemy one."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def table_counts(url: str) -> dict[str, int]:
    import asyncpg

    connection = await asyncpg.connect(libpq(url))
    try:
        counts = {name: await connection.fetchval(f'SELECT count(*) FROM "{name}"') for name in sorted(metadata.tables)}
        counts["alembic_version"] = await connection.fetchval("SELECT count(*) FROM alembic_version")
        return counts
    finally:
        await connection.close()


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, umask=0o077)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_postgresql_dump_restores_with_no_error_over_a_live_schema_and_matches(db_url, tmp_path, clock, capsys):
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    settings = load_settings(
        None, database={"url": db_url}, admin={"userids": [ADMIN]}, clock={"start": "2027-01-04T09:30:00+08:00"},
    )
    # A district at work: roster, calendar, a round opened (cards, outbox bodies, sequences).
    assert await roster.import_roster(settings, SAMPLE_ROSTER) == 0
    assert await calendar.calendar_load(settings, SAMPLE_2027) == 0
    assert await rounds.rating_round(settings, "open", "2026Q4") == 0
    clock.set(at("2027-01-04 10:00"))
    async with running_bot(db_url, clock, None) as h:
        assert "已记录" in await h.say(WU, LOG)
    dump = tmp_path / "shiji.dump"
    made = await asyncio.to_thread(run, [*PG_DUMP, str(dump), libpq(db_url)])
    assert made.returncode == 0, made.stderr
    assert mode(dump) == 0o600
    source = await table_counts(db_url)
    capsys.readouterr()
    assert await db.db_status(settings) == 0  # what the operator keeps beside the dump
    status = capsys.readouterr().out
    assert status.splitlines()[0].endswith("干部 25 人，日志 1 篇，评分轮次 1 个") and "\nrating_assignment\t" in status
    assert source["cadre"] == 25 and source["dailylog"] == 1 and source["rating_assignment"] > 0

    host = db_url.rsplit("/", 1)[0]
    async with another_database() as live:
        # The database the bot ran on, still there with its schema and other rows: the old
        # README line (`pg_restore -d shiji FILE`) fails on every object that already exists.
        live_url = f"{host}/{live}"
        other = load_settings(None, database={"url": live_url}, clock={"start": "2026-11-23T10:00:00+08:00"})
        assert await roster.import_roster(other, SAMPLE_ROSTER) == 0
        capsys.readouterr()
        naive = await asyncio.to_thread(run, ["pg_restore", "-d", libpq(live_url), str(dump)])
        assert "errors ignored on restore" in naive.stderr
        restored = await asyncio.to_thread(run, [*PG_RESTORE, libpq(live_url), str(dump)])
        assert (restored.returncode, restored.stderr) == (0, "")
        assert await table_counts(live_url) == source
        assert await db.db_status(other) == 0
        assert capsys.readouterr().out == status
        # The bot opens it and goes on: the next rows take ids after the restored ones.
        async with running_bot(live_url, clock, None) as h:
            assert "已记录" in await h.say("chengguan_zhengli", LOG)
            assert "已更新" in await h.say(WU, "修改 " + LOG + "，又补充一句")
        assert (await table_counts(live_url))["dailylog"] == 2

    async with another_database() as empty:  # a new server: the same command, into an empty database
        empty_url = f"{host}/{empty}"
        restored = await asyncio.to_thread(run, [*PG_RESTORE, libpq(empty_url), str(dump)])
        assert (restored.returncode, restored.stderr) == (0, "")
        assert await table_counts(empty_url) == source

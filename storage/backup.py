"""`shiji backup` and `shiji restore`: SQLite copies, checked, readable by their owner only.

SQLite's online backup API copies page by page and restarts if a writer changes a page
underway, so the copy is one committed state, never a torn file (copying the .db file alone
would miss what is still in the WAL). The copy is then opened as a restore would open it.
A restore checks the backup the same way, takes the database from no running bot, and puts
the copy in place by rename, so the database is either the old one or the whole backup.
PostgreSQL is backed up with pg_dump and restored with pg_restore (README, "Backups").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import alembic_config
from storage.metadata import metadata

# Backups and restored databases hold every log and score: their owner alone reads them.
PRIVATE = 0o600


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupReport:
    path: Path
    revision: str
    rows: dict[str, int]  # table → row count, read back from the copy
    # Rounds and evaluations open in the copy ("2026Q4", "2026年度民主测评"): it holds their
    # rater-linked drafts, which the close erases from the database but not from the copy.
    open_ballots: tuple[str, ...] = ()


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL; None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def backup_sqlite(source: Path, target: Path) -> BackupReport:
    """Copy `source` to `target` (which must not exist) and check the copy opens whole."""
    if target.exists():
        raise BackupError(f"{target} 已存在，不会覆盖；请换一个文件名。")
    if not target.parent.is_dir():
        raise BackupError(f"目标文件夹 {target.parent} 不存在：请先建好它（mkdir -p），或换一个已有的文件夹。")
    if not source.exists():
        raise BackupError(f"数据库文件 {source} 不存在。")
    partial = target.with_name(target.name + ".partial")
    try:
        _copy(source, partial)
        report = check_copy(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)  # only a checked copy gets the name
    _sync_directory(target.parent)
    return BackupReport(target, report.revision, report.rows, report.open_ballots)


def restore_sqlite(backup: Path, target: Path) -> BackupReport:
    """Put a checked copy of `backup` in place of the database `target`, while no bot uses it.

    The copy is written next to the target, synced, and renamed over it; the old database's
    -wal and -shm go first, or SQLite would replay the old log into the restored file."""
    if not backup.is_file():
        raise BackupError(f"备份文件 {backup} 不存在。")
    try:
        checked = check_copy(backup)
    except BackupError as exc:
        raise BackupError(f"{exc}（{backup.name}）；请换一份备份再恢复。数据库未改动。") from None
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if checked.revision not in known:
        raise BackupError(
            f"备份的结构版本 {checked.revision} 是更新版本的 shiji 写的，本版本不认识；请用写出它的版本恢复。数据库未改动。"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    with _unused(target):
        try:
            partial.unlink(missing_ok=True)  # left by an interrupted restore
            _copy(backup, partial)
            for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
                leftover.unlink(missing_ok=True)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _sync_directory(target.parent)
    restored = check_copy(target)
    if restored.rows != checked.rows:  # cannot happen short of a failing disk; say so if it does
        raise BackupError(f"恢复后的数据库与备份不一致：{restored.rows} ≠ {checked.rows}")
    return restored


@contextlib.contextmanager
def _unused(database: Path) -> Iterator[None]:
    """Hold `database` exclusively (no other connection, idle ones included, may be open), or
    refuse: replacing the file under a running bot would lose what it writes next."""
    if not database.exists():
        yield
        return
    lock = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        try:
            lock.execute("PRAGMA locking_mode = EXCLUSIVE")
            lock.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise BackupError(
                f"数据库 {database} 正在被使用：请先停止机器人（systemctl stop shiji，或结束 shiji serve），"
                "再恢复。数据库未改动。"
            ) from None
        except sqlite3.DatabaseError:
            pass  # not a database any more (often why one restores): no bot can be using it
        yield
    finally:
        lock.close()


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of `source` at the new path `target`, mode 0600, on disk when it returns."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=1024)  # in steps, so the bot's writers get the lock between them
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
    finally:
        src.close()
    with open(target, "rb+") as written:
        os.fsync(written.fileno())


def _sync_directory(directory: Path) -> None:
    """A rename is durable only once the directory holding it is synced."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_copy(path: Path) -> BackupReport:
    """Open a copy as a restore would: integrity, schema revision, every table readable."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"副本校验失败：{verdict}")
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        rows = {
            name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # names from our metadata, not input
            for name in sorted(metadata.tables)
        }
        rounds = [q for (q,) in db.execute("SELECT quarter FROM rating_round WHERE status = 'open' ORDER BY quarter")]
        evaluations = [f"{y}年度民主测评" for (y,) in db.execute("SELECT year FROM year_eval WHERE status = 'open' ORDER BY year")]
    except sqlite3.Error as exc:
        raise BackupError(f"副本无法读取：{exc}") from None
    finally:
        db.close()
    return BackupReport(path, revision, rows, tuple(rounds + evaluations))


async def table_rows(session: AsyncSession) -> dict[str, int]:
    """Rows of every table, by name: what a restored database is compared with its backup by."""
    return {
        name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
        for name, table in sorted(metadata.tables.items())
    }

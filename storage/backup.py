"""`shiji backup`: a consistent copy of the SQLite database while the bot keeps running.

SQLite's online backup API copies page by page and restarts if a writer changes a page
underway, so the copy is one committed state, never a torn file (copying the .db file alone
would miss what is still in the WAL). The copy is then opened as a restore would open it.
PostgreSQL is backed up with pg_dump (README, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import create_owner_only
from storage.metadata import metadata


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
    if not source.exists():
        raise BackupError(f"数据库文件 {source} 不存在。")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)  # a crashed run's leftover, never named: start afresh
    create_owner_only(partial)  # 0600 before a byte is copied: the copy is the whole database
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=1024)  # in steps, so the bot's writers get the lock between them
            # One self-contained file: a WAL-mode copy would grow -wal/-shm files beside it
            # when opened (the check below), left behind under the .partial name.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    try:
        report = check_copy(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)  # only a checked copy gets the name
    return BackupReport(target, report.revision, report.rows, report.open_ballots)


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

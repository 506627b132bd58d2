"""Issue 27 §2: a scheduled job that meets a busy SQLite database waits or retries; it is
never lost. The demo's long clock jumps showed rating-remind and year-eval-remind failing with
`database is locked`: another connection of the process (the outbox sender marking what it
sent) committed between the job's reads and its first write, so SQLite refused the write of
a transaction whose snapshot had gone stale, at once and without waiting. The same happens in
production on SQLite, whenever the sender or a CLI command writes while a job runs.

Here a real second connection holds the write lock on the database file while the job runs
and releases it, committing its own write, as the job goes to write."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, make_url

from bot.clock import ManualClock
from scheduler.jobs import run_job
from scheduler.registry import all_jobs
from tests.conftest import SAMPLE_2027, at
from tests.harness import ADMIN, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
t_c,陈勤,测试镇,township,staff,general,科员,
"""
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")


class LockHolder:
    """Another connection to the same file (the outbox sender's, a CLI command's) that holds
    the write lock with a write of its own not yet committed, and commits it the moment the
    bot's connection goes to write."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("PRAGMA user_version = 27")  # a real write: a new page in the WAL
        self.held = True

    def release_when_writing(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.held and statement.lstrip().upper().startswith(WRITES):
            self.connection.execute("COMMIT")
            self.held = False

    def close(self) -> None:
        if self.held:
            self.connection.execute("ROLLBACK")
        self.connection.close()


@pytest.mark.parametrize(("opening", "job_id", "reminder"), [
    ("开启评分 2026Q4", "rating-remind", "评分提醒"),
    ("开启测评 2026", "year-eval-remind", "民主测评提醒"),
])
async def test_a_reminder_job_that_meets_a_locked_database_still_reminds_everyone(
    sqlite_url: str, tmp_path: Path, opening: str, job_id: str, reminder: str
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(sqlite_url, clock, roster, (SAMPLE_2027,), logs={"start_date": "2026-10-01"}) as h:
        assert "已开启" in await h.say(ADMIN, opening)
        await h.drain()
        clock.set(at("2027-01-06 10:00"))  # the next day's reminder: nobody has handed in
        job = next(j for j in all_jobs() if j.id == job_id)
        path = Path(make_url(sqlite_url).database or "")
        holder = LockHolder(path)
        event.listen(h.runtime.engine.sync_engine, "before_cursor_execute", holder.release_when_writing)
        try:
            assert await run_job(job, h.runtime.jobs, clock.now())
        finally:
            event.remove(h.runtime.engine.sync_engine, "before_cursor_execute", holder.release_when_writing)
            holder.close()
        assert not holder.held, "the job never went to write while the lock was held"
        assert await h.drain() > 0
        reminded = {u for u in ("t_leader", "t_a", "t_b", "t_c") if any(reminder in t for t in h.standin.texts_for(u))}
        assert reminded == {"t_leader", "t_a", "t_b", "t_c"}

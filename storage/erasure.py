"""Physically erase what a closed round leaves behind outside its live rows (README, security).

Deleting a draft or rewriting a score row removes it from the tables, not from the files:
- SQLite keeps every committed page image in the WAL until a checkpoint copies it into the
  database file and the WAL is truncated; replayed commit by commit, those frames show each
  ballot's rows appearing with its hand-in. `secure_delete` zeroes deleted rows in the
  database file only. So after a close: `wal_checkpoint(TRUNCATE)`.
- PostgreSQL keeps updated and deleted rows as dead tuples in the table's pages, and plain
  VACUUM marks their space free without overwriting it; a dead score row keeps the `xmin` of
  the hand-in that wrote it. So the ballot tables are written anew (`_rewrite`): live rows
  only, shuffled, all under the rewrite's xmin.

Both need the database to themselves for a moment (a checkpoint waits for readers of older
snapshots, the rewrite for an ACCESS EXCLUSIVE lock), so an attempt never waits: it is
retried with backoff for a bounded time, and what is still undone is logged and done again
at the nightly housekeeping run (scheduler/housekeeping.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

log = logging.getLogger(__name__)

# session.info flag: this transaction closed a round; erase once it has committed.
ERASURE_DUE = "shiji_erasure_due"

# Tables whose rows link a rater to what they gave until hand-in or close.
BALLOT_TABLES = (
    "rating_draft", "rating_handin", "rating_score",
    "year_eval_draft", "year_eval_handin", "year_eval_score",
)
# Tables the callback path writes all day, whose dead tuples held replies and cards that
# echoed scores.
MESSAGE_TABLES = ("inbound_message", "outbox")
AFTER_CLOSE = BALLOT_TABLES + MESSAGE_TABLES
# Rewriting a table locks out whoever needs it meanwhile: a callback (inbound_message), the
# admin's 发布结果 (rating_score). A district's tables (inbound_message 8 MB, rating_score
# 3 MB) take well under a second; a province's (548 MB, 231 MB) 15-25 s, far beyond WeCom's
# 5 s. So after a close only tables up to this size are rewritten; the nightly housekeeping
# run rewrites the rest, whatever their size.
QUICK_REWRITE_BYTES = 64 * 1024 * 1024  # ~1-2 s of rewriting

FIRST_BACKOFF = 0.05  # seconds; doubled after each busy attempt, up to MAX_BACKOFF
MAX_BACKOFF = 5.0
GIVE_UP_AFTER = 60.0  # wall-clock seconds of retries before leaving it to housekeeping
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires
PG_LOCK_TIMEOUT = "200ms"  # a waiting ACCESS EXCLUSIVE request would queue every callback behind it


def erase_after_commit(session: AsyncSession) -> None:
    """Ask for `Eraser.erase` once this session's transaction has committed."""
    session.info[ERASURE_DUE] = True


class Busy(Exception):
    """The database was in use; the attempt changed nothing that needs undoing."""


@dataclass
class Eraser:
    """Erases a database's leftovers; one erasure at a time.

    `lock`: the process's writer lock, held during an SQLite checkpoint so that this process's
    own writers do not make it busy. `monotonic`/`sleep`: wall-clock time (a transport
    concern, like a blinking database's retries), injected so tests do not sleep.
    """

    engine: AsyncEngine
    lock: asyncio.Lock | None = None
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    give_up_after: float = GIVE_UP_AFTER
    _tasks: set[asyncio.Task[bool]] = field(default_factory=set)
    _running: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wake(self) -> None:
        """After a close committed: erase in the background (the close has answered already)."""
        task = asyncio.get_running_loop().create_task(self.erase(), name="shiji-erasure")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("erasure failed; retried at the next housekeeping run", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait for the erasures woken so far (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def erase(self, tables: tuple[str, ...] = AFTER_CLOSE, largest: int | None = QUICK_REWRITE_BYTES) -> bool:
        """True when every leftover is gone; False (logged) when the database stayed busy.

        SQLite: the WAL, whatever `tables` says. PostgreSQL: `tables` rewritten, but those
        bigger than `largest` bytes are left to the nightly run (None: no limit).
        """
        async with self._running:
            url = self.engine.url
            if url.get_backend_name() == "sqlite":
                path = url.database
                if path in (None, "", ":memory:"):
                    return True
                return await self._retrying("SQLite WAL checkpoint", lambda: self._checkpoint(Path(path)))
            done = True
            for table in tables:  # one at a time: each lock is held only for its own table
                if largest is not None and await self._size(table) > largest:
                    log.info("%s is too big to rewrite now; the nightly housekeeping run does it", table)
                    continue
                done &= await self._retrying(f"rewriting {table}", functools.partial(self._rewrite, table))
            return done

    async def _retrying(self, what: str, attempt: Callable[[], Awaitable[None]]) -> bool:
        deadline = self.monotonic() + self.give_up_after
        backoff = FIRST_BACKOFF
        while True:
            try:
                await attempt()
                return True
            except Busy:
                if self.monotonic() + backoff > deadline:
                    log.warning("%s still busy after %.0f s; retried at the next housekeeping run",
                                what, self.give_up_after)
                    return False
                await self.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _checkpoint(self, path: Path) -> None:
        writing: AbstractAsyncContextManager[object] = self.lock if self.lock is not None else nullcontext()
        async with writing:
            await asyncio.to_thread(checkpoint_truncate, path)

    async def _size(self, table: str) -> int:
        async with self.engine.connect() as connection:
            size = await connection.scalar(text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": table})
        return int(size or 0)

    async def _rewrite(self, table: str) -> None:
        """Write `table` anew with its live rows only, under one new xmin (ballots shuffled).

        Not VACUUM FULL: it keeps a dead row while any snapshot in the whole cluster might
        still see it (a pg_dump, a forgotten open transaction in another database), and it
        keeps each live row's xmin. TRUNCATE drops the table's files whatever snapshots
        exist; it waits for no one's snapshot, only for the lock, which nobody holds for long.
        """
        try:
            async with self.engine.begin() as connection:
                # The names are the constants above, never input.
                await connection.execute(text(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT}'"))
                await connection.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
                await connection.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
                # Ballots in random order: their place says nothing of when they were handed in.
                order = "ORDER BY random()" if table in BALLOT_TABLES else ""
                await connection.execute(text(f'CREATE TEMP TABLE shiji_keep ON COMMIT DROP AS SELECT * FROM "{table}" {order}'))
                await connection.execute(text(f'TRUNCATE "{table}"'))
                # Keys and indexes are built afresh by sorting, as VACUUM FULL builds them, and
                # foreign keys checked in one query: row by row, a province's rating_score took
                # 25 s (19 s of it checking each row's round), against VACUUM FULL's 5-8 s.
                await connection.execute(text(f"SET LOCAL maintenance_work_mem = '{SORT_MEMORY}'"))
                constraints = (await connection.execute(text(KEY_CONSTRAINTS), {"t": table})).all()
                indexes = (await connection.execute(text(PLAIN_INDEXES), {"t": table})).all()
                for name, _definition in indexes:
                    await connection.execute(text(f'DROP INDEX "{name}"'))
                for name, _definition in constraints:
                    await connection.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
                await connection.execute(text(f'INSERT INTO "{table}" SELECT * FROM shiji_keep'))
                for name, definition in constraints:
                    await connection.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
                for _name, definition in indexes:
                    await connection.execute(text(definition))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise Busy from exc
            raise


SORT_MEMORY = "256MB"  # for the rewrite's sorts, a few times a year

# A table's keys (unless another table's foreign key needs them) and its foreign keys,
# in the order they can be added back: keys first.
KEY_CONSTRAINTS = """
SELECT k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k
WHERE k.conrelid = CAST(:t AS regclass)
  AND (k.contype = 'f' OR k.contype IN ('p', 'u')
       AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = k.conrelid AND f.contype = 'f'))
ORDER BY k.contype = 'f', k.conname
"""

# A table's indexes that back no constraint (those can be dropped and built again).
PLAIN_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = CAST(:t AS regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""


def checkpoint_truncate(path: Path) -> None:
    """Copy the WAL into the database file and truncate it to zero bytes, or raise Busy.

    Never waits (busy_timeout 0): a reader on an older snapshot or another writer makes the
    attempt busy, and the caller retries.
    """
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None, timeout=0)
    try:
        busy, wal_frames, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise Busy from exc
        raise
    finally:
        connection.close()
    wal = path.with_name(path.name + "-wal")
    if busy or wal_frames > 0 or (wal.exists() and wal.stat().st_size > 0):
        raise Busy


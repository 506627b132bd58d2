"""One transaction of set-based work, handed a `Driver` that runs SQL compiled ahead of time.

A batch is a function of a `Driver` that runs a few multi-row statements; `run` commits it
before returning, so nothing it did is acknowledged before it is durable.

SQLite: the writing connection is a plain sqlite3 one, in autocommit mode so that this module
says where each transaction begins and ends. The statements run on the event loop — they are
microseconds of C once the write lock is held, and a thread would have to win the GIL back
after every one of them (measured: a batch took 6.5 ms on a writer thread against 1.4 ms
alone) — and only the COMMIT, the fsync, goes to a thread of its own, so the loop goes on
decrypting and answering while the disk works: one GIL hand-over per batch. The write lock is
taken without waiting (busy_timeout 0); when another process holds it (a roster import, the
outbox sender's connection), that batch runs wholly on the thread, where waiting is harmless.
PostgreSQL: the batch runs through the async engine's `run_sync` (asyncpg underneath), on a
connection the hot path keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import BUSY_TIMEOUT_MS, prepare_sqlite_file, sqlite_pragmas

log = logging.getLogger(__name__)

T = TypeVar("T")
Row = Sequence[Any]


class Driver(Protocol):
    """What a batch sees: the dialect (to pick its compiled statements) and two calls."""

    dialect: Dialect

    def rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        """One statement; the rows it returns (none for most DML)."""
        ...

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """One statement, once per parameter tuple (the driver's executemany)."""
        ...


Batch = Callable[[Driver], T]


class BatchWriter(Protocol):
    async def run(self, batch: Batch[T]) -> T: ...

    async def close(self) -> None: ...


class _SQLiteDriver:
    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self.dialect = dialect

    def rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        return self._connection.execute(sql, params).fetchall()

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(sql, params)


class _EngineDriver:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.dialect = connection.dialect

    def rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        result = self._connection.exec_driver_sql(sql, tuple(params))
        return list(result.fetchall()) if result.returns_rows else []

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            self._connection.exec_driver_sql(sql, [tuple(p) for p in params])


class SQLiteWriter:
    def __init__(self, url: str, synchronous: str) -> None:
        from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

        path = make_url(url).database or ":memory:"
        if path != ":memory:":
            prepare_sqlite_file(Path(path))
        # isolation_level=None: no implicit BEGIN; check_same_thread=False: the COMMIT (and a
        # batch that has to wait for the lock) runs on the writer thread, never at once.
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in sqlite_pragmas(synchronous):
            self._connection.execute(pragma)
        self._connection.execute("PRAGMA busy_timeout=0")  # the loop never waits for a lock
        # A first read joins the WAL: from here to close this connection holds the database
        # open (a shared lock on its -shm), so `shiji restore` sees a bot at work, idle or not.
        self._connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        self._driver = _SQLiteDriver(self._connection, SQLiteDialect_pysqlite())
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shiji-sqlite-commit")

    async def run(self, batch: Batch[T]) -> T:
        loop = asyncio.get_running_loop()
        if self._connection.in_transaction:  # a failed ROLLBACK left one open: never acknowledged
            log.warning("hot-path connection found inside a transaction; rolling it back")
            self._connection.execute("ROLLBACK")
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            return await loop.run_in_executor(self._thread, self._transact_waiting, batch)
        try:
            result = batch(self._driver)
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        await loop.run_in_executor(self._thread, self._commit)
        return result

    def _commit(self) -> None:
        try:
            self._connection.execute("COMMIT")
        except BaseException:
            if self._connection.in_transaction:  # COMMIT failed (disk full, I/O error): undo
                self._connection.execute("ROLLBACK")
            raise

    def _transact_waiting(self, batch: Batch[T]) -> T:
        """The whole batch on the thread, waiting for the write lock like any connection."""
        self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                result = batch(self._driver)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._commit()
            return result
        finally:
            self._connection.execute("PRAGMA busy_timeout=0")

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._connection.close)
        self._thread.shutdown(wait=True)


class EngineWriter:
    """PostgreSQL (or any async driver): the batch on a connection of its own, no thread.

    The connection is kept from batch to batch (the hot path writes one batch at a time): no
    pool checkout and no pre-ping round trip per batch. After any failure it is dropped and
    the next batch connects afresh, so a restarted server costs one retried batch.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def run(self, batch: Batch[T]) -> T:
        if self._connection is None:
            self._connection = await self._engine.connect()
        connection = self._connection
        try:
            async with connection.begin():
                return await connection.run_sync(lambda sync: batch(_EngineDriver(sync)))
        except BaseException:
            self._connection = None
            with contextlib.suppress(Exception):
                await connection.close()
            raise

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await connection.close()


def batch_writer(url: str, engine: AsyncEngine, synchronous: str) -> BatchWriter:
    if make_url(url).get_backend_name() == "sqlite":
        return SQLiteWriter(url, synchronous)
    return EngineWriter(engine)

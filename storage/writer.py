"""One transaction of set-based work on a plain (synchronous) SQLAlchemy connection.

A batch is a function of a `Connection` that runs a few multi-row statements; `run` commits it
before returning, so nothing it did is acknowledged before it is durable.

SQLite: one dedicated thread owns the writing connection (pysqlite, the standard library's
sqlite3) and runs a whole batch per hop, while the event loop goes on decrypting and answering;
sqlite3 releases the GIL inside SQLite, so the fsync of a COMMIT overlaps with that work.
PostgreSQL: the batch runs through the async engine's `run_sync` (asyncpg underneath).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from storage.db import listen_sqlite_pragmas

T = TypeVar("T")
Batch = Callable[[Connection], T]


class BatchWriter(Protocol):
    async def run(self, batch: Batch[T]) -> T: ...

    async def close(self) -> None: ...


class SQLiteWriter:
    def __init__(self, url: str, synchronous: str) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        # The connection is made, used and closed on the writer thread only.
        self._engine = create_sync_engine(
            sync_url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 30}
        )
        listen_sqlite_pragmas(self._engine, synchronous)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shiji-sqlite-writer")
        self._connection: Connection | None = None

    async def run(self, batch: Batch[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._transact, batch)

    def _transact(self, batch: Batch[T]) -> T:
        if self._connection is None:
            self._connection = self._engine.connect()
        with self._connection.begin():
            return batch(self._connection)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._dispose)
        self._thread.shutdown(wait=True)

    def _dispose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()


class EngineWriter:
    """PostgreSQL (or any async driver): the batch on a pooled connection, no thread."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, batch: Batch[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(batch)

    async def close(self) -> None:
        return None  # the engine is the runtime's; it disposes of it


def batch_writer(url: str, engine: AsyncEngine, synchronous: str) -> BatchWriter:
    if make_url(url).get_backend_name() == "sqlite":
        return SQLiteWriter(url, synchronous)
    return EngineWriter(engine)

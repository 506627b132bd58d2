"""Group commit: many messages share one transaction, none is acknowledged before it is durable.

Items queued together run in one transaction and are answered only after COMMIT returns.
A batch that raises is rolled back and every item of it is run again alone, in a transaction
of its own, so one failing message never takes others down and nothing half-done is
committed. (Items carry their expected refusals as values; they do not raise them.) A batch
that fails because the database is away (storage/db.py is_transient) fails each of its items
with that error instead: alone they would fail alike, and their callers retry them.

Two kinds share the loop below: `Committer` runs async works on an ORM session (every
command and job), `BatchCommitter` hands a whole batch to one set-based function on a plain
driver (the callback's hot path, see storage/writer.py). On SQLite they share one lock, so
the process has one writer transaction at a time, as SQLite wants. On PostgreSQL the hot path
runs in `Lanes` (`[database] pg_lanes`, one by default): batch committers side by side, each on
a connection of its own, so one batch's round trips overlap another's.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import is_transient
from storage.writer import BatchWriter, Driver

log = logging.getLogger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 (an item of a batch)
O = TypeVar("O")  # noqa: E741 (its outcome)
Work = Callable[[AsyncSession], Awaitable[Any]]


@dataclass
class _Pending(Generic[I, O]):
    item: I
    future: asyncio.Future[O] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitter(Generic[I, O]):
    """One writer task; callers `await committer.run(item)`."""

    def __init__(self, batch_max: int, lock: asyncio.Lock | None = None) -> None:
        self._batch_max = batch_max
        self._lock = lock or asyncio.Lock()
        self._queue: asyncio.Queue[_Pending[I, O]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # for benchmarks and tests: how many transactions were committed

    async def _transaction(self, items: list[I]) -> list[O]:
        """Run every item in one transaction, committed before this returns."""
        raise NotImplementedError

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"shiji-{type(self).__name__}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        while not self._queue.empty():  # fail the stragglers loudly rather than hang them
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(RuntimeError("committer stopped"))

    async def run(self, item: I) -> O:
        if self._task is None:
            raise RuntimeError("committer not started")
        pending: _Pending[I, O] = _Pending(item)
        await self._queue.put(pending)
        return await pending.future

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            async with self._lock:
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Pending[I, O]]) -> None:
        try:
            values = await self._transaction([p.item for p in batch])
            self.batches += 1
            outcomes: list[tuple[_Pending[I, O], bool, Any]] = [(pending, True, value) for pending, value in zip(batch, values, strict=True)]
        except Exception as exc:
            if is_transient(exc):  # the database blinked: each item alone would fail alike
                log.warning("batch of %d failed: database unavailable (%s)", len(batch), type(exc).__name__)
                outcomes = [(pending, False, exc) for pending in batch]
            elif len(batch) == 1:  # it ran alone already: running it again would do its work twice
                log.error("unit of work failed", exc_info=exc)
                outcomes = [(batch[0], False, exc)]
            else:
                log.warning("batch of %d failed; running its items one by one", len(batch))
                outcomes = [await self._run_alone(pending) for pending in batch]
        self._settle(outcomes)

    async def _run_alone(self, pending: _Pending[I, O]) -> tuple[_Pending[I, O], bool, Any]:
        try:
            (value,) = await self._transaction([pending.item])
            self.batches += 1
            return pending, True, value
        except Exception as exc:  # its own failure (or COMMIT's): nothing of it is durable
            log.exception("unit of work failed")
            return pending, False, exc

    @staticmethod
    def _settle(outcomes: Sequence[tuple[_Pending[I, O], bool, Any]]) -> None:
        for pending, ok, value in outcomes:
            if pending.future.done():  # caller went away (cancelled); the work is still durable
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)


class Committer(GroupCommitter[Work, Any]):
    """Async works on one ORM session each batch: `await committer.run(work)`."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], batch_max: int = 128, lock: asyncio.Lock | None = None
    ) -> None:
        super().__init__(batch_max, lock)
        self._sessions = sessions

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await super().run(work)

    async def run_alone(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work` in a transaction of its own under the same writer lock, never batched: a
        long unit (an admin job) makes nobody's message wait to be run again with it, and a
        failure of either never runs the other twice."""
        async with self._lock:
            (value,) = await self._transaction([work])
        self.batches += 1
        return cast(T, value)

    async def _transaction(self, items: list[Work]) -> list[Any]:
        async with self._sessions() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                # The write lock first, then the reads. A deferred transaction (a SAVEPOINT
                # starts one) reads a snapshot; if another connection (the outbox sender, a CLI
                # command) commits before its first write, SQLite refuses that write at once,
                # "database is locked", without waiting. IMMEDIATE waits (busy_timeout) instead.
                await session.execute(text("BEGIN IMMEDIATE"))
            return [await work(session) for work in items]


class BatchCommitter(GroupCommitter[I, O]):
    """Items applied together by one set-based function, a whole batch per writer hop."""

    def __init__(
        self,
        writer: BatchWriter,
        apply: Callable[[Driver, list[I]], list[O]],
        batch_max: int = 128,
        lock: asyncio.Lock | None = None,
        on_commit: Callable[[int, float], None] | None = None,
    ) -> None:
        """`on_commit(items, seconds)`: told of every committed transaction (metrics)."""
        super().__init__(batch_max, lock)
        self._writer = writer
        self._apply = apply
        self._on_commit = on_commit

    async def _transaction(self, items: list[I]) -> list[O]:
        started = time.perf_counter()
        outcomes = await self._writer.run(lambda driver: self._apply(driver, items))
        if self._on_commit is not None:
            self._on_commit(len(items), time.perf_counter() - started)
        return outcomes


class Lanes(Generic[I, O]):
    """Batch committers side by side (one by default); `run(item, key)` sends every item of one key (the
    sender) to the same lane, so one person's messages are still decided one after another,
    in arrival order, each seeing the ones before it (a second text appends to the first).
    Lanes touch different people's rows, so their transactions do not wait on each other;
    what two lanes may both claim (a key delivered twice) is settled as between two replicas
    (storage/log_batch.py)."""

    def __init__(self, lanes: Sequence[GroupCommitter[I, O]]) -> None:
        if not lanes:
            raise ValueError("at least one lane")
        self._lanes = list(lanes)

    @property
    def batches(self) -> int:
        return sum(lane.batches for lane in self._lanes)

    def lane(self, key: str) -> GroupCommitter[I, O]:
        # crc32, not hash(): the same lane for a key whatever PYTHONHASHSEED says.
        return self._lanes[zlib.crc32(key.encode()) % len(self._lanes)]

    async def run(self, item: I, key: str) -> O:
        return await self.lane(key).run(item)

    async def start(self) -> None:
        for lane in self._lanes:
            await lane.start()

    async def stop(self) -> None:
        for lane in self._lanes:
            await lane.stop()

"""Group commit: many messages share one transaction, none is acknowledged before it is durable.

Each unit of work runs in its own SAVEPOINT inside the batch transaction, so one failing
message rolls back only itself. Results are handed back only after COMMIT returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]


@dataclass
class _Pending:
    work: Work
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Committer:
    """One writer task; callers `await committer.run(work)`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], batch_max: int = 128) -> None:
        self._sessions = sessions
        self._batch_max = batch_max
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # for benchmarks and tests: how many transactions were committed

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="shiji-committer")

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

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        if self._task is None:
            raise RuntimeError("committer not started")
        pending = _Pending(work)
        await self._queue.put(pending)
        return await pending.future  # type: ignore[no-any-return]

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Pending]) -> None:
        outcomes: list[tuple[_Pending, bool, Any]] = []
        try:
            async with self._sessions() as session, session.begin():
                for pending in batch:
                    try:
                        async with session.begin_nested():
                            value = await pending.work(session)
                        outcomes.append((pending, True, value))
                    except Exception as exc:  # the work's own failure: its savepoint is undone
                        outcomes.append((pending, False, exc))
            self.batches += 1
        except Exception as exc:  # the COMMIT itself failed: nothing in the batch is durable
            log.exception("batch of %d failed to commit", len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        for pending, ok, value in outcomes:
            if pending.future.done():  # caller went away (cancelled); the work is still durable
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)

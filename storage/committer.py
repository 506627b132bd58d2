"""Group commit: many messages share one transaction, none is acknowledged before it is durable.

Works run one after another in one transaction and are answered only after COMMIT returns.
A work that raises poisons the batch: it is rolled back and every work of it is run again
alone, in a transaction of its own, so one failing message never takes others down and
nothing half-done is committed. (Works catch their expected refusals themselves.)
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
        try:
            outcomes = await self._run_together(batch)
        except Exception:
            if len(batch) == 1:
                outcomes = await self._run_alone(batch[0])
            else:
                log.warning("batch of %d failed; running its works one by one", len(batch))
                outcomes = [o for pending in batch for o in await self._run_alone(pending)]
        self._settle(outcomes)

    async def _run_together(self, batch: list[_Pending]) -> list[tuple[_Pending, bool, Any]]:
        outcomes: list[tuple[_Pending, bool, Any]] = []
        async with self._sessions() as session, session.begin():
            for pending in batch:
                outcomes.append((pending, True, await pending.work(session)))
        self.batches += 1
        return outcomes

    async def _run_alone(self, pending: _Pending) -> list[tuple[_Pending, bool, Any]]:
        try:
            async with self._sessions() as session, session.begin():
                value = await pending.work(session)
            self.batches += 1
            return [(pending, True, value)]
        except Exception as exc:  # its own failure (or COMMIT's): nothing of it is durable
            log.exception("unit of work failed")
            return [(pending, False, exc)]

    def _settle(self, outcomes: list[tuple[_Pending, bool, Any]]) -> None:
        for pending, ok, value in outcomes:
            if pending.future.done():  # caller went away (cancelled); the work is still durable
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)

"""Runs admin jobs (handlers/services/jobs.py) on every replica: claims one, does it, sends
the result to whoever asked, and records how it ended.

Exactly once. A claim is a compare-and-set UPDATE (storage/ops_repo.py AdminJobRepo.claim)
under a lease on wall-clock time, renewed while the job runs. The work itself is one unit
of work whose last statement closes the job, again only if this claim still holds it: a
replica whose lease lapsed (it stalled, and another took over) rolls its whole work back,
and a replica that dies mid-job leaves nothing behind (its transaction never committed), so
the replica that takes it over starts afresh. No half-opened round or half-published year
can exist to be resumed.

Two clocks, as in the outbox sender (bot/sender.py): the lease runs on the wall clock, the
same on every replica; what the job does (a round's deadline, a publication's date) on the
business clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.polling import Poller
from handlers.base import Ctx, Refusal
from handlers.jobs import run_kind
from handlers.services import calendar_missing
from handlers.services.jobs import CRASHED, JobOutcome, Progress, failed_text
from handlers.services.media import queue_media
from scheduler.context import JobDeps
from scoring.workdays import UnknownCalendarYear
from storage.db import is_transient
from storage.models_ops import AdminJob
from storage.repos import Store

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # renewed every third of it while the job runs
MAX_ATTEMPTS = 3  # a job whose replica died this many times is given up, and its asker told
PROGRESS_EVERY = 2.0  # wall seconds between progress records


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:60]


class TakenOver(Exception):
    """This replica's lease lapsed and another took the job over: its work is rolled back."""


class JobRunner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        deps: JobDeps,
        *,
        replica: str | None = None,
        transport_time: Callable[[], float] = time.time,
        poll_seconds: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._deps = deps
        self._replica = replica or replica_name()
        self._transport_time = transport_time
        self._poller = Poller(self.run_until_idle, poll_seconds, "shiji-jobs")

    def wake(self) -> None:
        self._poller.wake()

    async def start(self) -> None:
        await self._poller.start()

    async def stop(self) -> None:
        await self._poller.stop()

    async def run_until_idle(self) -> int:
        """Run every job there is to take now (the tests drive it so); how many ran."""
        ran = 0
        while await self.run_once():
            ran += 1
        return ran

    def _wall_now(self) -> datetime:
        return datetime.fromtimestamp(self._transport_time(), UTC)

    async def claim(self) -> tuple[AdminJob, str] | None:
        """Claim the oldest job to take, in a committed transaction of its own."""
        token = f"{self._replica}:{uuid.uuid4().hex[:12]}"
        async with self._sessions() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                await session.execute(text("BEGIN IMMEDIATE"))  # a writer from the start (storage/committer.py)
            wall_now = self._wall_now()
            job = await Store(session).jobs.claim(token, wall_now, wall_now + LEASE)
        return None if job is None else (job, token)

    async def run_once(self, progress: Progress | None = None) -> bool:
        """Claim one job and do it; False when there was none to take. `progress` is told
        too (the command line's bar)."""
        claimed = await self.claim()
        if claimed is None:
            return False
        return await self.run_claimed(*claimed, progress=progress)

    async def run_claimed(self, job: AdminJob, token: str, progress: Progress | None = None) -> bool:
        """Do a claimed job; False when the database was away (the job is queued again, for
        the next poll: no tight loop while it stays away)."""
        assert job.id is not None
        if job.attempts > MAX_ATTEMPTS:  # its replica died this often: it would again
            await self._fail(job, token, f"已尝试 {MAX_ATTEMPTS} 次都未能完成，没有做任何更改。请联系系统管理员查看服务器日志。")
            return True
        log.info("admin job %s (%s) attempt %d on %s", job.id, job.kind, job.attempts, self._replica)
        keeper = asyncio.create_task(self._keep_lease(job.id, token), name=f"shiji-job-{job.id}-lease")
        try:
            await self._transaction(lambda s: self._work(s, job, token, self._reporter(job, token, progress)))
        except TakenOver:
            log.warning("admin job %s: lease lapsed and another replica took it over; this run rolled back", job.id)
        except Exception as exc:
            if is_transient(exc):  # the database blinked: untried, any replica runs it again
                log.warning("admin job %s: database unavailable (%s), queued again", job.id, type(exc).__name__)
                await self._release(job.id, token)
                return False
            log.exception("admin job %s (%s) failed", job.id, job.kind)
            await self._fail(job, token, CRASHED)
        finally:
            keeper.cancel()
        return True

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """SQLite: alone under the process's one writer lock (storage/committer.py), as SQLite has one.
        PostgreSQL: a transaction of its own beside it, as the outbox sender's are, so this
        replica goes on answering chat while a province's job takes its minutes."""
        async with self._sessions() as session:
            if session.get_bind().dialect.name != "sqlite":
                async with session.begin():
                    await work(session)
                return
        await self._deps.committer.run_alone(work)

    async def _work(self, session: AsyncSession, job: AdminJob, token: str, progress: Progress) -> None:
        """The job and its closing, in one unit of work."""
        assert job.id is not None
        store = Store(session)
        if not await store.jobs.holds(job.id, token):
            raise TakenOver
        deps = self._deps
        # The roster and the calendar as they are now: a job may run long after it was asked for.
        ctx = Ctx.office(job.requested_by, store, deps.settings, await deps.directory.fresh(),
                         await deps.calendar.reload(), deps.clock.now())
        try:
            async with session.begin_nested():  # a refusal undoes the job's writes only
                if job.requested_by not in deps.settings.admin.userids:  # removed since it was asked
                    raise Refusal("提出此操作的账号已不是考核办管理员，操作未执行。如仍需要，请由现任管理员重新发送。")
                outcome = await run_kind(ctx, job.kind, json.loads(job.args), progress)
        except (Refusal, UnknownCalendarYear) as refused:  # the world changed since it was queued
            why = refused.text if isinstance(refused, Refusal) else calendar_missing.admin_text(refused.year)
            await self._tell(ctx, job, JobOutcome(failed_text(job.title, why)))
            if not await store.jobs.finish(job.id, token, "failed", "", why, ctx.now):
                raise TakenOver from None
            return
        await self._tell(ctx, job, outcome)
        if not await store.jobs.finish(job.id, token, "done", outcome.text, "", ctx.now):
            raise TakenOver

    @staticmethod
    async def _tell(ctx: Ctx, job: AdminJob, outcome: JobOutcome) -> None:
        """The result for whoever asked: a push, keyed by the job so it is queued once."""
        await ctx.store.outbox.enqueue(f"job:{job.id}:result", [job.requested_by], "text", {"content": outcome.text},
                                       ctx.now)
        for name, data in outcome.files:
            await queue_media(ctx, "file", name, data)  # ctx acts for the asker (Ctx.office)

    async def _fail(self, job: AdminJob, token: str, why: str) -> None:
        """Record that a job failed, outside its work's transaction (that one rolled back),
        and tell its asker why and what to do."""
        job_id = job.id
        assert job_id is not None

        async def close(session: AsyncSession) -> None:
            store = Store(session)
            now = self._deps.clock.now()
            if await store.jobs.finish(job_id, token, "failed", "", why, now):
                await store.outbox.enqueue(f"job:{job_id}:result", [job.requested_by], "text",
                                           {"content": failed_text(job.title, why)}, now)

        await self._deps.committer.run(close)

    async def _release(self, job_id: int, token: str) -> None:
        try:
            async with self._sessions() as session, session.begin():
                await Store(session).jobs.release(job_id, token)
        except Exception:  # still away: the lease lapses and the job is taken again then
            log.warning("admin job %s: could not queue it again; it is retried once its lease lapses", job_id)

    async def _keep_lease(self, job_id: int, token: str) -> None:
        """Renew the lease while the job runs. On SQLite the job's own transaction holds the
        one write lock, so the renewal waits behind it; no other replica can take the job
        meanwhile either (its claim waits for the same lock, then finds the job closed)."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            try:
                async with self._sessions() as session:
                    if session.get_bind().dialect.name == "sqlite":
                        return
                    async with session.begin():
                        await Store(session).jobs.renew(job_id, token, self._wall_now() + LEASE)
            except Exception:
                log.warning("admin job %s: lease not renewed", job_id, exc_info=True)

    def _reporter(self, job: AdminJob, token: str, also: Progress | None) -> Progress:
        """Progress for 「进度」, recorded at most every PROGRESS_EVERY wall seconds in a short
        transaction of its own, beside the job's (on PostgreSQL; SQLite has one writer, the
        job itself, so there its progress is its start and its end)."""
        assert job.id is not None
        job_id = job.id
        last = [0.0]

        async def report(done: int, total: int, stage: str) -> None:
            if also is not None:
                await also(done, total, stage)
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY:
                return
            last[0] = now
            async with self._sessions() as session:
                if session.get_bind().dialect.name == "sqlite":
                    return
                try:
                    async with session.begin():
                        await Store(session).jobs.progress(job_id, token, done, total, stage)
                except Exception:  # progress is a courtesy; the job goes on
                    log.warning("admin job %s: progress not recorded", job_id, exc_info=True)

        return report

"""Everything a running bot holds, opened and closed in one place."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.caches import CalendarCache, DirectoryCache
from bot.clock import Clock, SystemClock
from bot.dispatch import Dispatcher
from bot.job_runner import JobRunner
from bot.metrics import Metrics
from bot.sender import OutboxSender
from bot.settings import Settings
from bot.wecom.api import WeComClient
from bot.wecom.crypto import CallbackCrypto
from handlers.base import Reply
from handlers.registry import build_router
from handlers.router import BatchForm
from scheduler.context import JobDeps
from scheduler.wiring import start_scheduler
from storage.ballot_box import TRACES_DROPPED
from storage.committer import BatchCommitter, Committer, Lanes
from storage.db import after_commit_of, after_commit_with, create_engine, migrate, session_factory
from storage.erasure import ERASURE_DUE, Eraser
from storage.ops_repo import JOB_QUEUED
from storage.repos import OUTBOX_QUEUED
from storage.writer import BatchWriter, batch_writer


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    committer: Committer
    writers: list[BatchWriter]  # the hot path's, one per lane
    batches: dict[BatchForm[Any], Lanes[Any, Reply]]  # one per route's batch form
    directory: DirectoryCache
    calendar: CalendarCache
    dispatcher: Dispatcher
    crypto: CallbackCrypto
    http: aiohttp.ClientSession
    client: WeComClient
    sender: OutboxSender
    metrics: Metrics
    eraser: Eraser
    # Transport checks (callback timestamps, reply stamps) run on real time, as WeCom's do,
    # whatever the business clock says (a demo started in December, a test's ManualClock).
    wall_clock: Clock = field(default_factory=SystemClock)
    # The transport's wait (real time; driven in tests): a blinking database is waited out on it.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    migrate_on_start: bool = True
    # False in tests: they drive the outbox sender and the scheduler's jobs themselves.
    background: bool = True
    scheduler: Any = None  # APScheduler, started by start() when background
    job_runner: JobRunner = field(init=False)  # admin jobs (issue 25), set by build()

    @classmethod
    def build(
        cls,
        settings: Settings,
        clock: Clock,
        *,
        migrate_on_start: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        member_limits_clock: Callable[[], float] | None = None,
        transport_time: Callable[[], float] = time.time,
    ) -> Runtime:
        """Call from inside the event loop (the HTTP client session binds to it).

        `monotonic` and `sleep` are the transport's clock, on which WeCom counts its
        per-member limits and a blinking database is waited for; tests drive them together
        with the stand-in's. `member_limits_clock` counts the per-member limits alone on
        another clock (the demo's business clock, as its stand-in does). `transport_time` is
        the wall clock as seconds since the epoch, the same on every replica: the outbox's
        retries and claims wait on it (tests drive it with the business clock).
        """
        database = settings.database
        engine = create_engine(database.url, synchronous=database.sqlite_synchronous)
        sessions = session_factory(engine)
        metrics = Metrics()
        metrics.meter_commits(sessions)
        # One writer transaction at a time in this process, whichever path it comes by (SQLite
        # wants it; PostgreSQL's hot path has lanes of its own, below).
        writing = asyncio.Lock()
        committer = Committer(sessions, database.batch_max, writing)
        # One lane (SQLite always, PostgreSQL by default) shares the process's one writer lock,
        # so a person's log and their next message of another kind (撤回, a log naming a
        # colleague) are decided in the order they came. More PostgreSQL lanes run side by
        # side, each its own connection and lock (storage/committer.py Lanes): one person stays
        # in one lane, but that order holds only as it does across replicas.
        sqlite = engine.dialect.name == "sqlite"
        lane_count = 1 if sqlite else database.pg_lanes
        lanes = [
            (batch_writer(database.url, engine, database.sqlite_synchronous), writing if lane_count == 1 else asyncio.Lock())
            for _ in range(lane_count)
        ]
        router = build_router()
        batches = {
            form: Lanes([_batch_committer(form, settings, writer, lock, metrics) for writer, lock in lanes])
            for form in router.batch_forms()
        }
        directory = DirectoryCache(sessions)
        calendar = CalendarCache(sessions)
        wecom = settings.wecom
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        client = WeComClient(http, wecom.api_base, wecom.corp_id, wecom.secret, wecom.agent_id)
        runtime = cls(
            settings=settings,
            clock=clock,
            engine=engine,
            sessions=sessions,
            committer=committer,
            writers=[writer for writer, _ in lanes],
            batches=batches,
            directory=directory,
            calendar=calendar,
            dispatcher=Dispatcher(
                settings, clock, committer, directory, calendar, router, batches,
                sleep=sleep, monotonic=monotonic,
            ),
            crypto=CallbackCrypto(
                wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id,
                wecom.max_callback_age_seconds,
            ),
            http=http,
            client=client,
            sender=OutboxSender(
                sessions, client, clock, metrics.send_failed,
                transport_time=transport_time, member_time=member_limits_clock,
            ),
            metrics=metrics,
            # Wall-clock retries, like a blinking database's: the transport's clock.
            eraser=Eraser(engine, writing, monotonic=monotonic, sleep=sleep),
            migrate_on_start=migrate_on_start,
            sleep=sleep,
        )
        # Pushes go out as soon as the transaction that queued them is durable; the callback's
        # hot path (today's logs) queues none and so wakes nobody.
        after_commit_of(sessions, OUTBOX_QUEUED, runtime.sender.wake)
        runtime.job_runner = JobRunner(sessions, runtime.jobs, transport_time=transport_time)
        # A job queued from chat starts as soon as the message's transaction is durable.
        after_commit_of(sessions, JOB_QUEUED, runtime.job_runner.wake)
        # A hand-in or a close blanked stored replies: the retry cache forgets its copies.
        after_commit_with(sessions, TRACES_DROPPED, runtime.dispatcher.forget_replies_of)
        # A round's close (chat, scheduler) erases its leftovers once it is durable.
        after_commit_of(sessions, ERASURE_DUE, runtime.eraser.wake)
        return runtime

    @property
    def writer(self) -> BatchWriter:
        """The first lane's writer (SQLite's only one)."""
        return self.writers[0]

    @property
    def jobs(self) -> JobDeps:
        """What scheduled jobs (and `shiji remind now`) are given: no more than they need."""
        return JobDeps(
            settings=self.settings.rules, clock=self.clock, committer=self.committer,
            directory=self.directory, calendar=self.calendar, wake_sender=self.sender.wake,
            eraser=self.eraser, sleep=self.sleep,
        )

    async def start(self) -> None:
        if self.migrate_on_start:
            await migrate(self.engine)
        await self.directory.reload()
        await self.calendar.reload()
        await self.committer.start()
        for batch in self.batches.values():
            await batch.start()
        if self.background:
            await self.start_background()

    async def start_background(self) -> None:
        """The outbox sender and the scheduler (which first catches up on what fell due)."""
        await self.sender.start()
        await self.job_runner.start()
        self.scheduler = await start_scheduler(self.jobs)

    def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    async def close(self) -> None:
        self.stop_scheduler()
        await self.job_runner.stop()
        await self.sender.stop()
        for batch in self.batches.values():
            await batch.stop()
        await self.committer.stop()
        await self.eraser.idle()
        for writer in self.writers:
            await writer.close()
        await self.http.close()
        await self.engine.dispose()


def _batch_committer(
    form: BatchForm[Any], settings: Settings, writer: BatchWriter, writing: asyncio.Lock, metrics: Metrics
) -> BatchCommitter[Any, Reply]:
    rules = settings.rules
    return BatchCommitter(
        writer, lambda driver, items: form.apply(driver, items, rules), settings.database.batch_max, writing,
        on_commit=metrics.batch_committed,
    )

"""What `/metrics` shows, in Prometheus text format (prometheus_client).

Each Runtime has its own registry (tests run several bots in one process). Counters and
histograms are fed as things happen; the outbox and reminder figures are read from the
database at scrape time, so every replica reports the same shared backlog.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from scheduler.reminder_plan import KINDS as REMINDER_KINDS
from storage.db import session_class
from storage.models import OUTBOX_STATUSES
from storage.repos import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# WeCom gives a callback 5 s; the buckets resolve the part of that a person notices.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# The dispatcher adds one per callback to its session's info; a commit reads and resets it.
MESSAGES_KEY = "shiji_messages"


def count_message(session: AsyncSession) -> None:
    session.info[MESSAGES_KEY] = session.info.get(MESSAGES_KEY, 0) + 1


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.callbacks = Counter(
            "shiji_callbacks", "Callbacks answered, by outcome (answered, failed, refused) and HTTP status",
            ["outcome", "status"], registry=r,
        )
        self.callback_seconds = Histogram(
            "shiji_callback_seconds", "Callback latency, request read to response",
            buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.commit_seconds = Histogram(
            "shiji_commit_seconds", "Database transactions, begin to COMMIT",
            buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.commit_messages = Histogram(
            "shiji_commit_batch_messages", "Callbacks committed together in one transaction (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=r,
        )
        self.send_failures = Counter(
            "shiji_wecom_send_failures", "WeCom message sends that failed, by WeCom errcode ('none': no answer)",
            ["errcode"], registry=r,
        )
        self.outbox_rows = Gauge("shiji_outbox_rows", "Outbox rows by status", ["status"], registry=r)
        self.outbox_oldest = Gauge(
            "shiji_outbox_oldest_seconds", "Age of the oldest outbox row by status", ["status"], registry=r
        )
        self.reminders = Gauge(
            "shiji_reminders_today", "Reminders claimed today, by kind and send status",
            ["kind", "status"], registry=r,
        )

    def callback(self, outcome: str, status: int, seconds: float) -> None:
        self.callbacks.labels(outcome, str(status)).inc()
        self.callback_seconds.observe(seconds)

    def send_failed(self, errcode: int | None) -> None:
        self.send_failures.labels("none" if errcode is None else str(errcode)).inc()

    def batch_committed(self, messages: int, seconds: float) -> None:
        """A transaction of the hot path (storage/committer.py BatchCommitter), which runs on a
        plain connection, not on these sessions."""
        self.commit_seconds.observe(seconds)
        self.commit_messages.observe(messages)

    def meter_commits(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Time every transaction of these sessions and count the callbacks each carried."""
        metered = session_class(sessions)

        def began(session: Session, *_: Any) -> None:
            session.info.setdefault("began", time.perf_counter())

        def committed(session: Session) -> None:
            began_at = session.info.pop("began", None)
            if began_at is not None:
                self.commit_seconds.observe(time.perf_counter() - began_at)
            messages = session.info.pop(MESSAGES_KEY, 0)
            if messages:
                self.commit_messages.observe(messages)

        def rolled_back(session: Session, transaction: SessionTransaction) -> None:
            if transaction.parent is None:  # the transaction itself, not a savepoint in it
                session.info.pop("began", None)
                session.info.pop(MESSAGES_KEY, None)

        event.listen(metered, "after_begin", began)
        event.listen(metered, "after_commit", committed)
        event.listen(metered, "after_soft_rollback", rolled_back)

    async def render(self, sessions: async_sessionmaker[AsyncSession], now: datetime) -> bytes:
        async with sessions() as session:
            store = Store(session)
            backlog = await store.outbox.backlog()
            reminders = await store.reminders.outcomes(now.date(), now.date())
        self.outbox_rows.clear()
        self.outbox_oldest.clear()
        # Every known status is exported, 0 when no row has it: an alert on "failed > 0" must
        # see 0, not an absent series, before the first failure.
        for status in (*OUTBOX_STATUSES, *(s for s in backlog if s not in OUTBOX_STATUSES)):
            rows, oldest = backlog.get(status, (0, None))
            self.outbox_rows.labels(status).set(rows)
            age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
            self.outbox_oldest.labels(status).set(age)
        self.reminders.clear()
        counts: dict[tuple[str, str], int] = dict.fromkeys(
            ((kind, status) for kind in REMINDER_KINDS for status in OUTBOX_STATUSES), 0
        )
        for outcome in reminders:
            kind = outcome.kind.split(":")[0]  # rate:<round> / dem:<evaluation>: by kind, not by round
            counts[kind, outcome.status] = counts.get((kind, outcome.status), 0) + 1
        for (kind, status), count in counts.items():
            self.reminders.labels(kind, status).set(count)
        return generate_latest(self.registry)

"""Drains the outbox: claim a batch of rows, send them through the WeCom client, record each outcome.

A batch is claimed (pending → sending) in one committed transaction before WeCom is called, so
a second replica or a rerun cannot send it again. WeCom's own duplicate check (set by the
client) covers the one ambiguous case: a crash between WeCom's answer and our record.

WeCom silently drops messages beyond 30 a minute or 1,000 an hour to one member (doc 90454).
What each member was sent lives in the database (storage/models.py MemberSends), locked by
the claiming transaction, so replicas share one allowance and a restart forgets nothing. A
row whose recipients are over it is not claimed: it waits (`retry_after`) until they are
not, and rows behind it to the same people wait as long, so each person's messages keep
their order.

Two clocks. Business time (the injected clock) says when a row may go at all (`not_before`:
a reminder due at 09:00). Transport time (the wall clock) runs everything about reaching
WeCom: a failed send's back-off, a stale claim, and the member limits, counted by WeCom in
real time (the demo counts them on its business clock, as its stand-in does).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.polling import Poller
from bot.wecom.api import (
    INVALID_PARAMETER,
    RecipientRateLimiter,
    SendResult,
    WeComClient,
    WeComError,
    WeComTransientError,
    message_parts,
)
from storage.repos import DuePush, Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claimed batch is sent within this many seconds of its claim, or its rest is handed back.
# Its messages are counted against the members' limits as sent at the end of it: WeCom counts
# a message when it arrives, and a count never earlier than that keeps inside its windows.
SEND_WITHIN_SECONDS = 10.0
# A claim older than this is a sender that died mid-send: its row goes back to pending.
# WeCom's duplicate check (30 min) keeps a resend from reaching anyone twice.
STALE_CLAIM = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """How long a row waits (wall clock) after its `attempts`-th failed send: 1, 2, 4, 8 min."""
    return timedelta(minutes=2 ** (attempts - 1))


@dataclass
class _Batch:
    rows: list[DuePush]  # claimed, to send in order
    unsendable: list[tuple[DuePush, str]]  # claimed, to fail at once: (row, why)
    claimed_at: float  # transport seconds
    started: float  # this process's monotonic seconds: how long sending it really takes


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: WeComClient,
        clock: Clock,
        on_failure: Callable[[int | None], None] = lambda errcode: None,
        poll_seconds: float = 2.0,
        *,
        transport_time: Callable[[], float] = time.time,
        member_time: Callable[[], float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock`: business time. `transport_time`: wall-clock seconds since the epoch, the
        same on every replica (retries, stale claims). `member_time`: what WeCom's per-member
        limits are counted on, `transport_time` unless given (the demo's business clock).
        `monotonic`: how long a batch really takes to send — real time even where the others
        are driven (a test's clock that jumps while a batch is out must not hand it back)."""
        self._sessions = sessions
        self._client = client
        self._clock = clock
        self._transport_time = transport_time
        self._member_time = member_time or transport_time
        self._monotonic = monotonic
        self._on_failure = on_failure  # metrics: a send that failed, by WeCom errcode
        self._poller = Poller(self.drain_once, poll_seconds, "shiji-outbox")

    def wake(self) -> None:
        self._poller.wake()

    async def start(self) -> None:
        await self._poller.start()

    async def stop(self) -> None:
        await self._poller.stop()

    def _wall_now(self) -> datetime:
        return datetime.fromtimestamp(self._transport_time(), UTC)

    async def drain_once(self, limit: int = 200) -> int:
        """Send what is due now; returns how many rows were attempted."""
        batch = await self._claim_batch(limit)
        for row, why in batch.unsendable:
            await self._finish(row, "failed", why)
        for at, row in enumerate(batch.rows):
            if self._monotonic() - batch.started > SEND_WITHIN_SECONDS:
                await self._hand_back(batch.rows[at:])
                return len(batch.unsendable) + at
            await self._send(row)
        return len(batch.unsendable) + len(batch.rows)

    async def _claim_batch(self, limit: int) -> _Batch:
        """One transaction: the due rows, their members' allowances, the claim of what fits."""
        async with self._sessions() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                await session.execute(text("BEGIN IMMEDIATE"))  # a writer from the start (storage/committer.py)
            store = Store(session)
            claimed_at, wall_now = self._transport_time(), self._wall_now()
            await store.outbox.release_stale(wall_now - STALE_CLAIM)
            due = await store.outbox.due(self._clock.now(), limit, wall_now=wall_now)
            batch = _Batch([], [], claimed_at, self._monotonic())
            counted: list[tuple[DuePush, list[str], int]] = []
            for row in due:
                try:
                    counted.append((row, _recipients(row), _messages_each(row.kind, json.loads(row.payload))))
                except (ValueError, KeyError, TypeError) as exc:  # one bad row must not stop every drain
                    batch.unsendable.append((row, f"unreadable payload: {type(exc).__name__}"))
            history = await store.member_sends.lock({u for _, userids, each in counted if each for u in userids})
            member_now = self._member_time()
            limiter = RecipientRateLimiter(monotonic=lambda: member_now)
            for userid, stamps in history.items():
                limiter.seed(userid, stamps)
            counted_until = member_now + SEND_WITHIN_SECONDS
            held: dict[str, float] = {}  # recipient → seconds their rows wait (member clock)
            holds: dict[float, list[int]] = {}
            for row, userids, each in counted:
                try:
                    wait = max([limiter.delay_for(userids, each) if each else 0.0,
                                *(held[u] for u in userids if u in held)])
                except ValueError as exc:  # more parts than WeCom delivers to anyone in a minute
                    batch.unsendable.append((row, f"cannot be sent whole: {exc}"))
                    continue
                if wait > 0:
                    wait = float(math.ceil(wait))  # whole seconds: a batch's holds share few values
                    held.update((u, max(wait, held.get(u, 0.0))) for u in userids)
                    holds.setdefault(wait, []).append(row.id)
                    continue
                if each:
                    limiter.record(userids, each, at=counted_until)
                batch.rows.append(row)
            await store.outbox.claim_many([row.id for row in batch.rows] + [row.id for row, _ in batch.unsendable], wall_now)
            for wait, ids in holds.items():
                await store.outbox.hold(ids, wall_now + timedelta(seconds=wait))
            await store.member_sends.save({u: limiter.stamps(u) for u in history})
        return batch

    async def _hand_back(self, rows: list[DuePush]) -> None:
        log.info("outbox: %d claimed rows not sent within %.0f s, handed back", len(rows), SEND_WITHIN_SECONDS)
        async with self._sessions() as session, session.begin():
            await Store(session).outbox.hand_back([row.id for row in rows])

    async def _send(self, row: DuePush) -> None:
        assert row.id is not None
        status, error, result, retry_after = "sent", "", "", None
        try:
            sent = await self._deliver(row.kind, _recipients(row), json.loads(row.payload))
            result = json.dumps(
                {"invalid_users": list(sent.invalid_users), "response_code": sent.response_code},
                ensure_ascii=False,
            )
        except WeComTransientError as exc:
            self._on_failure(exc.errcode)
            if row.attempts + 1 < MAX_ATTEMPTS:
                status, retry_after = "pending", self._wall_now() + backoff(row.attempts + 1)
            else:
                status = "failed"
            error = exc.text
        except WeComError as exc:
            self._on_failure(exc.errcode)
            status, error = "failed", exc.text
            if row.kind == "update_card" and exc.errcode == INVALID_PARAMETER:
                # The card's response_code was used or expired: the card keeps its old look
                # until it is tapped, when the passive reply shows the outcome. Not an error.
                log.info("outbox %s (%s): card not updated, response_code no longer valid", row.id, row.dedupe_key)
                status = "skipped"
        except Exception as exc:  # network trouble beyond the client's retries
            self._on_failure(None)
            log.exception("outbox %s: send failed", row.id)
            if row.attempts + 1 < MAX_ATTEMPTS:
                status, retry_after = "pending", self._wall_now() + backoff(row.attempts + 1)
            else:
                status = "failed"
            error = type(exc).__name__  # its message may hold a URL, and the URL a secret
        await self._finish(row, status, error, result, retry_after)

    async def _finish(
        self, row: DuePush, status: str, error: str, result: str = "", retry_after: datetime | None = None
    ) -> None:
        assert row.id is not None
        if status == "failed":
            log.error("outbox %s (%s) failed for good: %s", row.id, row.dedupe_key, error)
        async with self._sessions() as session, session.begin():
            await Store(session).outbox.finish(
                row.id, status, self._clock.now(), error=error, result=result, retry_after=retry_after
            )

    async def _deliver(self, kind: str, userids: list[str], payload: dict) -> SendResult:
        if kind == "text":
            return await self._client.send_text(userids, payload["content"])
        if kind == "markdown":
            return await self._client.send_markdown(userids, payload["content"])
        if kind == "template_card":
            return await self._client.send_template_card(userids, payload["card"])
        if kind == "update_card":
            return await self._client.update_template_card(
                userids,
                payload["response_code"],
                card=payload.get("card"),
                replace_name=payload.get("replace_name"),
            )
        if kind in ("image", "file"):
            # Uploaded at send time: a media_id lives 3 days, a queued row may wait longer.
            media_id = await self._client.upload_media(kind, payload["filename"], base64.b64decode(payload["data"]))
            return await self._client.send_media(userids, kind, media_id)
        raise WeComError(-2, f"unknown outbox kind {kind}")


def _recipients(row: DuePush) -> list[str]:
    return [u for u in row.userids.split("|") if u]


def _messages_each(kind: str, payload: dict) -> int:
    """How many messages a row puts in each recipient's chat; WeCom's limit counts these."""
    if kind in ("text", "markdown"):
        return len(message_parts(payload["content"]))
    if kind in ("template_card", "image", "file"):
        return 1
    return 0  # update_card changes a card already received

"""Drains the outbox: claim a row, send it through the WeCom client, record the outcome.

A row is claimed (pending → sending) in its own committed transaction before WeCom is called,
so a second replica or a rerun cannot send it again. WeCom's own duplicate check (set by the
client) covers the one ambiguous case: a crash between WeCom's answer and our record.

WeCom silently drops messages beyond 30 a minute or 1,000 an hour to one member, so a row
whose recipients are over that limit is not claimed: it stays pending and goes out on a later
drain, and rows behind it to the same people wait too, so each person's messages keep their
order. The limit runs on wall-clock time (a transport limit, counted by WeCom in real time).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
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


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: WeComClient,
        clock: Clock,
        on_failure: Callable[[int | None], None] = lambda errcode: None,
        poll_seconds: float = 2.0,
        limiter: RecipientRateLimiter | None = None,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._clock = clock
        self._limiter = limiter or RecipientRateLimiter()
        self._on_failure = on_failure  # metrics: a send that failed, by WeCom errcode
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="shiji-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _loop(self) -> None:
        while True:
            try:
                await self.drain_once()
            except Exception:  # keep draining; the row stays pending and is retried
                log.exception("outbox drain failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def drain_once(self, limit: int = 200) -> int:
        """Send what is due now; returns how many rows were attempted."""
        async with self._sessions() as session, session.begin():
            store = Store(session)
            # A sender that died mid-send left its row 'sending'; hand it back after a while.
            # WeCom's duplicate check (30 min) keeps a resend from reaching anyone twice.
            await store.outbox.release_stale(self._clock.now() - timedelta(minutes=10))
            due = await store.outbox.due(self._clock.now(), limit)
        attempted = 0
        held: set[str] = set()  # recipients with a row waiting for the rate limit
        for row in due:
            assert row.id is not None
            userids = _recipients(row)
            each = _messages_each(row.kind, json.loads(row.payload))
            try:
                over = bool(each) and (
                    not held.isdisjoint(userids) or self._limiter.delay_for(userids, each) > 0
                )
            except ValueError as exc:  # more parts than WeCom delivers to anyone in a minute
                if await self._claim(row.id):
                    attempted += 1
                    await self._finish(row, "failed", f"cannot be sent whole: {exc}")
                continue
            if over:
                held.update(userids)
                continue
            if not await self._claim(row.id):
                continue  # another replica took it
            attempted += 1
            self._limiter.record(userids, each)
            await self._send(row)
        return attempted

    async def _claim(self, outbox_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            return await Store(session).outbox.claim(outbox_id, self._clock.now())

    async def _send(self, row: DuePush) -> None:
        assert row.id is not None
        status, error, result, retry_at = "sent", "", "", None
        try:
            sent = await self._deliver(row.kind, _recipients(row), json.loads(row.payload))
            result = json.dumps(
                {"invalid_users": list(sent.invalid_users), "response_code": sent.response_code},
                ensure_ascii=False,
            )
        except WeComTransientError as exc:
            self._on_failure(exc.errcode)
            if row.attempts + 1 < MAX_ATTEMPTS:
                status, retry_at = "pending", self._clock.now() + timedelta(minutes=2**row.attempts)
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
                status, retry_at = "pending", self._clock.now() + timedelta(minutes=2**row.attempts)
            else:
                status = "failed"
            error = type(exc).__name__  # its message may hold a URL, and the URL a secret
        await self._finish(row, status, error, result, retry_at)

    async def _finish(
        self, row: DuePush, status: str, error: str, result: str = "", retry_at: datetime | None = None
    ) -> None:
        assert row.id is not None
        if status == "failed":
            log.error("outbox %s (%s) failed for good: %s", row.id, row.dedupe_key, error)
        async with self._sessions() as session, session.begin():
            await Store(session).outbox.finish(
                row.id, status, self._clock.now(), error=error, result=result, retry_at=retry_at
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
    if kind == "template_card":
        return 1
    return 0  # update_card changes a card already received

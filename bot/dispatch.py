"""From a decrypted callback to the reply: dedupe, who is it, route, one unit of work, commit.

Nothing here decides a business rule; handlers do. Every message's effects, its dedupe record
and any pushes it causes are committed together before WeCom gets its 200.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.caches import CalendarCache, DirectoryCache
from bot.clock import Clock
from bot.metrics import count_message
from bot.settings import Settings
from bot.wecom.api import split_text
from bot.wecom.inbound import Inbound
from handlers.base import CardAnswer, Ctx, Refusal, Reply, Sender
from handlers.router import BatchForm, Route, Router
from handlers.services import calendar_missing
from scoring.wecom_protocol import TEXT_LIMIT_BYTES
from scoring.workdays import UnknownCalendarYear, WorkCalendar
from storage.committer import Committer, Lanes
from storage.db import is_transient
from storage.directory import Person
from storage.repos import Store

log = logging.getLogger(__name__)

V = TypeVar("V")

UNKNOWN_USER_TEXT = (
    "您好！您还不在本区干部实绩考核名册中，暂时无法使用本助手。"
    "如您是参加考核的干部，请联系本单位管理员或区委组织部（考核办）将您加入名册。"
)
UNSUPPORTED_TEXT = "暂时只能识别文字消息。请用文字发送工作日志，或发送「帮助」查看用法。"
PASSIVE_LIMIT_BYTES = TEXT_LIMIT_BYTES

# A database that blinks (a restart, a crash and its recovery, a cut connection) is waited
# out, so nobody is asked to resend because of it. WeCom waits 5 s for an answer; without one
# it delivers the message again, up to 3 more times, and a delivery that finds the message
# still being worked on waits for that work. So the work goes on past one delivery's deadline
# (WeCom's next delivery gets the answer) and gives up only in time to tell the cadre on the
# last delivery that the message was not saved, the one answer WeCom will still show.
WECOM_DEADLINE_SECONDS = 5.0
WECOM_DELIVERIES = 4
LAST_ANSWER_SECONDS = 3.5  # the last delivery is answered within this, inside WeCom's 5 s
NEXT_DELIVERY_SECONDS = 3.0  # after a deadline passes, how long WeCom's next delivery may take
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.25)  # then every 0.25 s: answered soon after the database is back


# The answer to a message whose work failed, with the request id to quote to 考核办.
ERROR_TEXT = "系统暂时出错（编号 {rid}），这条消息没有保存，请稍后重新发送。如多次出现请把编号告诉考核办。"


class FailedBefore(Exception):
    """A retry of a message whose work failed: it is not run again, so a poison message
    cannot roll back (and rerun) every batch its retries land in. `answer` is what its first
    delivery was told. Remembered here for this process's retries, and stored with the
    message's dedupe record for every other replica's and after a restart (those are then
    answered from the record, as any retry is)."""

    def __init__(self, key: str, answer: Reply) -> None:
        super().__init__(key)
        self.answer = answer


def give_up_at(deliveries: int, last_delivery: float) -> float:
    """When a message that keeps failing because the database is away is given up (and its
    waiting deliveries told to resend): on WeCom's last delivery, in time to answer it; before
    that, only once WeCom's next delivery is overdue (it was not coming: tell whoever waits)."""
    if deliveries >= WECOM_DELIVERIES:
        return last_delivery + LAST_ANSWER_SECONDS
    return last_delivery + WECOM_DEADLINE_SECONDS + NEXT_DELIVERY_SECONDS


@dataclass
class _Flight:
    """A message being worked on, and WeCom's deliveries of it so far (transport time)."""

    future: asyncio.Future[Reply]
    last_delivery: float
    deliveries: int = 1

    def delivered_again(self, now: float) -> None:
        self.deliveries += 1
        self.last_delivery = now


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        committer: Committer,
        directory: DirectoryCache,
        calendar: CalendarCache,
        router: Router,
        batches: Mapping[BatchForm[Any], Lanes[Any, Reply]],
        recent_size: int = 20_000,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.committer = committer
        # The hot path: messages a route's batch form takes (today's logs), decided and
        # stored a batch at a time; a form without a committer here goes the ordinary way.
        self.batches = batches
        self.directory = directory
        self.calendar = calendar
        self.router = router
        self._rules = settings.rules
        self._admins = frozenset(settings.admin.userids)
        # Same-process retries (WeCom's, or a replayed request) are answered from memory; the
        # database claim covers other replicas and restarts. Key → (sender, reply).
        self._recent: OrderedDict[str, tuple[str, Reply]] = OrderedDict()
        self._recent_size = recent_size
        self._inflight: dict[str, _Flight] = {}
        self._failed: OrderedDict[str, Reply] = OrderedDict()  # keys whose work raised → their answer
        # Transport-side waiting (wall-clock, never the business clock); injected by tests.
        self._sleep = sleep
        self._monotonic = monotonic

    async def handle(self, inbound: Inbound, rid: str | None = None) -> Reply:
        """The reply to `inbound`. Its work failing raises; a later delivery of it raises
        FailedBefore with the answer to give. `rid`: the request's id, quoted in that answer."""
        key = inbound.dedupe_key
        if (known := self._recent.get(key)) is not None:
            return known[1]
        if (failed := self._failed.get(key)) is not None:
            raise FailedBefore(key, failed)
        if (running := self._inflight.get(key)) is not None:
            running.delivered_again(self._monotonic())
            return await asyncio.shield(running.future)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        flight = self._inflight[key] = _Flight(future, self._monotonic())
        try:
            answer = await self._process_through_blips(inbound, flight)
        except BaseException as exc:
            del self._inflight[key]
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            if isinstance(exc, Exception) and not is_transient(exc):
                await self._remember_failure(inbound, Reply(ERROR_TEXT.format(rid=rid or request_id())))
            raise
        del self._inflight[key]
        future.set_result(answer)
        _remember(self._recent, key, (inbound.from_user, answer), self._recent_size)
        return answer

    async def _remember_failure(self, inbound: Inbound, answer: Reply) -> None:
        """Keep a failed message's answer, here and with its dedupe record (its own
        transaction: the failed one left nothing), so no replica runs it again."""
        _remember(self._failed, inbound.dedupe_key, answer, self._recent_size)

        async def record(session: AsyncSession) -> None:
            await Store(session).inbound.record_failure(inbound.dedupe_key, inbound.from_user, self.clock.now(), answer.dumps())

        try:
            await self.committer.run(record)
        except Exception:  # the database fails too: this process still remembers it
            log.warning("could not store the failure of %s; other replicas may run it again", inbound.dedupe_key,
                        exc_info=True)

    def forget_replies_of(self, userids: set[str]) -> None:
        """Drop the remembered replies to these people: their rating ballot was handed in or
        its round closed, and replies echoing what they gave must not outlive it (the stored
        copies are blanked in the same transaction; storage/ballot_box.py drop_traces). A
        retry of such a message is then answered from the blanked stored reply."""
        for key in [k for k, (sender, _) in self._recent.items() if sender in userids]:
            del self._recent[key]

    async def _process_through_blips(self, inbound: Inbound, flight: _Flight) -> Reply:
        """Run the message; a transient database error is retried until the database is back
        or WeCom's last delivery must be answered (`give_up_at`). Safe: a transaction
        that did commit before the error left its dedupe claim, so the rerun answers from the
        stored reply instead of doing the work twice."""
        delays = itertools.chain(RETRY_DELAYS, itertools.repeat(RETRY_DELAYS[-1]))
        for attempt in itertools.count(1):
            try:
                return await self._process(inbound)
            except Exception as exc:
                delay = next(delays)
                give_up = give_up_at(flight.deliveries, flight.last_delivery)
                if not is_transient(exc) or self._monotonic() + delay > give_up:
                    raise
                if attempt == 1:
                    log.warning("database unavailable (%s); retrying the message until it is back", type(exc).__name__)
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _process(self, inbound: Inbound) -> Reply:
        userid = inbound.from_user
        directory = await self.directory.fresh()
        person = directory.get(userid)
        is_admin = userid in self._admins
        if person is None and not is_admin:
            person = (await self.directory.after_miss()).get(userid)
        if person is None and not is_admin:
            return await self.committer.run(lambda s: self._unknown_user(s, inbound))
        if inbound.kind == "event":
            return Reply()  # enter_agent and the like: nothing was asked
        route = self.router.route(inbound.content or "") if inbound.kind == "text" else None
        batch = None if route is None or route.batch is None else self.batches.get(route.batch)
        if route is not None and batch is not None:
            item = self.router.take(route, self._sender(inbound, person, is_admin), inbound.dedupe_key)
            if item is not None:
                return await batch.run(item, userid)
        return await self.committer.run(lambda s: self._work(s, inbound, person, is_admin, route))

    def _sender(self, inbound: Inbound, person: Person | None, is_admin: bool) -> Sender:
        return Sender(
            userid=inbound.from_user, person=person, is_admin=is_admin, now=self.clock.now(),
            settings=self._rules, calendar=self.calendar.current, directory=self.directory.current,
        )

    async def _unknown_user(self, session: AsyncSession, inbound: Inbound) -> Reply:
        count_message(session)
        store = Store(session)
        now = self.clock.now()
        if not await store.inbound.claim(inbound.dedupe_key, inbound.from_user, now):
            return Reply.loads(await store.inbound.stored_reply(inbound.dedupe_key))
        await store.unknown_users.record(inbound.from_user, inbound.content or f"[{inbound.raw_type}]", now)
        answer = Reply(UNKNOWN_USER_TEXT)
        await store.inbound.record_reply(inbound.dedupe_key, answer.dumps())
        return answer

    async def _work(
        self, session: AsyncSession, inbound: Inbound, person: Person | None, is_admin: bool, route: Route | None
    ) -> Reply:
        count_message(session)
        store = Store(session)
        sender = self._sender(inbound, person, is_admin)
        key = inbound.dedupe_key
        if not await store.inbound.claim(key, inbound.from_user, sender.now):
            return Reply.loads(await store.inbound.stored_reply(key))
        ctx = Ctx.chat(sender, store)
        answer = await self._run_handler(session, inbound, ctx, route)
        if answer.text and len(answer.text.encode()) > PASSIVE_LIMIT_BYTES:
            answer = await self._split_long_reply(store, inbound, answer.text)
        await store.inbound.record_reply(key, answer.dumps())
        return answer

    async def _run_handler(self, session: AsyncSession, inbound: Inbound, ctx: Ctx, route: Route | None) -> Reply:
        for attempt in (1, 2):
            try:
                async with session.begin_nested():  # a refusal undoes the handler's writes only
                    return await self._route(inbound, ctx, route)
            except Refusal as refusal:
                return Reply(refusal.text)
            except UnknownCalendarYear as missing:
                if attempt == 1:  # maybe another process loaded it since: reload, try once more
                    ctx = replace(ctx, calendar=await self._reload_calendar(ctx.store))  # a copy: ctx is frozen
                    continue
                await calendar_missing.alert_admins(ctx.store, sorted(self._admins), missing.year, ctx.today, ctx.now)
                text = calendar_missing.admin_text if ctx.is_admin else calendar_missing.refusal_text
                return Reply(text(missing.year))
        raise AssertionError("unreachable")

    async def _route(self, inbound: Inbound, ctx: Ctx, route: Route | None) -> Reply:
        if route is not None:  # a text, routed once
            return await route.handler(route.args, ctx)
        if inbound.kind == "card_event":
            card_handler = self.router.resolve_card(inbound.task_id or "")
            if card_handler is None:
                raise Refusal("这张卡片已失效或无法识别，请发送「帮助」查看可用命令。")
            answer = CardAnswer(
                task_id=inbound.task_id or "",
                event_key=inbound.event_key or "",
                selected=inbound.selected,
                response_code=inbound.response_code,
            )
            return await card_handler(answer, ctx)
        raise Refusal(UNSUPPORTED_TEXT)

    async def _reload_calendar(self, store: Store) -> WorkCalendar:
        from bot.calendar import build_calendar

        self.calendar.current = build_calendar(await store.calendar.loaded())
        return self.calendar.current

    async def _split_long_reply(self, store: Store, inbound: Inbound, text: str) -> Reply:
        """The first part goes back passively; the rest follows as messages, in order."""
        parts = split_text(text, PASSIVE_LIMIT_BYTES - 64)
        for index, part in enumerate(parts[1:], start=2):
            await store.outbox.enqueue(
                f"{inbound.dedupe_key}:part{index}", [inbound.from_user], "text",
                {"content": f"（续 {index}/{len(parts)}）\n{part}"}, self.clock.now(),
            )
        return Reply(f"{parts[0].rstrip()}\n（内容较长，共 {len(parts)} 段，其余 {len(parts) - 1} 段随后发送）")


def _remember(memory: OrderedDict[str, V], key: str, value: V, size: int) -> None:
    memory[key] = value
    if len(memory) > size:
        memory.popitem(last=False)


def request_id() -> str:
    return secrets.token_hex(4)

"""Keyword router: each conversation module registers its commands with who they are for
(handlers/audience.py); the router refuses anyone else before the handler runs, and `帮助`
and README's command table are built from the same declarations.

A text that starts with no command is read by `scoring.plain_text.read_plain_text` against
every keyword the router knows — the registered ones and those reserved for commands still
being built — and handed to the default conversation with that reading, so a command typed
slightly wrong is never taken for a log, and a reserved keyword becomes a real command the
moment a module registers it.

The default route may carry a batch form (today's log does): the messages it can decide on
the sender alone are decided and stored a batch at a time, the callback's hot path. bot/
asks the route for it and never names a conversation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Reply, Sender
from scoring.plain_text import Reading, fold, read_plain_text
from scoring.rule_settings import RuleSettings
from storage.writer import Driver

Handler = Callable[[str, Ctx], Awaitable[Reply]]
CardHandler = Callable[[CardAnswer, Ctx], Awaitable[Reply]]


@dataclass(frozen=True)
class PlainText:
    """A text that starts with no command, as the default conversation gets it."""

    text: str
    reading: Reading
    command: Command | None  # a COMMAND reading's command, None when not handled yet

    @property
    def handled(self) -> bool:
        return self.command is not None


PlainHandler = Callable[[PlainText, Ctx], Awaitable[Reply]]
I = TypeVar("I")  # noqa: E741 (an item of a batch)


@dataclass(frozen=True)
class BatchForm(Generic[I]):
    """The fast way of a route: `take` decides on what the message and its sender show
    (no store) whether the route would store it, and makes the item a batch carries (None:
    the ordinary way, where any refusal is worded); `apply` decides and stores a whole batch
    in one transaction on a plain driver (storage/writer.py), each reply as the route's own."""

    take: Callable[[PlainText, Sender, str], I | None]  # (the text as read, its sender, its dedupe key)
    apply: Callable[[Driver, list[I], RuleSettings], list[Reply]]


@dataclass(frozen=True)
class Route:
    """Where a text goes: its handler, its argument string, and the route's batch form."""

    handler: Handler
    args: str
    batch: BatchForm[Any] | None = None


# After a keyword: end, whitespace, a colon, or something that starts a date / number. Anything
# else means the keyword only begins an ordinary sentence ("修改了方案…" is a log, not 修改).
_FOLLOW = re.compile(r"^($|[\s:：,，]|\d|今天|今日|昨天|昨日|前天|本周|本月|本季|本单位)")


@dataclass(frozen=True)
class Command:
    keywords: tuple[str, ...]
    handler: Handler  # runs only for its audience (see _guarded)
    usage: str
    summary: str
    audience: Audience = Audience.everyone
    section: str = "日志"
    # The keyword is the whole message: with words after it the text is a log, not this
    # command (「进度：本周完成……」 is a day's work that starts with the word).
    alone: bool = False


class Router:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self._default: PlainHandler | None = None
        self._default_batch: BatchForm[Any] | None = None
        self._cards: list[tuple[str, CardHandler]] = []
        self._reserved: set[str] = set()
        self._matching: _Matching | None = None  # built on first use, dropped when commands change

    def command(
        self, *keywords: str, usage: str, summary: str, audience: Audience = Audience.everyone,
        section: str = "日志", alone: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register a command. The handler is returned checked too, so a conversation that
        hands over to another command (「测评 进度」) cannot skip that command's audience."""

        def register(handler: Handler) -> Handler:
            guarded = _guarded(handler, audience, f"「{keywords[0]}」")
            self.commands.append(Command(keywords, guarded, usage, summary, audience, section, alone))
            self._matching = None
            return guarded

        return register

    def default(self, *, batch: BatchForm[Any] | None = None) -> Callable[[PlainHandler], PlainHandler]:
        """Plain text that is no command (today's log), with what it reads as; `batch`: the
        route's fast way, given the text as read too."""

        def register(handler: PlainHandler) -> PlainHandler:
            self._default, self._default_batch = handler, batch
            return handler

        return register

    def reserve(self, *keywords: str) -> None:
        """Keywords of commands not built yet: never taken for a log, answered as such."""
        self._reserved.update(keywords)
        self._matching = None

    def handled_keywords(self) -> set[str]:
        return {kw for command in self.commands for kw in command.keywords}

    def commands_for(self, ctx: Ctx) -> list[Command]:
        """The commands the asker may use, in registration order."""
        return [c for c in self.commands if c.audience.admits(ctx.person, ctx.is_admin)]

    def card(self, task_prefix: str) -> Callable[[CardHandler], CardHandler]:
        """Template-card answers whose task_id starts with `task_prefix`."""

        def register(handler: CardHandler) -> CardHandler:
            self._cards.append((task_prefix, handler))
            return handler

        return register

    def include(self, other: Router, *, after: str | None = None) -> None:
        """Take `other`'s commands and card answers; `帮助` and README list commands in this
        order, at the end or right `after` the command with that keyword (a feature's command
        listed beside a kin living elsewhere, as 我的得分 after 评分)."""
        at = len(self.commands)
        if after is not None:
            at = next(i for i, c in enumerate(self.commands) if after in c.keywords) + 1
        self.commands[at:at] = other.commands
        self._cards.extend(other._cards)
        self._reserved.update(other._reserved)
        if other._default is not None:
            self._default, self._default_batch = other._default, other._default_batch
        self._matching = None

    @property
    def _match(self) -> _Matching:
        if self._matching is None:
            # A keyword that stands alone never makes a text that goes on a command mistyped.
            handled = frozenset(kw for c in self.commands if not c.alone for kw in c.keywords)
            by_first: dict[str, tuple[tuple[str, Command], ...]] = {}
            # Longest keyword first, so 我的得分 wins over 我的.
            for pair in sorted(((kw, c) for c in self.commands for kw in c.keywords), key=lambda p: -len(p[0])):
                by_first[pair[0][:1]] = (*by_first.get(pair[0][:1], ()), pair)
            # A reading names its keyword as plain_text compares it: folded, lower case.
            by_keyword = {fold(kw).lower(): c for c in self.commands for kw in c.keywords}
            alone = frozenset(kw for c in self.commands if c.alone for kw in c.keywords)
            self._matching = _Matching(by_first, by_keyword, handled | self._reserved, alone)
        return self._matching

    def resolve(self, text: str) -> tuple[Handler, str]:
        """The handler for a text and its argument string (normalised, keyword removed)."""
        original = text.strip()
        folded = fold(original)
        lowered = folded.lower()
        for keyword, command in self._match.by_first.get(lowered[:1], ()):
            rest = folded[len(keyword):]
            if command.alone and rest.strip(_SEPARATORS):
                continue
            if lowered.startswith(keyword) and _FOLLOW.match(rest):
                # Arguments keep the user's own characters; only the keyword was folded.
                return command.handler, original[len(keyword):].lstrip(_SEPARATORS).strip()
        return self.plain_text, original

    def route(self, text: str) -> Route:
        """`resolve`, with the route's batch form."""
        handler, args = self.resolve(text)
        return Route(handler, args, self._default_batch if handler == self.plain_text else None)

    def batch_forms(self) -> list[BatchForm[Any]]:
        return [] if self._default_batch is None else [self._default_batch]

    def take(self, route: Route, sender: Sender, dedupe_key: str) -> Any | None:
        """The item the route's batch form makes of this message, or None (no batch form,
        or the ordinary way)."""
        if route.batch is None:
            return None
        return route.batch.take(self._read_for(route.args, sender), sender, dedupe_key)

    def read(self, text: str, *, log_chars: int, names: Container[str]) -> PlainText:
        """What a text that starts with no command reads as, against every keyword known."""
        match = self._match
        reading = read_plain_text(text, match.known, log_chars=log_chars, names=names, alone=match.alone)
        return PlainText(text, reading, match.by_keyword.get(reading.keyword or ""))

    async def plain_text(self, text: str, ctx: Ctx) -> Reply:
        if self._default is None:
            raise LookupError("no default handler registered")
        return await self._default(self._read_for(text, ctx), ctx)

    def _read_for(self, text: str, sender: Sender) -> PlainText:
        """Read against the names this sender may see."""
        names = sender.directory.names_seen_by(sender.person, sender.is_admin)
        return self.read(text, log_chars=sender.settings.logs.min_chars, names=names)

    def resolve_card(self, task_id: str) -> CardHandler | None:
        for prefix, handler in sorted(self._cards, key=lambda pair: -len(pair[0])):
            if task_id.startswith(prefix):
                return handler
        return None


_SEPARATORS = " \t\n\u3000:：,，"


def _guarded(handler: Handler, audience: Audience, what: str) -> Handler:
    """`handler`, run only for `audience`: anyone else gets its one refusal, nothing done."""
    if audience is Audience.everyone:
        return handler

    @functools.wraps(handler)
    async def guarded(args: str, ctx: Ctx) -> Reply:
        ctx.require(audience, what)
        return await handler(args, ctx)

    return guarded


@dataclass(frozen=True)
class _Matching:
    """What every message is matched against, prepared once per set of commands."""

    by_first: dict[str, tuple[tuple[str, Command], ...]]  # (keyword, command) by first character
    by_keyword: dict[str, Command]  # folded, lower-case keyword -> its command
    known: frozenset[str]  # handled and reserved
    alone: frozenset[str]  # keywords that are a command only as the whole text

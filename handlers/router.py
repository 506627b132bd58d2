"""Keyword router: each conversation module registers its commands with who they are for
(handlers/audience.py); the router refuses anyone else before the handler runs, and `帮助`
and README's command table are built from the same declarations.

A text that starts with no command is read by `scoring.plain_text.read_plain_text` against
every keyword the router knows — the registered ones and those reserved for commands still
being built — and handed to the default conversation with that reading, so a command typed
slightly wrong is never taken for a log, and a reserved keyword becomes a real command the
moment a module registers it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Reply
from scoring.plain_text import Reading, fold, read_plain_text

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


class Router:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self._default: PlainHandler | None = None
        self._cards: list[tuple[str, CardHandler]] = []
        self._reserved: set[str] = set()
        self._matching: _Matching | None = None  # built on first use, dropped when commands change

    def command(
        self, *keywords: str, usage: str, summary: str, audience: Audience = Audience.everyone,
        section: str = "日志",
    ) -> Callable[[Handler], Handler]:
        """Register a command. The handler is returned checked too, so a conversation that
        hands over to another command (「测评 进度」) cannot skip that command's audience."""

        def register(handler: Handler) -> Handler:
            guarded = _guarded(handler, audience, f"「{keywords[0]}」")
            self.commands.append(Command(keywords, guarded, usage, summary, audience, section))
            self._matching = None
            return guarded

        return register

    def default(self, handler: PlainHandler) -> PlainHandler:
        """Plain text that is no command (today's log), with what it reads as."""
        self._default = handler
        return handler

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

    def include(self, other: Router) -> None:
        self.commands.extend(other.commands)
        self._cards.extend(other._cards)
        self._reserved.update(other._reserved)
        if other._default is not None:
            self._default = other._default
        self._matching = None

    @property
    def _match(self) -> _Matching:
        if self._matching is None:
            handled = frozenset(self.handled_keywords())
            by_first: dict[str, tuple[tuple[str, Command], ...]] = {}
            # Longest keyword first, so 我的得分 wins over 我的.
            for pair in sorted(((kw, c) for c in self.commands for kw in c.keywords), key=lambda p: -len(p[0])):
                by_first[pair[0][:1]] = (*by_first.get(pair[0][:1], ()), pair)
            # A reading names its keyword as plain_text compares it: folded, lower case.
            by_keyword = {fold(kw).lower(): c for c in self.commands for kw in c.keywords}
            self._matching = _Matching(by_first, by_keyword, handled | self._reserved)
        return self._matching

    def resolve(self, text: str) -> tuple[Handler, str]:
        """The handler for a text and its argument string (normalised, keyword removed)."""
        original = text.strip()
        folded = fold(original)
        lowered = folded.lower()
        for keyword, command in self._match.by_first.get(lowered[:1], ()):
            if lowered.startswith(keyword) and _FOLLOW.match(folded[len(keyword):]):
                # Arguments keep the user's own characters; only the keyword was folded.
                return command.handler, original[len(keyword):].lstrip(_SEPARATORS).strip()
        return self.plain_text, original

    def read(self, text: str, *, log_chars: int, names: Container[str]) -> PlainText:
        """What a text that starts with no command reads as, against every keyword known."""
        match = self._match
        reading = read_plain_text(text, match.known, log_chars=log_chars, names=names)
        return PlainText(text, reading, match.by_keyword.get(reading.keyword or ""))

    async def plain_text(self, text: str, ctx: Ctx) -> Reply:
        if self._default is None:
            raise LookupError("no default handler registered")
        names = ctx.directory.names_seen_by(ctx.person, ctx.is_admin)
        plain = self.read(text, log_chars=ctx.settings.logs.min_chars, names=names)
        return await self._default(plain, ctx)

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

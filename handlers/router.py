"""Keyword router: each conversation module registers its commands; `帮助` is built from them.

A text that starts with no command is read by `scoring.plain_text.read_plain_text` against
every keyword the router knows — the registered ones and those reserved for commands still
being built — and handed to the default conversation with that reading, so a command typed
slightly wrong is never taken for a log, and a reserved keyword becomes a real command the
moment a module registers it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass

from handlers.base import CardAnswer, Ctx, Reply
from scoring.plain_text import Reading, fold, read_plain_text

Handler = Callable[[str, Ctx], Awaitable[Reply]]
CardHandler = Callable[[CardAnswer, Ctx], Awaitable[Reply]]


@dataclass(frozen=True)
class PlainText:
    """A text that starts with no command, as the default conversation gets it."""

    text: str
    reading: Reading
    handled: bool  # a COMMAND reading's keyword is one this version handles


PlainHandler = Callable[[PlainText, Ctx], Awaitable[Reply]]

# After a keyword: end, whitespace, a colon, or something that starts a date / number. Anything
# else means the keyword only begins an ordinary sentence ("修改了方案…" is a log, not 修改).
_FOLLOW = re.compile(r"^($|[\s:：,，]|\d|今天|今日|昨天|昨日|前天|本周|本月|本季|本单位)")


@dataclass(frozen=True)
class Command:
    keywords: tuple[str, ...]
    handler: Handler
    usage: str
    summary: str
    admin_only: bool = False
    section: str = "日志"


class Router:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self._default: PlainHandler | None = None
        self._cards: list[tuple[str, CardHandler]] = []
        self._reserved: set[str] = set()
        self._matching: _Matching | None = None  # built on first use, dropped when commands change

    def command(
        self, *keywords: str, usage: str, summary: str, admin_only: bool = False, section: str = "日志"
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(Command(keywords, handler, usage, summary, admin_only, section))
            self._matching = None
            return handler

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
            self._matching = _Matching(by_first, handled, handled | self._reserved)
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
        return PlainText(text, reading, reading.keyword in match.handled)

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


@dataclass(frozen=True)
class _Matching:
    """What every message is matched against, prepared once per set of commands."""

    by_first: dict[str, tuple[tuple[str, Command], ...]]  # (keyword, command) by first character
    handled: frozenset[str]
    known: frozenset[str]  # handled and reserved

"""Keyword router: each conversation module registers its commands; `帮助` is built from them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.base import CardAnswer, Ctx, Reply
from handlers.text import fold

Handler = Callable[[str, Ctx], Awaitable[Reply]]
CardHandler = Callable[[CardAnswer, Ctx], Awaitable[Reply]]

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
        self._default: Handler | None = None
        self._cards: list[tuple[str, CardHandler]] = []

    def command(
        self, *keywords: str, usage: str, summary: str, admin_only: bool = False, section: str = "日志"
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(Command(keywords, handler, usage, summary, admin_only, section))
            return handler

        return register

    def default(self, handler: Handler) -> Handler:
        """Plain text that is no command (today's log)."""
        self._default = handler
        return handler

    def card(self, task_prefix: str) -> Callable[[CardHandler], CardHandler]:
        """Template-card answers whose task_id starts with `task_prefix`."""

        def register(handler: CardHandler) -> CardHandler:
            self._cards.append((task_prefix, handler))
            return handler

        return register

    def include(self, other: Router) -> None:
        self.commands.extend(other.commands)
        self._cards.extend(other._cards)
        if other._default is not None:
            self._default = other._default

    def resolve(self, text: str) -> tuple[Handler, str]:
        """The handler for a text and its argument string (normalised, keyword removed)."""
        original = text.strip()
        folded = fold(original)
        # Longest keyword first, so 我的得分 wins over 我的.
        candidates = sorted(
            ((kw, c) for c in self.commands for kw in c.keywords), key=lambda pair: -len(pair[0])
        )
        for keyword, command in candidates:
            if folded.lower().startswith(keyword) and _FOLLOW.match(folded[len(keyword):]):
                # Arguments keep the user's own characters; only the keyword was folded.
                return command.handler, original[len(keyword):].lstrip(_SEPARATORS).strip()
        if self._default is None:
            raise LookupError("no default handler registered")
        return self._default, original

    def resolve_card(self, task_id: str) -> CardHandler | None:
        for prefix, handler in sorted(self._cards, key=lambda pair: -len(pair[0])):
            if task_id.startswith(prefix):
                return handler
        return None


_SEPARATORS = " \t\n\u3000:：,，"

"""What every handler sees (Ctx) and returns (Reply), and the one refusal type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.audience import Audience
from scoring.config import ScoringConfig
from scoring.rule_settings import RuleSettings
from scoring.workdays import WorkCalendar
from storage.directory import Directory, Person
from storage.repos import Store

WEEKDAYS = "一二三四五六日"
_STORED = json.JSONEncoder(ensure_ascii=False)  # built once: every message stores its reply


@dataclass(frozen=True)
class Reply:
    """The answer to the person who wrote, sent back passively. Longer texts are split by
    bot/, not cut. Empty text and no card = nothing to say (an empty 200)."""

    text: str = ""
    # Passive-reply card update for card events (template_card_event); None = plain text.
    card_update: dict[str, Any] | None = None

    def dumps(self) -> str:
        """Stored with the dedupe record, so a retry of the message gets the same answer."""
        return _STORED.encode({"text": self.text, "card": self.card_update})

    @classmethod
    def loads(cls, raw: str | None) -> Reply:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(data.get("text") or "", data.get("card"))


@dataclass(frozen=True)
class CardAnswer:
    """A tap on a template card (WeCom's template_card_event), as the handler sees it."""

    task_id: str
    event_key: str
    # question key -> the option ids chosen (drop-downs, multiple_interaction selects)
    selected: Mapping[str, tuple[str, ...]]
    response_code: str | None = None

    def choice(self, question_key: str) -> tuple[str, ...]:
        return tuple(self.selected.get(question_key, ()))


class Refusal(Exception):
    """A request the bot will not carry out. `text` says why and what to do instead."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Sender:
    """Who wrote and what the bot knows as the message arrives: everything a handler sees
    but the store, which is all a batch form decides on (handlers/router.py `BatchForm`)."""

    userid: str
    person: Person | None  # None for an admin who is not on the roster
    is_admin: bool
    now: datetime
    settings: RuleSettings
    calendar: WorkCalendar
    directory: Directory

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def cfg(self) -> ScoringConfig:
        return self.settings.scoring.config

    def require(self, audience: Audience, what: str = "这条命令") -> None:
        if not audience.admits(self.person, self.is_admin):
            raise Refusal(audience.refusal(what, self.person))

    def require_person(self) -> Person:
        """The asker on the roster (a cadre or a superior leader, not a bare admin)."""
        self.require(Audience.rostered)
        assert self.person is not None
        return self.person

    def require_cadre(self) -> Person:
        """Someone who writes logs and is rated (not a superior leader, not a bare admin)."""
        self.require(Audience.cadre)
        assert self.person is not None
        return self.person


@dataclass(frozen=True)
class Ctx(Sender):
    """The one context of a unit of work, whoever drives it: a chat message (`Ctx.chat`), a
    scheduled job (scheduler/context.py `job_ctx`) or the command line (bot/cli/ops.py
    `cli_ctx`). Frozen: what changes during the work (a calendar loaded meanwhile) is a copy
    (`dataclasses.replace`), never a mutation another reader could see half-made.

    A job and the CLI act for the office: their `userid` is their `actor`, with no person and
    the admin's standing."""

    store: Store
    # Who drives the work, for the audit trail: the sender's userid, "cli:<login>", "scheduler".
    actor: str

    @classmethod
    def chat(cls, sender: Sender, store: Store) -> Ctx:
        """A chat message's context: the sender acts for themself."""
        return cls(**vars(sender), store=store, actor=sender.userid)

    @classmethod
    def office(
        cls, actor: str, store: Store, settings: RuleSettings, directory: Directory, calendar: WorkCalendar,
        now: datetime,
    ) -> Ctx:
        """The context of work nobody typed into chat (a job, the CLI): see `job_ctx`, `cli_ctx`."""
        return cls(userid=actor, person=None, is_admin=True, now=now, settings=settings, calendar=calendar,
                   directory=directory, store=store, actor=actor)

    async def audit(self, action: str, detail: str) -> None:
        await self.store.audit.record(self.actor, action, detail, self.now)


def day_label(day: date, today: date | None = None) -> str:
    """`11月20日（周五）`, with the year when it is not this year."""
    prefix = f"{day.year}年" if today is not None and day.year != today.year else ""
    return f"{prefix}{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def span_label(start: date, end: date) -> str:
    """`12月8日`, or `12月8日至12月10日`: a span of days as a leave or a period reads."""
    if start == end:
        return f"{start.month}月{start.day}日"
    return f"{start.month}月{start.day}日至{end.month}月{end.day}日"

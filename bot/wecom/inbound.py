"""Decrypted callback XML → the typed `Inbound` the dispatcher works with.

Parsed into xmltodict's shape (bot/wecom/xmldoc.py); every field is bounded here, at the
edge. Anything malformed or oversized becomes `CallbackRejected(400, …)`; a document the parser
refuses (too deep, too many elements, a DTD) after it had read a plausible FromUserName becomes
`UnreadableMessage`, so that sender is told why rather than met with silence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from bot.wecom.errors import PARSE_ERRORS, CallbackRejected, UnreadableMessage
from bot.wecom.xmldoc import XmlRefused, parse_xml
from scoring.numbers import ID_MAX, whole_number

__all__ = ["Inbound", "InboundKind", "parse_inbound"]

InboundKind = Literal["text", "event", "card_event", "other"]


@dataclass(frozen=True)
class Inbound:
    """One decrypted callback, reduced to what the bot needs."""

    kind: InboundKind
    raw_type: str
    from_user: str
    to_user: str
    agent_id: int | None
    create_time: int
    msg_id: str | None = None
    content: str | None = None
    event: str | None = None
    event_key: str | None = None
    task_id: str | None = None
    card_type: str | None = None
    response_code: str | None = None
    # question_key → chosen option ids (template_card_event); read-only like the rest.
    selected: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def dedupe_key(self) -> str:
        """Stable across WeCom's retries of the same delivery, distinct across deliveries.

        Always names the sender: a MsgId reused by someone else (forged, or colliding) must
        never fetch another person's stored reply, nor stop their message being handled."""
        if self.msg_id is not None:
            return f"msg:{self.from_user}:{self.msg_id}"
        key = f"evt:{self.from_user}:{self.create_time}:{self.event or self.raw_type}"
        if self.kind == "card_event":
            # Two taps within one second share user and CreateTime; WeCom gives each tap its
            # own ResponseCode (a retry repeats it). Digested to fit the 200-character column.
            tap = "\0".join((self.task_id or "", self.event_key or "", self.response_code or ""))
            key += ":" + hashlib.sha256(tap.encode()).hexdigest()[:32]
        return key


# The longest value each field may have, in characters: WeCom's own limits (userid 64 bytes,
# task_id and keys 128), and for Content beyond the longest text any setting accepts. Bounded
# here, the same on every database, so no column limit is ever reached from outside.
FIELD_MAX = {
    "FromUserName": 64, "ToUserName": 64, "MsgType": 32, "Event": 64, "EventKey": 128,
    "TaskId": 128, "CardType": 64, "ResponseCode": 256, "QuestionKey": 128, "OptionId": 128,
    "Content": 16_000,
}
SELECTED_MAX = 32  # questions on one card, and options of one question
EPOCH_MAX = 2**32 - 1  # a Unix time in seconds: nothing larger is a time WeCom sends


def _text(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    if len(value) > FIELD_MAX[key]:
        raise ValueError(f"{key} longer than {FIELD_MAX[key]}")
    return value


def _required(d: Mapping[str, Any], key: str) -> str:
    value = _text(d, key)
    if value is None:
        raise ValueError(f"{key} missing")
    return value


def _number(d: Mapping[str, Any], key: str, maximum: int) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    number = whole_number(value, maximum) if isinstance(value, str) else None
    if number is None:
        raise ValueError(f"{key} is not a number up to {maximum}")
    return number


def parse_inbound(plaintext: str) -> Inbound:
    try:
        return _parse(plaintext)
    except CallbackRejected:
        raise
    except XmlRefused as refused:
        reason = f"unreadable message: {refused}"
        sender = refused.read_so_far.get("FromUserName")
        if isinstance(sender, str) and 0 < len(sender) <= FIELD_MAX["FromUserName"]:
            raise UnreadableMessage(sender, reason) from None
        raise CallbackRejected(400, reason) from None
    except PARSE_ERRORS as exc:
        raise CallbackRejected(400, f"unparseable message: {type(exc).__name__}: {exc}") from None


def _parse(plaintext: str) -> Inbound:
    doc = parse_xml(plaintext, force_list=("SelectedItem", "OptionId"))
    msg = doc["xml"]
    if not isinstance(msg, dict):
        raise ValueError("empty message")
    raw_type = _required(msg, "MsgType")
    create_time = _number(msg, "CreateTime", EPOCH_MAX)
    if create_time is None:
        raise ValueError("CreateTime missing")
    msg_id = _number(msg, "MsgId", 2**64 - 1)  # WeCom's MsgId is a 64-bit number
    common: dict[str, Any] = {
        "raw_type": raw_type,
        "from_user": _required(msg, "FromUserName"),
        "to_user": _required(msg, "ToUserName"),
        "agent_id": _number(msg, "AgentID", ID_MAX),
        "create_time": create_time,
        "msg_id": None if msg_id is None else str(msg_id),
    }
    if raw_type == "text":
        return Inbound(kind="text", content=_text(msg, "Content") or "", **common)
    if raw_type != "event":
        return Inbound(kind="other", **common)
    event = _required(msg, "Event")
    common["event"] = event
    common["event_key"] = _text(msg, "EventKey")
    # Events carry no MsgId; one would only confuse the dedupe key.
    common["msg_id"] = None
    if event != "template_card_event":
        return Inbound(kind="event", **common)
    return Inbound(
        kind="card_event",
        task_id=_text(msg, "TaskId"),
        card_type=_text(msg, "CardType"),
        response_code=_text(msg, "ResponseCode"),
        selected=MappingProxyType(_selected_items(msg.get("SelectedItems"))),
        **common,
    )


def _selected_items(node: Any) -> dict[str, tuple[str, ...]]:
    """`SelectedItems/SelectedItem*/{QuestionKey, OptionIds/OptionId*}` → key → option ids."""
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise ValueError("SelectedItems malformed")
    result: dict[str, tuple[str, ...]] = {}
    items = node.get("SelectedItem") or []
    if len(items) > SELECTED_MAX:
        raise ValueError("too many SelectedItem")
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("SelectedItem malformed")
        question = _required(item, "QuestionKey")
        options_node = item.get("OptionIds")
        options: list[Any] = []
        if options_node is not None:
            if not isinstance(options_node, dict):
                raise ValueError("OptionIds malformed")
            options = options_node.get("OptionId") or []
        if len(options) > SELECTED_MAX:
            raise ValueError("too many OptionId")
        if not all(isinstance(o, str) and len(o) <= FIELD_MAX["OptionId"] for o in options):
            raise ValueError("OptionId is not short text")
        result[question] = tuple(options)
    return result

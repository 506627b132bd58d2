"""Decrypted callback XML → the typed `Inbound` the dispatcher works with.

wechatpy parses text messages; `template_card_event` (which wechatpy does not know) is parsed
here with xmltodict. Anything malformed becomes `CallbackRejected(400, …)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import xmltodict
from wechatpy.enterprise import parse_message

from bot.wecom.errors import PARSE_ERRORS, CallbackRejected

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
        """Stable across WeCom's retries of the same delivery, distinct across deliveries."""
        if self.msg_id is not None:
            return "msg:" + self.msg_id
        key = f"evt:{self.from_user}:{self.create_time}:{self.event or self.raw_type}"
        if self.kind == "card_event":
            # Two taps on different buttons within one second share user and CreateTime.
            key += f":{self.task_id or ''}:{self.event_key or ''}"
        return key


def _text(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{key} is not text")


def _required(d: Mapping[str, Any], key: str) -> str:
    value = _text(d, key)
    if value is None:
        raise ValueError(f"{key} missing")
    return value


def parse_inbound(plaintext: str) -> Inbound:
    try:
        return _parse(plaintext)
    except CallbackRejected:
        raise
    except PARSE_ERRORS as exc:
        raise CallbackRejected(400, f"unparseable message: {type(exc).__name__}: {exc}") from None


def _parse(plaintext: str) -> Inbound:
    doc = xmltodict.parse(plaintext, disable_entities=True, force_list=("SelectedItem", "OptionId"))
    msg = doc["xml"]
    if not isinstance(msg, dict):
        raise ValueError("empty message")
    raw_type = _required(msg, "MsgType")
    agent = _text(msg, "AgentID")
    common: dict[str, Any] = {
        "raw_type": raw_type,
        "from_user": _required(msg, "FromUserName"),
        "to_user": _required(msg, "ToUserName"),
        "agent_id": int(agent) if agent else None,
        "create_time": int(_required(msg, "CreateTime")),
        "msg_id": _text(msg, "MsgId"),
    }
    if raw_type == "text":
        parsed = parse_message(plaintext)
        content = parsed.content
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise ValueError("Content is not text")
        return Inbound(kind="text", content=content, **common)
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
    for item in node.get("SelectedItem") or []:
        if not isinstance(item, dict):
            raise ValueError("SelectedItem malformed")
        question = _required(item, "QuestionKey")
        options_node = item.get("OptionIds")
        options: list[Any] = []
        if options_node is not None:
            if not isinstance(options_node, dict):
                raise ValueError("OptionIds malformed")
            options = options_node.get("OptionId") or []
        if not all(isinstance(o, str) for o in options):
            raise ValueError("OptionId is not text")
        result[question] = tuple(options)
    return result

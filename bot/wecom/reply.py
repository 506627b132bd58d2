"""Passive-reply XML: what the bot answers inside the callback's HTTP response.

User text is echoed back inside CDATA; wechatpy's replies do not escape `]]>` (NOTES.md), so
everything here goes through `cdata`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["cdata", "message_xml", "text_reply_xml", "update_button_xml", "update_template_card_xml"]


def cdata(text: str) -> str:
    """Wrap text in CDATA so that no content can close it early or inject markup."""
    # XML 1.0 cannot carry these code points at all, escaped or not; a visible U+FFFD beats a
    # reply WeCom refuses to parse.
    text = _XML_ILLEGAL.sub("\ufffd", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def message_xml(to_user: str, from_user: str, create_time: int, msg_type: str, body: str) -> str:
    """A WeCom message in XML: the common header, then `body` (elements, already escaped)."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType>{cdata(msg_type)}</MsgType>"
        f"{body}"
        "</xml>"
    )


def text_reply_xml(to_user: str, from_user: str, create_time: int, content: str) -> str:
    """Passive text reply; `from_user` is the corp id."""
    return message_xml(to_user, from_user, create_time, "text", f"<Content>{cdata(content)}</Content>")


def update_button_xml(to_user: str, from_user: str, create_time: int, replace_name: str) -> str:
    """Passive reply to a template_card_event that relabels the tapped card's buttons (doc 90241)."""
    body = f"<Button><ReplaceName>{cdata(replace_name)}</ReplaceName></Button>"
    return message_xml(to_user, from_user, create_time, "update_button", body)


def update_template_card_xml(
    to_user: str, from_user: str, create_time: int, card: Mapping[str, Any]
) -> str:
    """Passive reply that replaces the whole card (doc 90241).

    `card` is the JSON shape used by message/send (snake_case keys); the XML form uses
    CamelCase element names and repeats an element for each list entry.
    """
    body = f"<TemplateCard>{_card_xml(card)}</TemplateCard>"
    return message_xml(to_user, from_user, create_time, "update_template_card", body)


def _camel(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def _card_xml(node: Mapping[str, Any]) -> str:
    out: list[str] = []
    for key, value in node.items():
        tag = _camel(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping):
                out.append(f"<{tag}>{_card_xml(item)}</{tag}>")
            elif isinstance(item, bool):
                out.append(f"<{tag}>{int(item)}</{tag}>")
            elif isinstance(item, int | float):
                out.append(f"<{tag}>{item}</{tag}>")
            else:
                out.append(f"<{tag}>{cdata(str(item))}</{tag}>")
    return "".join(out)

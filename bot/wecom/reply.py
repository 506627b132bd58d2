"""Passive-reply XML: what the bot answers inside the callback's HTTP response.

User text is echoed back inside CDATA; wechatpy's replies do not escape `]]>` (docs/wecom/NOTES.md), so
everything here goes through `cdata`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CARD_ELEMENTS",
    "card_from_xml",
    "cdata",
    "message_xml",
    "text_reply_xml",
    "update_button_xml",
    "update_template_card_xml",
]


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
    """Passive reply that replaces the whole card (doc 90241, 模板卡片更新消息).

    `card` is the JSON shape used by message/send; each key becomes the element the document
    names (CARD_ELEMENTS), a list repeats its element once per entry, and booleans are written
    `true`/`false` as in the document's examples.
    """
    body = f"<TemplateCard>{_card_xml(card)}</TemplateCard>"
    return message_xml(to_user, from_user, create_time, "update_template_card", body)


# doc 90241 被动回复消息格式 → 模板卡片更新消息 → 更新点击用户的整张卡片: the element for each
# JSON key of a card. Not a camel-casing of the key: the document writes `keyname` as KeyName,
# `appid` as AppId, `pagepath` as PagePath and `checkbox` as CheckBox. The page lists no
# element for `userid` (horizontal_content_list type 3); UserId follows its MediaId/TaskId.
CARD_ELEMENTS: dict[str, str] = {
    "card_type": "CardType",
    "source": "Source",
    "icon_url": "IconUrl",
    "desc": "Desc",
    "desc_color": "DescColor",
    "action_menu": "ActionMenu",
    "action_list": "ActionList",
    "text": "Text",
    "key": "Key",
    "task_id": "TaskId",
    "main_title": "MainTitle",
    "title": "Title",
    "quote_area": "QuoteArea",
    "type": "Type",
    "url": "Url",
    "appid": "AppId",
    "pagepath": "PagePath",
    "quote_text": "QuoteText",
    "emphasis_content": "EmphasisContent",
    "sub_title_text": "SubTitleText",
    "horizontal_content_list": "HorizontalContentList",
    "keyname": "KeyName",
    "value": "Value",
    "media_id": "MediaId",
    "userid": "UserId",
    "jump_list": "JumpList",
    "card_action": "CardAction",
    "image_text_area": "ImageTextArea",
    "image_url": "ImageUrl",
    "card_image": "CardImage",
    "aspect_ratio": "AspectRatio",
    "vertical_content_list": "VerticalContentList",
    "button_selection": "ButtonSelection",
    "question_key": "QuestionKey",
    "option_list": "OptionList",
    "id": "Id",
    "selected_id": "SelectedId",
    "disable": "Disable",
    "button_list": "ButtonList",
    "style": "Style",
    "replace_text": "ReplaceText",
    "checkbox": "CheckBox",
    "is_checked": "IsChecked",
    "mode": "Mode",
    "submit_button": "SubmitButton",
    "select_list": "SelectList",
}


def _card_xml(node: Mapping[str, Any]) -> str:
    out: list[str] = []
    for key, value in node.items():
        tag = CARD_ELEMENTS.get(key)
        if tag is None:  # a guessed element name is silently ignored by WeCom: fail here instead
            raise ValueError(f"doc 90241 names no XML element for card field {key!r}")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping):
                out.append(f"<{tag}>{_card_xml(item)}</{tag}>")
            elif isinstance(item, bool):
                out.append(f"<{tag}>{'true' if item else 'false'}</{tag}>")
            elif isinstance(item, int | float):
                out.append(f"<{tag}>{item}</{tag}>")
            else:
                out.append(f"<{tag}>{cdata(str(item))}</{tag}>")
    return "".join(out)


# The JSON fields that are lists: in XML their element repeats (xmltodict's force_list).
LIST_ELEMENTS = tuple(
    CARD_ELEMENTS[key]
    for key in (
        "action_list", "horizontal_content_list", "jump_list", "vertical_content_list",
        "option_list", "button_list", "select_list",
    )
)
_FIELDS = {element: key for key, element in CARD_ELEMENTS.items()}
_INTS = frozenset({"type", "style", "mode", "desc_color"})
_BOOLS = frozenset({"disable", "is_checked"})


def card_from_xml(node: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed <TemplateCard> (xmltodict, `force_list=LIST_ELEMENTS`) back in the JSON shape.

    Raises ValueError for an element doc 90241 does not name or a value of the wrong kind, so
    what the bot answers can be checked with the same rules as what it sends.
    """
    card: dict[str, Any] = {}
    for element, value in node.items():
        key = _FIELDS.get(element)
        if key is None:
            raise ValueError(f"doc 90241 has no element <{element}> in a template card")
        items = [_field(key, item) for item in value] if isinstance(value, list) else _field(key, value)
        card[key] = items
    return card


def _field(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return card_from_xml(value)
    text = "" if value is None else str(value)
    if key in _BOOLS:
        if text not in ("true", "false"):
            raise ValueError(f"<{CARD_ELEMENTS[key]}> is true or false, not {text!r}")
        return text == "true"
    if key in _INTS:
        return int(text)
    return float(text) if key == "aspect_ratio" else text

"""What WeCom's documentation says an app may send, as checks.

The stand-in applies them to every API call and the simulator to every passive reply, so each
test that makes the bot speak checks it against the documented rules for free. A rule names
its page, developer.work.weixin.qq.com/document/path/<id>:

- 90236 发送应用消息 (and its template_card section; 90372 is the same text for third-party
  apps), 94888 更新模版卡片消息, 90241 被动回复消息格式, 90240 模板卡片事件,
- 90455 全局错误码 for the codes; where a page names no code for a rule, the stand-in answers
  with the family's generic code and the constant says "-ish".

Where the documentation only recommends a length (「建议不超过…」) the check logs a warning
instead of refusing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from scoring.wecom_protocol import (
    MAIN_TITLE_DESC_CHARS,
    MAX_BUTTONS,
    MAX_OPTIONS,
    MAX_RECIPIENTS,
    MAX_SELECTS,
    RESPONSE_CODE_HOURS,
    TASK_ID,
    TEXT_LIMIT_BYTES,
)

log = logging.getLogger("wecom.standin")

# doc 90455 全局错误码
ERR_INVALID_MEDIA = 40007  # 不合法的media_id参数
ERR_INVALID_MSGTYPE = 40008  # 不合法的msgtype参数
ERR_USERLIST_LENGTH = 40032  # 不合法的UserID列表长度 (发消息接口最多指定1000人)
ERR_INVALID_PARAMETER = 40035  # 不合法的参数
ERR_INVALID_AGENTID = 40056  # 不合法的agentid
ERR_BAD_PARAMETER = 40058  # 不合法的参数: 传递参数不符合系统要求，需要参照具体API接口说明
ERR_MISSING_AGENTID = 41011  # 缺少agentid参数 ("missing agentid")
# Duplicate, empty or over-long task_id; WeCom's own message: "taskid has existed or empty or
# exceed max len". A bad character is not named in it: -ish.
ERR_TASK_ID = 42014
ERR_EMPTY_CONTENT = 44004  # 文本消息content参数为空
ERR_CONTENT_TOO_LONG = 45002  # 消息内容大小超过限制 (markdown only; text is truncated)
# response_code unknown, used or older than 72 h: doc 94888 states the rule, no code: -ish.
ERR_RESPONSE_CODE = ERR_INVALID_PARAMETER

MAX_PARTIES = 100  # doc 90236 toparty/totag 「最多支持100个」
MAX_CONTENT_BYTES = TEXT_LIMIT_BYTES  # doc 90236 text/markdown content 「最长不超过2048个字节」
RESPONSE_CODE_TTL = RESPONSE_CODE_HOURS * 3600  # doc 94888 「response_code的有效期是72小时」
# doc 90195 创建成员 userid 「只能由数字、字母和“_-@.”组成」, 1 to 64 bytes: anything else in a
# touser list (a comma, a space) names nobody.
USERID = re.compile(r"[A-Za-z0-9_\-@.]{1,64}")
MEDIA_MSGTYPES = frozenset({"image", "voice", "video", "file"})
CONTENT_MSGTYPES = frozenset({"text", "markdown"})
SEND_MSGTYPES = CONTENT_MSGTYPES | MEDIA_MSGTYPES | {"template_card"}
CARD_TYPES = frozenset(
    {"text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction"}
)
# Only these return a response_code and may be updated (doc 90236 response_code, doc 94888).
INTERACTIVE_CARDS = frozenset({"button_interaction", "vote_interaction", "multiple_interaction"})


class Refused(Exception):
    """WeCom would answer this call with `errcode`."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def _refuse(errcode: int, doc: str, what: str) -> Refused:
    return Refused(errcode, f"{what} (doc {doc})")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def advise(value: Any, chars: int, where: str, doc: str = "90236") -> None:
    """A documented recommendation (「建议不超过N个字」): warn, WeCom still accepts it."""
    if isinstance(value, str) and len(value) > chars:
        log.warning("%s has %d characters; doc %s recommends at most %d", where, len(value), doc, chars)


# ---- message/send (doc 90236) ------------------------------------------------------------


def check_agent(data: Mapping[str, Any], agent_id: int) -> None:
    """doc 90236 / 94888: `agentid` 是 (required), the app's own id."""
    agent = data.get("agentid")
    if agent is None or agent == "":
        raise _refuse(ERR_MISSING_AGENTID, "90236", "missing agentid")
    try:
        ok = not isinstance(agent, bool) and int(agent) == agent_id
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise _refuse(ERR_INVALID_AGENTID, "90236", "invalid agentid")


def touser_ids(value: Any) -> list[str]:
    """doc 90236 touser: ids joined by '|', at most 1,000, or '@all'."""
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise _refuse(ERR_INVALID_PARAMETER, "90236", "touser must be ids joined by '|'")
    users = value.split("|")
    if len(users) > MAX_RECIPIENTS:
        raise _refuse(ERR_USERLIST_LENGTH, "90236", f"touser exceeds {MAX_RECIPIENTS} ids")
    return list(dict.fromkeys(users))


def check_parties(data: Mapping[str, Any]) -> None:
    """doc 90236 toparty/totag: ids joined by '|', at most 100 each."""
    for field in ("toparty", "totag"):
        value = data.get(field)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value.split("|")) > MAX_PARTIES:
            raise _refuse(ERR_INVALID_PARAMETER, "90236", f"{field}: at most {MAX_PARTIES} ids joined by '|'")


def is_userid(value: str) -> bool:
    return bool(USERID.fullmatch(value))


def check_msgtype(data: Mapping[str, Any]) -> str:
    """doc 90236 msgtype 是; the stand-in knows text, markdown, the media types and template_card."""
    msgtype = data.get("msgtype")
    if msgtype not in SEND_MSGTYPES:
        raise _refuse(ERR_INVALID_MSGTYPE, "90236", "invalid message type")
    return str(msgtype)


def content_of(msgtype: str, body: Any) -> str:
    """doc 90236 text/markdown content 是, at most 2,048 bytes.

    Text longer than that is delivered cut (「超过将截断」, with a warning here); the markdown
    paragraph says only 「最长不超过2048个字节」, so a longer one is refused.
    """
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, str) or not content.strip():
        raise _refuse(ERR_EMPTY_CONTENT, "90236", "empty content")
    if utf8_len(content) <= MAX_CONTENT_BYTES:
        return content
    if msgtype == "markdown":
        raise _refuse(ERR_CONTENT_TOO_LONG, "90236", "content size out of limit")
    log.warning("text of %d bytes cut to %d (doc 90236: 超过将截断)", utf8_len(content), MAX_CONTENT_BYTES)
    return content.encode("utf-8", "surrogatepass")[:MAX_CONTENT_BYTES].decode("utf-8", "ignore")


# ---- template cards (doc 90236 template_card; the same shape in 94888 and 90241) -----------


def check_card(card: Any, media_known: Callable[[str], bool], *, doc: str = "90236") -> str | None:
    """Every documented rule on one template_card; returns its task_id (None when absent).

    Uniqueness of the task_id across the app's history is the stand-in's to check (42014).
    """
    if not isinstance(card, Mapping):
        raise _refuse(ERR_BAD_PARAMETER, doc, "template_card missing")
    card_type = card.get("card_type")
    if card_type not in CARD_TYPES:
        raise _refuse(ERR_BAD_PARAMETER, doc, "invalid card_type")
    task_id = card.get("task_id")
    # Sending (90236): task_id 是 for the interactive types and 「填了action_menu字段的话本字段必填」.
    # A card that replaces one (94888, 90241) is that card: the reply example has no TaskId.
    if task_id is None and doc == "90236" and (card_type in INTERACTIVE_CARDS or "action_menu" in card):
        raise _refuse(ERR_TASK_ID, doc, "task_id missing")
    if task_id is not None and (not isinstance(task_id, str) or not TASK_ID.fullmatch(task_id)):
        raise _refuse(ERR_TASK_ID, doc, "task_id: 1 to 128 of letters, digits and _-@")
    _check_titles(card, card_type, doc)
    _check_parts(card, media_known, doc)
    _REQUIRED[card_type](card, doc)
    return task_id


def _need(condition: bool, doc: str, what: str) -> None:
    if not condition:
        raise _refuse(ERR_BAD_PARAMETER, doc, what)


def _object(card: Mapping[str, Any], key: str, doc: str, what: str) -> Mapping[str, Any]:
    """A field that must be a JSON object."""
    value = card.get(key)
    if not isinstance(value, Mapping):
        raise _refuse(ERR_BAD_PARAMETER, doc, what)
    return value


def _items(card: Mapping[str, Any], key: str, most: int, doc: str, *, least: int = 0) -> list[Any]:
    """A list field: a JSON array of objects, `least` to `most` long (「列表长度不超过N」)."""
    value = card.get(key, [])
    _need(isinstance(value, list) and all(isinstance(v, Mapping) for v in value), doc, f"{key} must be a list")
    _need(least <= len(value) <= most, doc, f"{key} holds {least} to {most} entries")
    return list(value)


def _unique(values: Iterable[Any], doc: str, what: str) -> None:
    seen = list(values)
    _need(len(seen) == len(set(seen)), doc, f"{what} must not repeat (「不可重复」)")


def _key(value: Any, doc: str, what: str, *, limit: int = 1024) -> None:
    """Keys and question keys: 「最长支持1024字节」; option ids: 128."""
    _need(isinstance(value, str) and 0 < utf8_len(value) <= limit, doc, f"{what}: 1 to {limit} bytes")


def _check_titles(card: Mapping[str, Any], card_type: str, doc: str) -> None:
    main = card.get("main_title", {})
    _need(isinstance(main, Mapping), doc, "main_title must be an object")
    if card_type == "text_notice":
        # 「文本通知型卡片本字段非必填，但不可本字段和sub_title_text都不填」
        _need(bool(main.get("title") or card.get("sub_title_text")), doc, "main_title.title or sub_title_text")
    else:
        _need(bool(main.get("title")), doc, "main_title.title is required")
    advise(main.get("title"), 36, "main_title.title", doc)
    advise(main.get("desc"), MAIN_TITLE_DESC_CHARS, "main_title.desc", doc)
    advise(card.get("sub_title_text"), 160, "sub_title_text", doc)
    source = card.get("source", {})
    _need(isinstance(source, Mapping), doc, "source must be an object")
    advise(source.get("desc"), 20, "source.desc", doc)


def _check_parts(card: Mapping[str, Any], media_known: Callable[[str], bool], doc: str) -> None:
    for item in _items(card, "horizontal_content_list", 6, doc):
        _need(bool(item.get("keyname")), doc, "horizontal_content_list.keyname is required")
        advise(item.get("keyname"), 5, "horizontal_content_list.keyname", doc)
        advise(item.get("value"), 30, "horizontal_content_list.value", doc)
        kind = item.get("type", 0)
        _need(kind in (0, 1, 2, 3), doc, "horizontal_content_list.type is 0 to 3")
        _need(kind != 1 or bool(item.get("url")), doc, "horizontal_content_list.url is required for type 1")
        _need(kind != 3 or bool(item.get("userid")), doc, "horizontal_content_list.userid is required for type 3")
        if kind == 2 and not (isinstance(item.get("media_id"), str) and media_known(item["media_id"])):
            raise _refuse(ERR_INVALID_MEDIA, doc, "horizontal_content_list.media_id must come from an upload")
    for jump in _items(card, "jump_list", 3, doc):
        _need(bool(jump.get("title")), doc, "jump_list.title is required")
        advise(jump.get("title"), 18, "jump_list.title", doc)
    for entry in _items(card, "vertical_content_list", 4, doc):
        _need(bool(entry.get("title")), doc, "vertical_content_list.title is required")
    if "action_menu" in card:
        menu = card["action_menu"]
        _need(isinstance(menu, Mapping), doc, "action_menu must be an object")
        actions = _items(menu, "action_list", 3, doc, least=1)
        for action in actions:
            _key(action.get("key"), doc, "action_menu.action_list.key")
        _unique((a["key"] for a in actions), doc, "action_menu.action_list.key")
    buttons = _items(card, "button_list", MAX_BUTTONS, doc)
    for button in buttons:
        _need(bool(button.get("text")), doc, "button_list.text is required")
        advise(button.get("text"), 10, "button_list.text", doc)
        if button.get("type", 0) == 1:
            _need(bool(button.get("url")), doc, "button_list.url is required for type 1")
        else:
            _key(button.get("key"), doc, "button_list.key")
    _unique((b["key"] for b in buttons if "key" in b), doc, "button_list.key")
    selections = _items(card, "select_list", MAX_SELECTS, doc)
    if "button_selection" in card:
        _need(isinstance(card["button_selection"], Mapping), doc, "button_selection must be an object")
        selections.append(card["button_selection"])
    for selection in selections:
        _check_selection(selection, doc)
    _unique((s["question_key"] for s in selections), doc, "question_key")


def _check_selection(selection: Mapping[str, Any], doc: str) -> None:
    """button_selection / select_list: 「下拉选项不超过 10 个，最少1个」, ids ≤ 128 bytes, unique."""
    _key(selection.get("question_key"), doc, "question_key")
    advise(selection.get("title"), 13, "selection title", doc)
    options = _items(selection, "option_list", MAX_OPTIONS, doc, least=1)
    for option in options:
        _key(option.get("id"), doc, "option_list.id", limit=128)
        _need(bool(option.get("text")), doc, "option_list.text is required")
        advise(option.get("text"), 16, "option_list.text", doc)
    _unique((o["id"] for o in options), doc, "option_list.id")


def _needs_action(card: Mapping[str, Any], doc: str) -> None:
    """card_action 是 for text_notice and news_notice: type 1 with url or 2 with appid."""
    action = _object(card, "card_action", doc, "card_action is required")
    kind = action.get("type")
    _need(kind in (1, 2), doc, "card_action.type is 1 or 2")
    _need(bool(action.get("url" if kind == 1 else "appid")), doc, "card_action url/appid for its type")


def _text_notice(card: Mapping[str, Any], doc: str) -> None:
    _needs_action(card, doc)


def _news_notice(card: Mapping[str, Any], doc: str) -> None:
    _needs_action(card, doc)
    # 「card_image和image_text_area两者必填一个字段，不可都不填」
    _need("card_image" in card or "image_text_area" in card, doc, "card_image or image_text_area")


def _button_interaction(card: Mapping[str, Any], doc: str) -> None:
    _need(bool(card.get("button_list")), doc, "button_list is required")


def _vote_interaction(card: Mapping[str, Any], doc: str) -> None:
    checkbox = _object(card, "checkbox", doc, "checkbox is required")
    _key(checkbox.get("question_key"), doc, "checkbox.question_key")
    _need(checkbox.get("mode", 0) in (0, 1), doc, "checkbox.mode is 0 or 1")
    options = _items(checkbox, "option_list", 20, doc, least=1)  # 「选项个数不超过 20 个，最少1个」
    for option in options:
        _key(option.get("id"), doc, "checkbox.option_list.id", limit=128)
        _need(bool(option.get("text")), doc, "checkbox.option_list.text is required")
        advise(option.get("text"), 17, "checkbox.option_list.text", doc)
    _unique((o["id"] for o in options), doc, "checkbox.option_list.id")
    _submit_button(card, doc)


def _multiple_interaction(card: Mapping[str, Any], doc: str) -> None:
    _need(bool(card.get("select_list")), doc, "select_list is required")
    _submit_button(card, doc)


def _submit_button(card: Mapping[str, Any], doc: str) -> None:
    button = _object(card, "submit_button", doc, "submit_button is required")
    _key(button.get("key"), doc, "submit_button.key")
    advise(button.get("text"), 10, "submit_button.text", doc)


_REQUIRED: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    "text_notice": _text_notice,
    "news_notice": _news_notice,
    "button_interaction": _button_interaction,
    "vote_interaction": _vote_interaction,
    "multiple_interaction": _multiple_interaction,
}


# ---- message/update_template_card (doc 94888) ---------------------------------------------


def update_form(data: Mapping[str, Any], media_known: Callable[[str], bool]) -> None:
    """Exactly one of `button.replace_name` and a whole `template_card`; `userids` a list ≤ 1,000."""
    button = data.get("button")
    card = data.get("template_card")
    has_button = isinstance(button, Mapping) and isinstance(button.get("replace_name"), str)
    if has_button == (card is not None):
        raise _refuse(ERR_INVALID_PARAMETER, "94888", "give exactly one of button or template_card")
    if card is not None:
        check_card(card, media_known, doc="94888")
    userids = data.get("userids", [])
    if not isinstance(userids, list) or not all(isinstance(u, str) and u for u in userids):
        raise _refuse(ERR_INVALID_PARAMETER, "94888", "userids must be a list of ids")
    if len(userids) > MAX_RECIPIENTS:
        raise _refuse(ERR_USERLIST_LENGTH, "94888", f"userids exceeds {MAX_RECIPIENTS} ids")

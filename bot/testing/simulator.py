"""WeCom's side of the callback protocol, for tests, the `shiji chat` CLI and benchmarks.

`WeComSimulator` signs and encrypts callbacks exactly as WeCom does and opens the bot's passive
replies the way WeCom would, refusing what WeCom would refuse.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.testing import rules
from bot.wecom.crypto import seal, sign
from bot.wecom.errors import PARSE_ERRORS, CallbackRejected
from bot.wecom.reply import LIST_ELEMENTS, card_from_xml, cdata, message_xml

__all__ = ["PassiveReply", "SignedCallback", "WeComSimulator", "read_reply"]

_REPLY_HEADER = frozenset({"ToUserName", "FromUserName", "CreateTime", "MsgType"})

# A passive reply that does not parse, or lacks an element its kind must have.
_REPLY_ERRORS: tuple[type[BaseException], ...] = (*PARSE_ERRORS, AttributeError)


@dataclass(frozen=True)
class SignedCallback:
    """One callback request as WeCom would send it."""

    query: Mapping[str, str]
    body: bytes

    @property
    def query_string(self) -> str:
        return urlencode(dict(self.query))


class WeComSimulator:
    """Plays WeCom's side of the callback protocol: builds encrypted callbacks, opens replies."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, agent_id: int) -> None:
        self._token = token
        self._key = base64.b64decode(encoding_aes_key + "=")
        if len(self._key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)

    def _seal(
        self, plaintext: str, timestamp: int | None, nonce: str | None
    ) -> tuple[str, str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**10))
        # WeCom's prefix is opaque bytes to us; raw random bytes exercise the decoder fully.
        return seal(self._key, plaintext, self.corp_id, os.urandom(16)), ts, nonce

    def url_verification(
        self, echo: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        """Query parameters of the GET with which WeCom checks a callback URL."""
        encrypt, ts, nonce = self._seal(echo, timestamp, nonce)
        return {
            "msg_signature": sign(self._token, ts, nonce, encrypt),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": encrypt,
        }

    def callback(
        self, plaintext_xml: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> SignedCallback:
        """Seal any inner XML into a signed callback POST."""
        encrypt, ts, nonce = self._seal(plaintext_xml, timestamp, nonce)
        body = (
            "<xml>"
            f"<ToUserName>{cdata(self.corp_id)}</ToUserName>"
            f"<AgentID>{cdata(str(self.agent_id))}</AgentID>"
            f"<Encrypt>{cdata(encrypt)}</Encrypt>"
            "</xml>"
        )
        query = {
            "msg_signature": sign(self._token, ts, nonce, encrypt),
            "timestamp": ts,
            "nonce": nonce,
        }
        return SignedCallback(query=query, body=body.encode("utf-8"))

    def text_message(
        self,
        from_user: str,
        content: str,
        *,
        msg_id: int | str | None = None,
        create_time: int | None = None,
        nonce: str | None = None,
    ) -> SignedCallback:
        ct = int(time.time()) if create_time is None else create_time
        mid = str(secrets.randbits(63)) if msg_id is None else str(msg_id)
        body = (
            f"<Content>{cdata(content)}</Content>"
            f"<MsgId>{mid}</MsgId>"
            f"<AgentID>{self.agent_id}</AgentID>"
        )
        inner = message_xml(self.corp_id, from_user, ct, "text", body)
        return self.callback(inner, timestamp=ct, nonce=nonce)

    def event(
        self,
        from_user: str,
        event: str,
        *,
        event_key: str | None = None,
        create_time: int | None = None,
        nonce: str | None = None,
    ) -> SignedCallback:
        ct = int(time.time()) if create_time is None else create_time
        key = "" if event_key is None else f"<EventKey>{cdata(event_key)}</EventKey>"
        body = f"<AgentID>{self.agent_id}</AgentID><Event>{cdata(event)}</Event>{key}"
        inner = message_xml(self.corp_id, from_user, ct, "event", body)
        return self.callback(inner, timestamp=ct, nonce=nonce)

    def card_event(
        self,
        from_user: str,
        *,
        task_id: str,
        event_key: str,
        card_type: str = "button_interaction",
        response_code: str | None = None,
        selected: Mapping[str, Sequence[str]] | None = None,
        create_time: int | None = None,
        nonce: str | None = None,
    ) -> SignedCallback:
        """A `template_card_event` as documented in doc 90240."""
        ct = int(time.time()) if create_time is None else create_time
        code = secrets.token_urlsafe(24) if response_code is None else response_code
        items = ""
        if selected is not None:
            parts = []
            for question, options in selected.items():
                opts = "".join(f"<OptionId>{cdata(o)}</OptionId>" for o in options)
                parts.append(
                    "<SelectedItem>"
                    f"<QuestionKey>{cdata(question)}</QuestionKey>"
                    f"<OptionIds>{opts}</OptionIds>"
                    "</SelectedItem>"
                )
            items = "<SelectedItems>" + "".join(parts) + "</SelectedItems>"
        body = (
            "<Event><![CDATA[template_card_event]]></Event>"
            f"<EventKey>{cdata(event_key)}</EventKey>"
            f"<TaskId>{cdata(task_id)}</TaskId>"
            f"<CardType>{cdata(card_type)}</CardType>"
            f"<ResponseCode>{cdata(code)}</ResponseCode>"
            f"<AgentID>{self.agent_id}</AgentID>"
            f"{items}"
        )
        inner = message_xml(self.corp_id, from_user, ct, "event", body)
        return self.callback(inner, timestamp=ct, nonce=nonce)

    def open_reply(self, body: bytes | str) -> str:
        """Check a passive reply's signature and decrypt it; '' for an empty 200 (no reply).

        Raises CallbackRejected on anything WeCom itself would refuse.
        """
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        if not body:
            return ""
        try:
            doc = xmltodict.parse(body, disable_entities=True)["xml"]
            encrypt = doc["Encrypt"]
            signature = doc["MsgSignature"]
            timestamp = doc["TimeStamp"]
            nonce = doc["Nonce"]
        except PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"reply is not an envelope: {type(exc).__name__}") from None
        if not all(isinstance(v, str) for v in (encrypt, signature, timestamp, nonce)):
            raise CallbackRejected(400, "reply envelope malformed")
        expected = sign(self._token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise CallbackRejected(403, "reply signature mismatch")
        try:
            plain: str = self._crypto.decrypt_message(
                {"Encrypt": encrypt}, signature, timestamp, nonce
            )
        except (InvalidSignatureException, InvalidCorpIdException) as exc:
            raise CallbackRejected(403, type(exc).__name__) from None
        except PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"reply undecryptable: {type(exc).__name__}") from None
        self._check_reply(plain)
        return plain

    def _check_reply(self, plain: str) -> None:
        """The passive reply against doc 90241 被动回复消息格式, as WeCom would read it."""
        try:
            doc = xmltodict.parse(plain, disable_entities=True, force_list=LIST_ELEMENTS)["xml"]
            kind = doc["MsgType"]
            if doc["FromUserName"] != self.corp_id or not doc["ToUserName"] or not doc["CreateTime"].isdigit():
                raise ValueError("ToUserName, FromUserName (the corp id) and CreateTime are required")
            body = {k: v for k, v in doc.items() if k not in _REPLY_HEADER}
            if kind == "text" and set(body) == {"Content"}:
                rules.content_of("text", {"content": body["Content"]})
            elif kind == "update_button" and set(body) == {"Button"}:
                if not isinstance(body["Button"], dict) or set(body["Button"]) != {"ReplaceName"}:
                    raise ValueError("update_button carries <Button><ReplaceName>")
            elif kind == "update_template_card" and set(body) == {"TemplateCard"}:
                rules.check_card(card_from_xml(body["TemplateCard"]), lambda _media: True, doc="90241")
            else:
                raise ValueError(f"doc 90241 has no {kind!r} reply with {sorted(body)}")
        except rules.Refused as exc:
            raise CallbackRejected(400, f"passive reply: {exc.errmsg}") from None
        except _REPLY_ERRORS as exc:
            raise CallbackRejected(400, f"passive reply: {exc}") from None


@dataclass(frozen=True)
class PassiveReply:
    """What a phone shows for a passive reply: a text, or the tapped card changed in place."""

    msg_type: str  # "" for an empty 200, text, update_template_card or update_button
    text: str = ""
    card: dict[str, Any] | None = None  # update_template_card, in message/send's JSON shape
    replace_name: str | None = None  # update_button


def read_reply(plain_xml: str) -> PassiveReply:
    """A passive reply opened by `WeComSimulator.open_reply` (so already checked against doc
    90241), as the phone shows it."""
    if not plain_xml:
        return PassiveReply("")
    doc = xmltodict.parse(plain_xml, disable_entities=True, force_list=LIST_ELEMENTS)["xml"]
    msg_type = str(doc["MsgType"])
    if msg_type == "update_template_card":
        return PassiveReply(msg_type, card=card_from_xml(doc["TemplateCard"]))
    if msg_type == "update_button":
        return PassiveReply(msg_type, replace_name=str(doc["Button"]["ReplaceName"]))
    return PassiveReply(msg_type, text=str(doc.get("Content") or ""))

"""WeCom (企业微信) callback crypto and wire format: the one module that touches wechatpy.

Server side: `CallbackCrypto` verifies, decrypts and parses inbound callbacks into `Inbound`
values and encrypts passive replies. Client side: `WeComSimulator` produces callbacks exactly
as WeCom would, for tests, the CLI chat and benchmarks.

Everything untrusted fails as `CallbackRejected(status, reason)`; wechatpy's own exception zoo
(see shared/wecom/NOTES.md) never escapes this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import string
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlencode
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

__all__ = [
    "MAX_BODY_BYTES",
    "CallbackCrypto",
    "CallbackRejected",
    "Inbound",
    "InboundKind",
    "SignedCallback",
    "WeComSimulator",
    "cdata",
    "text_reply_xml",
    "update_button_xml",
    "update_template_card_xml",
]

# A real callback is a few KiB (text content is capped at 2,048 bytes); refusing anything much
# larger before parsing keeps a hostile body from costing memory or CPU.
MAX_BODY_BYTES = 256 * 1024

# Everything wechatpy, xmltodict, base64 and struct raise on hostile input (NOTES.md), plus
# AttributeError: wechatpy calls `.lower()` on whatever xmltodict returned for MsgType.
_PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    binascii.Error,  # a ValueError already; listed because NOTES.md names it
    UnicodeDecodeError,
    ExpatError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    struct.error,
)

InboundKind = Literal["text", "event", "card_event", "other"]


class CallbackRejected(Exception):
    """A callback we refuse; `status` is the HTTP status to answer (400 malformed, 403 forged)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


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


def cdata(text: str) -> str:
    """Wrap text in CDATA so that no content can close it early or inject markup."""
    # XML 1.0 cannot carry these code points at all, escaped or not; a visible U+FFFD beats a
    # reply WeCom refuses to parse.
    text = _XML_ILLEGAL.sub("\ufffd", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    parts = sorted([token, timestamp, nonce, encrypt])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()


class _PrefixedPrp(PrpCrypto):  # type: ignore[misc]
    """wechatpy's cipher with a prefix we choose: wechatpy draws it from `random`, not a CSPRNG."""

    def __init__(self, key: bytes, prefix: bytes | None = None) -> None:
        super().__init__(key)
        self._prefix = prefix

    def get_random_string(self) -> bytes:
        if self._prefix is not None:
            return self._prefix
        # Printable like Tencent's own samples, so any receiver that decodes it as text copes.
        alphabet = string.ascii_letters + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(16)).encode("ascii")


_ENVELOPE = """<xml>
<Encrypt><![CDATA[{encrypt}]]></Encrypt>
<MsgSignature><![CDATA[{signature}]]></MsgSignature>
<TimeStamp>{timestamp}</TimeStamp>
<Nonce><![CDATA[{nonce}]]></Nonce>
</xml>"""


class CallbackCrypto:
    """Server side of WeCom's callback protocol for one self-built app."""

    def __init__(
        self,
        token: str,
        encoding_aes_key: str,
        corp_id: str,
        max_age_seconds: int = 300,
    ) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        self._token = token
        self._corp_id = corp_id
        self._max_age = max_age_seconds
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        self._key: bytes = self._crypto.key

    @property
    def corp_id(self) -> str:
        return self._corp_id

    # ---- inbound -----------------------------------------------------------------------

    def verify_url(
        self, msg_signature: str, timestamp: str, nonce: str, echostr: str, now: datetime
    ) -> str:
        """Answer WeCom's GET URL check: the decrypted echostr, to be sent back verbatim."""
        self._check(msg_signature, timestamp, nonce, echostr, now)
        try:
            plain: str = self._crypto.check_signature(msg_signature, timestamp, nonce, echostr)
        except (InvalidSignatureException, InvalidCorpIdException) as exc:
            raise CallbackRejected(403, type(exc).__name__) from None
        except _PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"bad echostr: {type(exc).__name__}") from None
        return plain

    def decrypt(
        self, msg_signature: str, timestamp: str, nonce: str, body: bytes, now: datetime
    ) -> Inbound:
        """Verify, decrypt and parse one callback POST body."""
        encrypt = self._outer_encrypt(body)
        plaintext = self.decrypt_payload(msg_signature, timestamp, nonce, encrypt, now)
        return _parse_inbound(plaintext)

    def decrypt_payload(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str, now: datetime
    ) -> str:
        """Verify and decrypt one `Encrypt` value (XML or JSON callbacks) to its plaintext."""
        self._check(msg_signature, timestamp, nonce, encrypt, now)
        try:
            plain: str = self._crypto.decrypt_message(
                {"Encrypt": encrypt}, msg_signature, timestamp, nonce
            )
        except (InvalidSignatureException, InvalidCorpIdException) as exc:
            # Signed with our token but sealed for another corp: not ours to answer.
            raise CallbackRejected(403, type(exc).__name__) from None
        except _PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"undecryptable payload: {type(exc).__name__}") from None
        return plain

    def _check(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str, now: datetime
    ) -> None:
        """Signature (constant time) and timestamp window, before any decryption."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not all(isinstance(v, str) for v in (msg_signature, timestamp, nonce, encrypt)):
            raise CallbackRejected(400, "missing signature parameters")
        try:
            expected = _signature(self._token, timestamp, nonce, encrypt).encode("ascii")
            given = msg_signature.encode("utf-8")
        except UnicodeError:
            raise CallbackRejected(400, "undecodable signature parameters") from None
        if not hmac.compare_digest(expected, given):
            raise CallbackRejected(403, "bad signature")
        # Checked after the signature so an outsider learns nothing about our clock.
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise CallbackRejected(400, "bad timestamp")
        if abs(now.timestamp() - int(timestamp)) > self._max_age:
            raise CallbackRejected(403, "stale timestamp")

    @staticmethod
    def _outer_encrypt(body: bytes) -> str:
        if len(body) > MAX_BODY_BYTES:
            raise CallbackRejected(400, "body too large")
        try:
            doc = xmltodict.parse(body, disable_entities=True)
        except _PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"body is not XML: {type(exc).__name__}") from None
        xml = doc.get("xml") if isinstance(doc, dict) else None
        encrypt = xml.get("Encrypt") if isinstance(xml, dict) else None
        if not isinstance(encrypt, str) or not encrypt:
            raise CallbackRejected(400, "no <Encrypt> in body")
        return encrypt

    # ---- outbound ----------------------------------------------------------------------

    def encrypt_reply(
        self,
        xml_plaintext: str,
        nonce: str,
        timestamp: str,
        *,
        random_prefix: bytes | None = None,
    ) -> str:
        """Seal a passive reply; `random_prefix` is for known-answer tests only."""
        if random_prefix is not None and len(random_prefix) != 16:
            raise ValueError("random_prefix must be 16 bytes")
        encrypt = _seal(self._key, xml_plaintext, self._corp_id, random_prefix)
        return _ENVELOPE.format(
            encrypt=encrypt,
            signature=_signature(self._token, timestamp, nonce, encrypt),
            timestamp=timestamp,
            nonce=nonce,
        )


def _seal(key: bytes, plaintext: str, receive_id: str, prefix: bytes | None) -> str:
    sealed: bytes = _PrefixedPrp(key, prefix).encrypt(plaintext, receive_id)
    return sealed.decode("ascii")


# ---- parsing ---------------------------------------------------------------------------


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


def _parse_inbound(plaintext: str) -> Inbound:
    try:
        return _parse_inbound_unchecked(plaintext)
    except CallbackRejected:
        raise
    except _PARSE_ERRORS as exc:
        raise CallbackRejected(400, f"unparseable message: {type(exc).__name__}: {exc}") from None


def _parse_inbound_unchecked(plaintext: str) -> Inbound:
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


# ---- passive reply XML -----------------------------------------------------------------


def text_reply_xml(to_user: str, from_user: str, create_time: int, content: str) -> str:
    """Passive text reply; `from_user` is the corp id."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def update_button_xml(to_user: str, from_user: str, create_time: int, replace_name: str) -> str:
    """Passive reply to a template_card_event that relabels the tapped card's buttons (doc 90241)."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[update_button]]></MsgType>"
        f"<Button><ReplaceName>{cdata(replace_name)}</ReplaceName></Button>"
        "</xml>"
    )


def update_template_card_xml(
    to_user: str, from_user: str, create_time: int, card: Mapping[str, Any]
) -> str:
    """Passive reply that replaces the whole card (doc 90241).

    `card` is the JSON shape used by message/send (snake_case keys); the XML form uses
    CamelCase element names and repeats an element for each list entry.
    """
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[update_template_card]]></MsgType>"
        f"<TemplateCard>{_card_xml(card)}</TemplateCard>"
        "</xml>"
    )


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


# ---- client side: what WeCom does ------------------------------------------------------


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
        return _seal(self._key, plaintext, self.corp_id, os.urandom(16)), ts, nonce

    def url_verification(
        self, echo: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        """Query parameters of the GET with which WeCom checks a callback URL."""
        encrypt, ts, nonce = self._seal(echo, timestamp, nonce)
        return {
            "msg_signature": _signature(self._token, ts, nonce, encrypt),
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
            "msg_signature": _signature(self._token, ts, nonce, encrypt),
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
        inner = (
            "<xml>"
            f"<ToUserName>{cdata(self.corp_id)}</ToUserName>"
            f"<FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{ct}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content>"
            f"<MsgId>{mid}</MsgId>"
            f"<AgentID>{self.agent_id}</AgentID>"
            "</xml>"
        )
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
        inner = (
            "<xml>"
            f"<ToUserName>{cdata(self.corp_id)}</ToUserName>"
            f"<FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{ct}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            f"<AgentID>{self.agent_id}</AgentID>"
            f"<Event>{cdata(event)}</Event>{key}"
            "</xml>"
        )
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
        inner = (
            "<xml>"
            f"<ToUserName>{cdata(self.corp_id)}</ToUserName>"
            f"<FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{ct}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[template_card_event]]></Event>"
            f"<EventKey>{cdata(event_key)}</EventKey>"
            f"<TaskId>{cdata(task_id)}</TaskId>"
            f"<CardType>{cdata(card_type)}</CardType>"
            f"<ResponseCode>{cdata(code)}</ResponseCode>"
            f"<AgentID>{self.agent_id}</AgentID>"
            f"{items}"
            "</xml>"
        )
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
        except _PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"reply is not an envelope: {type(exc).__name__}") from None
        if not all(isinstance(v, str) for v in (encrypt, signature, timestamp, nonce)):
            raise CallbackRejected(400, "reply envelope malformed")
        expected = _signature(self._token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise CallbackRejected(403, "reply signature mismatch")
        try:
            plain: str = self._crypto.decrypt_message(
                {"Encrypt": encrypt}, signature, timestamp, nonce
            )
        except (InvalidSignatureException, InvalidCorpIdException) as exc:
            raise CallbackRejected(403, type(exc).__name__) from None
        except _PARSE_ERRORS as exc:
            raise CallbackRejected(400, f"reply undecryptable: {type(exc).__name__}") from None
        return plain

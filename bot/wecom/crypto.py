"""WeCom callback crypto: signature, timestamp window, AES; the one module that decrypts.

`CallbackCrypto` verifies and decrypts inbound callbacks (parsed by `bot.wecom.inbound`) and
seals passive replies. `sign` and `seal` are shared with the simulator, which plays WeCom's
side. The known-answer vectors in tests/fixtures/wecom/vectors.json test this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from datetime import datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.wecom.errors import PARSE_ERRORS, CallbackRejected
from bot.wecom.inbound import EPOCH_MAX, Inbound, parse_inbound
from bot.wecom.xmldoc import XmlRefused, parse_xml
from scoring.numbers import whole_number

__all__ = ["MAX_BODY_BYTES", "CallbackCrypto", "seal", "sign"]

# A real callback is a few KiB (text content is capped at 2,048 bytes); refusing anything much
# larger before parsing keeps a hostile body from costing memory or CPU.
MAX_BODY_BYTES = 256 * 1024
_PAD_BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    parts = sorted([token, timestamp, nonce, encrypt])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()


class _PrefixedPrp(PrpCrypto):
    """wechatpy's cipher with a prefix we choose: wechatpy draws it from `random`, not a CSPRNG."""

    def __init__(self, key: bytes, prefix: bytes | None = None) -> None:
        super().__init__(key)
        self._prefix = prefix

    def get_random_string(self) -> bytes:
        if self._prefix is not None:
            return self._prefix
        return secrets.token_bytes(16).translate(_PRINTABLE)


# Random bytes → letters and digits, printable like Tencent's own samples so any receiver that
# decodes the prefix as text copes; one translate instead of 16 calls of secrets.choice. The
# prefix only makes equal replies encrypt differently: 256 % 62 slightly favouring 8 of the
# 62 symbols costs it nothing.
_ALPHANUMERIC = (string.ascii_letters + string.digits).encode("ascii")
_PRINTABLE = bytes(_ALPHANUMERIC[i % len(_ALPHANUMERIC)] for i in range(256))


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
        agent_id: int,
        max_age_seconds: int = 300,
    ) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        self._token = token
        self._corp_id = corp_id
        self._agent_id = agent_id
        self._max_age = max_age_seconds
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        self._key: bytes = self._crypto.key
        # Built once: a Cipher hands out a fresh encryptor/decryptor context per message.
        self._cipher = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))
        self._sealer = _PrefixedPrp(self._key)

    @property
    def corp_id(self) -> str:
        return self._corp_id

    # ---- inbound -----------------------------------------------------------------------

    def verify_url(
        self, msg_signature: str, timestamp: str, nonce: str, echostr: str, now: datetime
    ) -> str:
        """Answer WeCom's GET URL check: the decrypted echostr, to be sent back verbatim."""
        self._check(msg_signature, timestamp, nonce, echostr, now)
        return _open(self._cipher, echostr, self._corp_id)

    def decrypt(
        self, msg_signature: str, timestamp: str, nonce: str, body: bytes, now: datetime
    ) -> Inbound:
        """Verify, decrypt and parse one callback POST body."""
        encrypt = self._outer_encrypt(body)
        plaintext = self.decrypt_payload(msg_signature, timestamp, nonce, encrypt, now)
        inbound = parse_inbound(plaintext)
        # Sealed for our corp but meant for another of its apps (or addressed oddly inside the
        # envelope): not ours to answer. WeCom's reference code checks only the corp.
        if inbound.to_user != self._corp_id:
            raise CallbackRejected(403, "ToUserName is not our corp")
        if inbound.agent_id != self._agent_id and (inbound.agent_id is not None or inbound.kind != "event"):
            raise CallbackRejected(403, f"AgentID {inbound.agent_id} is not ours")
        return inbound

    def decrypt_payload(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str, now: datetime
    ) -> str:
        """Verify and decrypt one `Encrypt` value (XML or JSON callbacks) to its plaintext."""
        self._check(msg_signature, timestamp, nonce, encrypt, now)
        return _open(self._cipher, encrypt, self._corp_id)

    def _check(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str, now: datetime
    ) -> None:
        """Signature (constant time) and timestamp window, before any decryption."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not all(isinstance(v, str) for v in (msg_signature, timestamp, nonce, encrypt)):
            raise CallbackRejected(400, "missing signature parameters")
        try:
            expected = sign(self._token, timestamp, nonce, encrypt).encode("ascii")
            given = msg_signature.encode("utf-8")
        except UnicodeError:
            raise CallbackRejected(400, "undecodable signature parameters") from None
        if not hmac.compare_digest(expected, given):
            raise CallbackRejected(403, "bad signature")
        # Checked after the signature so an outsider learns nothing about our clock.
        stamp = whole_number(timestamp, EPOCH_MAX)
        if stamp is None:
            raise CallbackRejected(400, "bad timestamp")
        if abs(now.timestamp() - stamp) > self._max_age:
            raise CallbackRejected(403, "stale timestamp")

    @staticmethod
    def _outer_encrypt(body: bytes) -> str:
        if len(body) > MAX_BODY_BYTES:
            raise CallbackRejected(400, "body too large")
        try:
            doc = parse_xml(body)
        except XmlRefused as refused:  # our own words: which rule (a DTD, the depth, …)
            raise CallbackRejected(400, f"body refused by the XML parser: {refused}") from None
        except PARSE_ERRORS as exc:
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
        if random_prefix is None:
            encrypt = self._sealer.encrypt(xml_plaintext, self._corp_id).decode("ascii")
        else:
            encrypt = seal(self._key, xml_plaintext, self._corp_id, random_prefix)
        return _ENVELOPE.format(
            encrypt=encrypt,
            signature=sign(self._token, timestamp, nonce, encrypt),
            timestamp=timestamp,
            nonce=nonce,
        )


def seal(key: bytes, plaintext: str, receive_id: str, prefix: bytes | None) -> str:
    sealed: bytes = _PrefixedPrp(key, prefix).encrypt(plaintext, receive_id)
    return sealed.decode("ascii")


def _open(cipher: Cipher[modes.CBC], encrypt: str, receive_id: str) -> str:
    """AES-256-CBC (IV = key[:16]) → random(16) | length(4) | message | receive id, padded
    PKCS#7 to 32 bytes as WeCom pads. Stricter than wechatpy, which accepts any pad bytes and
    padding to 16: the signature is checked before this runs, so being strict here tells a
    forger nothing, and anything WeCom did not seal exactly so is refused."""
    try:
        sealed = base64.b64decode(encrypt, validate=True)
    except ValueError:
        raise CallbackRejected(400, "Encrypt is not base64") from None
    if not sealed or len(sealed) % _PAD_BLOCK:
        raise CallbackRejected(400, "Encrypt is not whole 32-byte blocks")
    decryptor = cipher.decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= _PAD_BLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise CallbackRejected(400, "inconsistent PKCS#7 padding")
    content = padded[16:-pad]
    if len(content) < 4:
        raise CallbackRejected(400, "sealed message too short")
    length = int.from_bytes(content[:4], "big")
    if length > len(content) - 4:
        raise CallbackRejected(400, "sealed message length exceeds its data")
    if not hmac.compare_digest(content[4 + length:], receive_id.encode("utf-8")):
        raise CallbackRejected(403, "sealed for another corp")
    try:
        return content[4:4 + length].decode("utf-8")
    except UnicodeDecodeError:
        raise CallbackRejected(400, "sealed message is not UTF-8") from None

"""How the WeCom adapter refuses untrusted input: one exception, one list of what to catch.

wechatpy's own exception zoo (see docs/wecom/NOTES.md) never escapes bot/wecom/: each module
catches `PARSE_ERRORS` and raises `CallbackRejected(status, reason)` instead.
"""

from __future__ import annotations

import binascii
import struct
from xml.parsers.expat import ExpatError

__all__ = ["PARSE_ERRORS", "CallbackRejected", "UnreadableMessage"]

# Everything wechatpy, xmltodict, expat, base64 and struct raise on hostile input
# (docs/wecom/NOTES.md), plus AttributeError: wechatpy calls `.lower()` on whatever xmltodict returned
# for MsgType.
PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    binascii.Error,  # a ValueError already; listed because docs/wecom/NOTES.md names it
    UnicodeDecodeError,
    ExpatError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    struct.error,
)


class CallbackRejected(Exception):
    """A callback we refuse; `status` is the HTTP status to answer (400 malformed, 403 forged)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class UnreadableMessage(CallbackRejected):
    """An authentic message (signed and sealed for us) whose XML the parser refused, from a
    sender it had read by then: answered with a polite passive reply to `from_user` instead of
    a bare 400, and, like any refusal, neither run nor stored."""

    def __init__(self, from_user: str, reason: str) -> None:
        super().__init__(400, reason)
        self.from_user = from_user

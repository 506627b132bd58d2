"""How the WeCom adapter refuses untrusted input: one exception, one list of what to catch.

wechatpy's own exception zoo (see shared/wecom/NOTES.md) never escapes bot/wecom/: each module
catches `PARSE_ERRORS` and raises `CallbackRejected(status, reason)` instead.
"""

from __future__ import annotations

import binascii
import struct
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

__all__ = ["PARSE_ERRORS", "CallbackRejected"]

# Everything wechatpy, xmltodict, ElementTree, base64 and struct raise on hostile input
# (NOTES.md), plus AttributeError: wechatpy calls `.lower()` on whatever xmltodict returned
# for MsgType.
PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    binascii.Error,  # a ValueError already; listed because NOTES.md names it
    UnicodeDecodeError,
    ExpatError,
    ParseError,  # ElementTree's (bot/wecom/xmldoc.py): a SyntaxError, not a ValueError
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

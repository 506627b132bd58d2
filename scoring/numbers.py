"""Whole numbers that arrive from outside (typed ids, card TaskIds, callback fields).

One strict reader for all of them: `int()` and `str.isdigit()` accept far more than a person
or WeCom ever sends ('²', '١٢', ' 12', a 5,000-digit string it then refuses to convert), and a
number wider than the database's integer column turns into an internal error at INSERT.
"""

from __future__ import annotations

# PostgreSQL INTEGER, the narrowest integer column an id from outside is compared with.
ID_MAX = 2**31 - 1

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def whole_number(text: str, maximum: int = ID_MAX) -> int | None:
    """`text` as a number if it is only ASCII digits and at most `maximum`, else None."""
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


def typed_whole_number(text: str, maximum: int = ID_MAX) -> int | None:
    """The same for what a person types: full-width digits (a Chinese IME's) count as digits,
    and spaces around the number are ignored."""
    return whole_number(text.strip().translate(_FULL_WIDTH_DIGITS), maximum)

"""Dates as cadres type them on a phone: 11-20, 2026-11-20, 11月20日, 11/20, 11.20, 昨天, 前天."""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.text import fold

RELATIVE = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}

_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$")
_SHORT = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})[日号]?$")
# The token that may start a command's arguments and be a date.
DATE_TOKEN = re.compile(
    r"^(今天|今日|昨天|昨日|前天|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{1,2}[-/.月]\d{1,2}[日号]?)"
)


class DateError(ValueError):
    pass


def parse_day(text: str, today: date) -> date:
    """One date. A month-day without a year is the nearest such date to today."""
    token = fold(text).strip()
    if token in RELATIVE:
        return today - timedelta(days=RELATIVE[token])
    if match := _FULL.match(token):
        return _make(int(match[1]), int(match[2]), int(match[3]), token)
    if match := _SHORT.match(token):
        month, day = int(match[1]), int(match[2])
        candidates = []
        for year in (today.year - 1, today.year, today.year + 1):
            try:
                candidates.append(date(year, month, day))
            except ValueError:
                continue
        if not candidates:
            raise DateError(f"「{token}」不是有效日期")
        # Nearest to today: on 1月3日, "12-30" means last December, not next.
        return min(candidates, key=lambda d: abs((d - today).days))
    raise DateError(f"看不懂日期「{token}」")


def _make(year: int, month: int, day: int, token: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"「{token}」不是有效日期") from None


def split_leading_date(args: str, today: date) -> tuple[date | None, str]:
    """`11-20 内容` → (date, '内容'); no leading date → (None, args)."""
    match = DATE_TOKEN.match(fold(args))
    if not match:
        return None, args
    return parse_day(match[1], today), args[match.end():].strip()

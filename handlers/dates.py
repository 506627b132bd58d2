"""Dates and periods as cadres type them on a phone: 11-20, 2026-11-20, 11月20日, 11/20,
11.20, 昨天, 明天; 本周, 本月, 本季, 上季度, 2026Q4."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from handlers.text import fold
from scoring.workdays import QuarterId

RELATIVE = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "明天": -1, "明日": -1, "后天": -2}

_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$")
_SHORT = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})[日号]?$")
# The token that may start a command's arguments and be a date.
DATE_TOKEN = re.compile(
    r"^(今天|今日|昨天|昨日|前天|明天|明日|后天|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{1,2}[-/.月]\d{1,2}[日号]?)"
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


_QUARTER = re.compile(r"^(\d{4})\s*(?:年|-)?\s*(?:第|Q)?\s*([1-4])\s*(?:季度)?$", re.IGNORECASE)
_THIS_QUARTER = frozenset({"本季", "本季度", "这季度", "这个季度", "当季"})
_LAST_QUARTER = frozenset({"上季", "上季度", "上个季度", "上一季度"})


def quarter_label(quarter: QuarterId) -> str:
    """「2026年第4季度」."""
    return f"{quarter.year}年第{quarter.quarter}季度"


def parse_year(text: str) -> int | None:
    """`2026`, `2026年`, `2026年度` (already folded); None if it is not a four-digit year."""
    word = text.strip().removesuffix("年度").removesuffix("年")
    return int(word) if word.isdigit() and len(word) == 4 else None


def parse_quarter(text: str, today: date | None = None) -> QuarterId | None:
    """`2026Q4`, `2026年第4季度`, `2026-4`; with `today` also 本季(度) and 上季度."""
    token = fold(text).strip()
    if today is not None and token in _THIS_QUARTER:
        return QuarterId.of(today)
    if today is not None and token in _LAST_QUARTER:
        return QuarterId.of(today).previous()
    match = _QUARTER.match(token)
    return QuarterId(int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class Period:
    """A stretch of days a reader asks for; never beyond today."""

    label: str  # 本周 / 本月 / 2026年第4季度
    start: date
    end: date


_WEEK = frozenset({"本周", "这周"})
_MONTH = frozenset({"本月", "这个月"})


def parse_period(text: str, today: date) -> Period | None:
    """本周, 本月, a quarter (本季, 上季度, 2026Q4); None if `text` names no period."""
    token = fold(text).strip()
    if token in _WEEK:
        return Period("本周", today - timedelta(days=today.weekday()), today)
    if token in _MONTH:
        return Period("本月", today.replace(day=1), today)
    quarter = parse_quarter(token, today)
    if quarter is None or quarter.first_day > today:
        return None
    label = "本季度" if quarter == QuarterId.of(today) else quarter_label(quarter)
    return Period(label, quarter.first_day, min(quarter.last_day, today))

"""The kept record of a day's log (issue 26): every write is a version, and readers see what
came late or was replaced.

A day's log is its parts (the first text, then each one appended); `storage` keeps the text
as it stands (daily_log) and, beside it, every write with its time (daily_log_version). These
rules decide, from the versions alone, what a reader is told: which parts were written after
the day (「（12月8日补记）」) and how often the whole log was replaced (「（已修改 1 次）」);
and when a day's log is locked against any further change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from scoring.workdays import WorkCalendar


class Change(StrEnum):
    ADD = "add"  # the first text, a text appended, or a 补记 (added to the day's parts)
    REPLACE = "replace"  # 修改: the whole log replaced by one new part
    WITHDRAW = "withdraw"  # 撤回: the last appended part taken back


@dataclass(frozen=True)
class Version:
    """One write to a day's log: what it did, the text it added / took back / put instead,
    and when (Asia/Shanghai; `at.date()` is the day it was written)."""

    change: Change
    text: str
    at: datetime


@dataclass(frozen=True)
class Replayed:
    """What the versions say of the log as it stands: the day each part was written, in
    order, and how many times the whole log was replaced."""

    written: tuple[date, ...]
    replaced: int


def replay(versions: Sequence[Version]) -> Replayed:
    """Walk the versions in order (by time of writing)."""
    written: list[date] = []
    replaced = 0
    for version in versions:
        match version.change:
            case Change.ADD:
                written.append(version.at.date())
            case Change.REPLACE:
                written = [version.at.date()]
                replaced += 1
            case Change.WITHDRAW:
                if written:
                    written.pop()
    return Replayed(tuple(written), replaced)


def late_mark(written: date) -> str:
    """What follows a part written after its day."""
    return f"（{written.month}月{written.day}日补记）"


def replaced_mark(times: int) -> str:
    return f"（已修改 {times} 次）"


def as_read(parts: Sequence[str], day: date, versions: Sequence[Version]) -> str:
    """The day's log as every reader sees it: each part written after `day` followed by its
    `late_mark`, and the log by its `replaced_mark` once it was ever replaced.

    `parts` is the stored text (authoritative); the versions are matched to it from the last
    part back, so a log kept before versions existed (its parts had none) shows its older
    parts as written on the day, and a version list that does not reach as far back as the
    text never shifts a mark onto the wrong part.
    """
    replayed = replay(versions)
    shown = list(parts)
    for offset, written in enumerate(reversed(replayed.written), start=1):
        if offset > len(shown):
            break
        if written > day:
            shown[-offset] += late_mark(written)
    text = "\n".join(shown)
    return text + replaced_mark(replayed.replaced) if replayed.replaced else text


def note_line(author_name: str, at: datetime, text: str) -> str:
    """A 批注 as it reads under the log, on a line of its own: a leader's words, never a score."""
    return f"\n【批注】{author_name}（{at.month}月{at.day}日）：{text}"


def needs_marks(versions: Sequence[Version], day: date) -> bool:
    """Whether any version could put a mark on the log (a late write, or a replace); the
    rest read exactly as stored."""
    return any(v.change is Change.REPLACE or v.at.date() > day for v in versions)


def locked_from(calendar: WorkCalendar, day: date, lock_working_days: int) -> date:
    """The first day on which `day`'s log is locked: no append, no 修改, no 撤回. The day after
    the last of `lock_working_days` working days after it (by default the backfill window,
    R-LOG-3: a day that may no longer be backfilled may no longer be changed)."""
    return calendar.backfill_deadline(day, lock_working_days) + timedelta(days=1)


def is_locked(calendar: WorkCalendar, day: date, today: date, lock_working_days: int) -> bool:
    return today >= locked_from(calendar, day, lock_working_days)

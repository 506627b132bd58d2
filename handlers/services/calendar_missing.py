"""The one policy for a year whose holiday schedule is not loaded: never guess working days.

Whoever meets the missing year (a message, a reminder pass, a rating job) refuses or skips
its work and alerts the admins, at most once a day per year whoever noticed first: the
outbox key is the same for every caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from storage.repos import Store


def load_command(year: int) -> str:
    return f"shiji calendar load {year}.toml"


def refusal_text(year: int) -> str:
    """What the cadre who wrote is told: one line, naming the year and how it gets loaded."""
    return (
        f"系统尚未载入 {year} 年的法定节假日安排，暂时无法判断是否工作日，您的内容未保存；"
        f"已通知考核办载入（{load_command(year)}），载入后请再试。"
    )


def admin_text(year: int) -> str:
    """What an admin (chat or CLI) is told when a command needs a year with no schedule."""
    return f"系统尚未载入 {year} 年的法定节假日安排，无法执行。请先在服务器上载入：{load_command(year)}"


def query_note(year: int) -> str:
    """What a query (缺记, 缺记统计) adds when part of its answer lies in that year."""
    return (
        f"⚠️ 系统尚未载入 {year} 年的法定节假日安排，补记期限落在 {year} 年的日期暂无法列出，"
        "已通知考核办载入；以下只列出能确定的日期。"
    )


def _key(year: int, today: date) -> str:
    """One alert a day per missing year, whoever noticed first (a job, a message, a replica)."""
    return f"calendar-missing:{year}:{today.isoformat()}"


async def warn_admins(store: Store, admins: Sequence[str], year: int, today: date, now: datetime) -> None:
    """The daily reminder to load a year ahead of time (scheduler/calendar_jobs.py)."""
    await _tell_admins(
        store, admins, year, today, now,
        f"📅 {year} 年的法定节假日和调休安排尚未载入。国务院公布后请尽快执行：{load_command(year)}"
        f"（格式见说明「节假日安排文件」）。未载入前，涉及 {year} 年的日志补记、提醒和评分都会被拒绝；"
        "载入前每个工作日提醒一次。",
    )


async def alert_admins(store: Store, admins: Sequence[str], year: int, today: date, now: datetime) -> None:
    """Something needed the year and was refused: the admins hear it at once."""
    await _tell_admins(
        store, admins, year, today, now,
        f"⚠️ 系统尚未载入 {year} 年的法定节假日和调休安排，涉及该年的日志、"
        f"日志提醒和评分因此暂停。请尽快执行：{load_command(year)}",
    )


async def _tell_admins(
    store: Store, admins: Sequence[str], year: int, today: date, now: datetime, content: str
) -> None:
    if admins:  # one key for both: at most one of them a day
        await store.outbox.enqueue(_key(year, today), sorted(admins), "text", {"content": content}, now)

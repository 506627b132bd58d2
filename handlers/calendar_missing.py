"""The one policy for a year whose holiday schedule is not loaded: never guess working days.

Whoever meets the missing year (a message, a reminder pass, a rating job) refuses or skips
its work and alerts the admins, at most once a day per year whoever noticed first: the
outbox key is the same for every caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from storage.repos import Store


def refusal_text(year: int) -> str:
    """What the person who wrote is told."""
    return (
        f"系统尚未载入 {year} 年的法定节假日安排，暂时无法判断是否工作日，已通知考核办。"
        "请稍后再试，您的内容未保存。"
    )


def query_note(year: int) -> str:
    """What a query (缺记, 缺记统计) adds when part of its answer lies in that year."""
    return (
        f"⚠️ 系统尚未载入 {year} 年的法定节假日安排，补记期限落在 {year} 年的日期暂无法列出，"
        "已通知考核办载入；以下只列出能确定的日期。"
    )


async def alert_admins(
    store: Store, admins: Sequence[str], year: int, today: date, now: datetime
) -> None:
    if not admins:
        return
    await store.outbox.enqueue(
        f"calendar-missing:{year}:{today.isoformat()}",
        sorted(admins),
        "text",
        {
            "content": f"⚠️ 系统尚未载入 {year} 年的法定节假日和调休安排，涉及该年的日志、"
            f"日志提醒和评分因此暂停。请尽快执行：shiji calendar load {year}.toml"
        },
        now,
    )

"""Who gets which reminder (R-LOG-5) and what it says; the jobs and their triggers decide when.

Exactly once per (kind, day, person): each person is claimed in `reminder_claim` under a unique
key in the same transaction that queues the outbox row carrying them, so a second run, a
second replica or a rerun after a restart claims nobody new and queues nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from handlers.base import day_label
from handlers.services.log_rules import not_logged_on
from scoring.logs import day_closing_today
from scoring.workdays import WorkCalendar
from storage.directory import Directory
from storage.repos import Store

KINDS = ("daily", "last_day")


@dataclass(frozen=True)
class ReminderPlan:
    kind: str
    day: date  # today for daily; the day whose backfill window closes today for last_day
    userids: list[str]
    text: str


@dataclass(frozen=True)
class ReminderPass:
    kind: str
    day: date | None
    due: int  # people the rule selects
    queued: int  # newly claimed (the rest were reminded before, or are over today's budget)
    batches: int


async def plan(
    kind: str, store: Store, calendar: WorkCalendar, directory: Directory, today: date,
    *, window: int, logs_start: date | None, target_chars: int,
) -> ReminderPlan | None:
    """None on a non-working day (no reminders then, whatever the scheduler does)."""
    people = directory.cadres()
    if kind == "daily":
        if not calendar.is_working_day(today):
            return None
        due = await not_logged_on(store, calendar, people, today, logs_start)
        muted = await store.reminders.muted(today)  # said 「今天不提醒」
        due = [p for p in due if p.userid not in muted]
        text = (
            f"📝 温馨提醒：您今天 {day_label(today)}还没有记载工作日志。"
            f"直接发送今天的工作内容（约 {target_chars} 字）即可；今天来不及的，"
            f"{window} 个工作日内可以「补记」。"
        )
        return ReminderPlan(kind, today, sorted(p.userid for p in due), text)
    if kind == "last_day":
        day = day_closing_today(calendar, today, window)
        if day is None:
            return None
        due = await not_logged_on(store, calendar, people, day, logs_start)
        text = (
            f"⏰ 补记提醒：您 {day_label(day, today)}的工作日志还没有记载，"
            f"今天 {day_label(today)}是最后补记日，过期不再接收并将按规定扣分。"
            f"发送「补记 {day.month}-{day.day} 内容」即可补上。"
        )
        return ReminderPlan(kind, day, sorted(p.userid for p in due), text)
    raise ValueError(f"unknown reminder kind {kind!r}")


async def queue(
    store: Store, reminder: ReminderPlan, now: datetime, batch_size: int, budget: int
) -> ReminderPass:
    """Claim each person (within their daily `budget`), then queue one outbox row per batch
    of the newly claimed."""
    # A per-run id keeps batch keys unique; exactly-once comes from the claims, not the keys.
    run = uuid.uuid4().hex[:10]
    queued = batches = 0
    for number, start in enumerate(range(0, len(reminder.userids), batch_size)):
        chunk = reminder.userids[start : start + batch_size]
        key = f"remind:{reminder.kind}:{reminder.day.isoformat()}:{run}:{number}"
        claimed = await store.reminders.claim(reminder.kind, reminder.day, chunk, key, now, budget=budget)
        if not claimed:
            continue
        await store.outbox.enqueue(key, claimed, "text", {"content": reminder.text}, now)
        queued += len(claimed)
        batches += 1
    return ReminderPass(reminder.kind, reminder.day, len(reminder.userids), queued, batches)

"""Reminder claims: who was reminded of what, claimed before WeCom is called.

One row per (kind, day, person). The unique key is the exactly-once guarantee: a second run of
a job, a second replica or a restart inserts nothing new and so queues nothing new.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import aware


class ReminderClaim(SQLModel, table=True):
    __tablename__ = "reminder_claim"
    __table_args__ = (
        UniqueConstraint("kind", "day", "userid", name="uq_reminder_claim"),
        # The daily budget (scoring/reminder_budget.py): each reminder sent takes a numbered
        # slot of its person's day, so concurrent passes cannot both take the last one.
        UniqueConstraint("userid", "sent_on", "slot", name="uq_reminder_slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # daily | last_day | muted (「今天不提醒」: today's daily nudge is not sent) |
    # rate:<round id> | dem:<evaluation id>
    kind: str = Field(max_length=20)
    # The day the reminder is about: today for daily, the missing day for last_day.
    day: date = Field(index=True)
    userid: str = Field(max_length=64)  # no foreign key: the record outlives roster changes
    # The outbox row (a batch) that carries this person's reminder; its status is the outcome.
    outbox_key: str = Field(max_length=200, index=True)
    claimed_at: datetime = Field(sa_column=aware())
    # The business day it was sent on and its number that day; NULL for a mute and for
    # claims made before the budget existed (NULLs never collide in a unique constraint).
    sent_on: date | None = Field(default=None)
    slot: int | None = Field(default=None)

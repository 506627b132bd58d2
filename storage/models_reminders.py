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
    __table_args__ = (UniqueConstraint("kind", "day", "userid", name="uq_reminder_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # daily | last_day
    # The day the reminder is about: today for daily, the missing day for last_day.
    day: date = Field(index=True)
    userid: str = Field(max_length=64)  # no foreign key: the record outlives roster changes
    # The outbox row (a batch) that carries this person's reminder; its status is the outcome.
    outbox_key: str = Field(max_length=200, index=True)
    claimed_at: datetime = Field(sa_column=aware())

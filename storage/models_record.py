"""The kept record of daily logs (issue 26): every write's version, 补记 waiting for its
confirmation, and leaders' 批注 under a day's log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.models import aware


class DailyLogVersion(SQLModel, table=True):
    """One write to a day's log (scoring/log_record.py Version): never updated, never deleted
    while the log exists, so the log's whole history can be shown."""

    __tablename__ = "daily_log_version"
    __table_args__ = (Index("ix_daily_log_version_user_day", "userid", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(foreign_key="cadre.userid", max_length=64)
    day: date
    change: str = Field(max_length=10)  # add | replace | withdraw
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=aware())
    # The Asia/Shanghai day it was written: a version written after its day marks the log
    # (「（12月8日补记）」), found without reading every version of every log shown.
    written_on: date


class PendingBackfill(SQLModel, table=True):
    """A 补记 for a day that already has a log, waiting for 「确认补记」; one per person (the
    newest 补记 replaces an older one), lapsing at `expires_at`."""

    __tablename__ = "pending_backfill"

    userid: str = Field(foreign_key="cadre.userid", primary_key=True, max_length=64)
    day: date
    text: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=aware())


class LogNote(SQLModel, table=True):
    """批注: a leader's note under a colleague's day (never a score)."""

    __tablename__ = "log_note"
    __table_args__ = (Index("ix_log_note_user_day", "userid", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(foreign_key="cadre.userid", max_length=64)
    day: date
    author: str = Field(max_length=64)  # userid of who wrote it (a leader, or the admin)
    author_name: str = Field(max_length=100)  # as shown under the log, kept if they leave
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=aware())

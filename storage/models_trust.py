"""Logs you can trust (issue 26): colleagues' confirmation of the work a log says they shared,
and the logs flagged as copied or boilerplate."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import aware


class LogMention(SQLModel, table=True):
    """A colleague a day's log names as taking part, asked once on a card to confirm."""

    __tablename__ = "log_mention"
    # One card per (log, colleague): naming them again in an append, or a WeCom retry, asks
    # nothing twice.
    __table_args__ = (UniqueConstraint("author", "day", "colleague", name="uq_log_mention"),)

    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(max_length=64)  # no foreign key: the record outlives roster changes
    day: date
    colleague: str = Field(max_length=64)
    status: str = Field(default="asked", max_length=16)  # asked | confirmed | denied
    asked_at: datetime = Field(sa_column=aware())
    answered_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))


class LogFlag(SQLModel, table=True):
    """A log that looks copied or is mostly 套话 (scoring/copied_logs.py), found by the nightly
    check; read by the admin's 缺记统计 and the main leader's weekly digest, never scored."""

    __tablename__ = "log_flag"
    __table_args__ = (UniqueConstraint("author", "day", name="uq_log_flag"),)

    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(max_length=64)
    day: date = Field(index=True)
    kind: str = Field(max_length=20)  # own_repeat | colleague_copy | boilerplate
    like_author: str | None = Field(default=None, max_length=64)
    like_day: date | None = None
    similarity: float = 0.0
    flagged_at: datetime = Field(sa_column=aware())

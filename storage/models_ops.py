"""Operations tables: the admin audit trail and once-a-day claims of housekeeping jobs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models import aware


class AuditEvent(SQLModel, table=True):
    """One admin action: who, when, what. `detail` names what was acted on, never a score."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=aware())
    actor: str = Field(max_length=64)  # a WeCom userid, "cli:<login>", or "scheduler"
    action: str = Field(max_length=40)  # e.g. round.open, roster.import (README lists them)
    detail: str = Field(default="", max_length=500)


class JobClaim(SQLModel, table=True):
    """A housekeeping job's run for one day, claimed by whichever replica gets there first."""

    __tablename__ = "job_claim"

    job: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    claimed_at: datetime = Field(sa_column=aware())

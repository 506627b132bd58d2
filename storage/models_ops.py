"""Operations tables: the admin audit trail, once-a-day claims of housekeeping jobs, admin jobs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text
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


class AdminJob(SQLModel, table=True):
    """Long admin work asked for in chat or on the command line (发布年度结果 for a province,
    the district's archive workbook): queued in the asking message's own transaction, run
    once by whichever replica claims it (handlers/services/jobs.py, bot/job_runner.py).

    `lease_until` is wall-clock time, like the outbox's claims: a replica that dies mid-job
    stops renewing it, and another takes the job over once it has passed."""

    __tablename__ = "admin_job"
    __table_args__ = (Index("ix_admin_job_state", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # handlers/services/jobs.py KINDS
    args: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    title: str = Field(max_length=100)  # what the admin asked for, as they read it: 发布年度结果 2026
    requested_by: str = Field(max_length=64)  # a WeCom userid, or "cli:<login>"
    state: str = Field(default="queued", max_length=10)  # queued | running | done | failed
    done: int = 0  # progress: `done` of `total` (0 of 0 = not yet known)
    total: int = 0
    stage: str = Field(default="", max_length=100)  # what it is doing, in Chinese: 正在计算
    claimed_by: str | None = Field(default=None, max_length=100)  # "<replica>:<attempt token>"
    lease_until: datetime | None = Field(default=None, sa_column=aware(nullable=True))  # wall clock
    attempts: int = 0
    result: str = Field(default="", sa_column=Column(Text, nullable=False))  # the requester's answer
    error: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=aware())
    finished_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))

"""Tables of the year's 公示 (issue 24 item 5): what each unit's proposed 优秀 list showed and
when, the objections raised against it and the 考核办's decision on each, and the moment the
year's result became final.

A 公示 row freezes the list it showed (a later version of the year starts a new 公示 for the
unit that changed, never edits the old one). An objection is 实名: the objector is kept, and
only the 考核办 reads it; the cadre objected to is never told.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import aware


class YearPublicity(SQLModel, table=True):
    """One unit's 公示 of its proposed 优秀 list for `year`, as of publication `version`."""

    __tablename__ = "year_publicity"
    __table_args__ = (UniqueConstraint("year", "unit_id", "seq", name="uq_year_publicity_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    unit_id: int
    unit_name: str = Field(max_length=100)
    seq: int  # 1 for the year's first 公示 in the unit, +1 for each re-run after a change
    version: int  # the published version whose 优秀 list it shows
    listed: str = Field(sa_column=Column(Text, nullable=False))  # userids, comma-separated
    starts: date
    ends: date  # the last day objections are taken
    started_by: str = Field(max_length=64)
    started_at: datetime = Field(sa_column=aware())


class YearObjection(SQLModel, table=True):
    """An objection to one listed cadre; `id` is the 编号 the admin decides it by."""

    __tablename__ = "year_objection"
    __table_args__ = (Index("ix_year_objection_year_status", "year", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    publicity_id: int = Field(foreign_key="year_publicity.id")
    target: str = Field(max_length=64)
    objector: str = Field(max_length=64)
    content: str = Field(sa_column=Column(Text, nullable=False))
    raised_at: datetime = Field(sa_column=aware())
    status: str = Field(default="open", max_length=10)  # open | upheld | dismissed
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class YearFinal(SQLModel, table=True):
    """The year's result is final: every unit's 公示 has ended with no objection open."""

    __tablename__ = "year_final"

    year: int = Field(primary_key=True)
    version: int
    final_at: datetime = Field(sa_column=aware())


class YearNoticeReply(SQLModel, table=True):
    """The written notice of a final year to one cadre (issue 24 item 6) and their answer:
    「确认」, or 「有异议」 with their own opinion (本人意见), each with its time — the paper
    年度考核登记表's 本人意见 and signature."""

    __tablename__ = "year_notice_reply"

    year: int = Field(primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    version: int  # the final version the notice showed
    task_id: str = Field(unique=True, max_length=128)
    sent_at: datetime = Field(sa_column=aware())
    answer: str = Field(default="", max_length=10)  # "" | confirmed | objected
    answered_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    opinion: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    opinion_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))


class YearReview(SQLModel, table=True):
    """A cadre's request for 复核 of their year's grade (公务员法 第九十五条、第九十六条), the
    考核办's written decision, and a 申诉 to the higher authority with its outcome as entered.
    `id` is the 编号 the admin decides it by. The result stays in force meanwhile."""

    __tablename__ = "year_review"
    __table_args__ = (UniqueConstraint("year", "userid", name="uq_year_review_year_userid"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    userid: str = Field(max_length=64)
    grade: str = Field(max_length=24)  # the grade contested (scoring.grades.AnnualGrade)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    requested_at: datetime = Field(sa_column=aware())
    decision_due: date
    decision: str = Field(default="", max_length=10)  # "" | upheld (维持) | changed (变更)
    changed_to: str | None = Field(default=None, max_length=24)  # the grade a change gives
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    appeal_due: date | None = None
    appeal_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    appealed_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    appeal_outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    appeal_entered_by: str | None = Field(default=None, max_length=64)
    appeal_entered_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))

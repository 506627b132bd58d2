"""Tables of the skeleton: roster, daily logs, inbound dedupe, calendar, outbox.

Feature tables live in their own modules (storage/models_*.py) and are imported by
storage/metadata.py so Alembic and tests see one metadata.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import AwareDateTime


def aware(nullable: bool = False) -> Column[datetime]:
    return Column(AwareDateTime(), nullable=nullable)


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    category: str = Field(max_length=20)  # township | district_unit | sub_unit


class Cadre(SQLModel, table=True):
    """A roster row. Superior leaders are rows too (role 'superior'), with oversight rows."""

    userid: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=50, index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(max_length=20)  # main_leader | leadership | staff | superior
    rank: str | None = Field(default=None, max_length=20)  # zhengke | fuke | general
    position: str = Field(default="", max_length=100)
    active: bool = True
    updated_at: datetime = Field(sa_column=aware())
    # 人员类别 (scoring.grades.StaffCategory): names the annual 等次; None = [grades] default_category.
    category: str | None = Field(default=None, max_length=16)


class RosterChange(SQLModel, table=True):
    """A person's whole roster line from `effective` on, until their next line (R-ROSTER history).

    `cadre` holds the line in force today; these rows keep every earlier and later one, so a
    period's rules can use the roster as it stood then. One line per person and day: a second
    change with the same effective day replaces it.
    """

    __tablename__ = "roster_change"
    __table_args__ = (UniqueConstraint("userid", "effective", name="uq_roster_change_user_day"),)

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(foreign_key="cadre.userid", max_length=64)
    effective: date
    name: str = Field(max_length=50)
    unit_id: int = Field(foreign_key="unit.id")
    role: str = Field(max_length=20)
    rank: str | None = Field(default=None, max_length=20)
    position: str = Field(default="", max_length=100)
    active: bool = True
    category: str | None = Field(default=None, max_length=16)  # as on `cadre`
    oversees: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # unit names, ";"
    source: str = Field(default="", max_length=200)  # "导入 名册.xlsx", "企业微信同步"
    recorded_at: datetime = Field(sa_column=aware())


class Oversight(SQLModel, table=True):
    """Which units a superior leader oversees (roster column `oversees`)."""

    userid: str = Field(foreign_key="cadre.userid", primary_key=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class DailyLog(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("userid", "day", name="uq_daily_log_user_day"),)

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(foreign_key="cadre.userid", max_length=64)
    day: date = Field(index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    # Length of each part of `content` (the first text and every one appended after a "\n"),
    # comma separated (storage.log_batch.part_lengths), so 撤回 can take back the last part.
    part_lengths: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=aware())
    updated_at: datetime = Field(sa_column=aware())


class InboundMessage(SQLModel, table=True):
    """Every callback handled, keyed by WeCom's dedupe key; the reply is kept for retries."""

    __tablename__ = "inbound_message"

    dedupe_key: str = Field(primary_key=True, max_length=200)
    userid: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=aware())
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class UnknownUser(SQLModel, table=True):
    """WeCom users not in the roster who wrote to the bot (R-CHAT-6)."""

    __tablename__ = "unknown_user"

    userid: str = Field(primary_key=True, max_length=64)
    first_seen: datetime = Field(sa_column=aware())
    last_seen: datetime = Field(sa_column=aware())
    attempts: int = 1
    last_text: str = Field(default="", max_length=200)


class CalendarYear(SQLModel, table=True):
    """An official schedule loaded by the admin (`shiji calendar load`)."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    source: str = Field(max_length=200)
    loaded_at: datetime = Field(sa_column=aware())


class CalendarDay(SQLModel, table=True):
    """Only the exceptions to Mon–Fri: holidays (working=False) and 调休 days (working=True)."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    working: bool
    name: str = Field(default="", max_length=50)


# Every status an outbox row can have (the sender moves rows through them), for /metrics.
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class Outbox(SQLModel, table=True):
    """A push to WeCom, committed with the change that caused it; a sender drains it.

    `dedupe_key` is unique: whoever inserts first owns the send, so reminders and cards are
    never queued twice, whatever replica or retry produced them.

    Two waits, on two clocks: `not_before` is business time (a reminder due at 09:00, a card's
    wave), compared with the injected clock; `retry_after` is transport time (a failed send's
    back-off, a member over WeCom's limits), compared with the wall clock. Moving the business
    clock (the demo, a rehearsal) moves the first and never the second.
    """

    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    userids: str = Field(sa_column=Column(Text, nullable=False))  # '|' joined
    kind: str = Field(max_length=30)  # text | markdown | template_card | update_card | image | file
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    status: str = Field(default="pending", max_length=10)  # pending | sending | sent | failed | skipped
    attempts: int = 0
    not_before: datetime = Field(sa_column=aware())  # business clock
    retry_after: datetime | None = Field(default=None, sa_column=aware(nullable=True))  # wall clock
    created_at: datetime = Field(sa_column=aware())
    claimed_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))  # wall clock
    finished_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    error: str = Field(default="", max_length=500)
    # Filled from WeCom's answer: invalid recipients, and the card's response_code for updates.
    result: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Set: `payload` is only this row's own part (a card's task id), spliced into the body
    # that many rows share (OutboxBody). A province's round queues 1.4 M cards of ~100 k bodies.
    body_id: str | None = Field(default=None, max_length=16)


# The payload a sent round card keeps once its rater handed in (storage/ballot_box.py
# drop_traces): the row stays for the sender's bookkeeping, its content is gone.
BLANKED_PAYLOAD = "{}"


class OutboxBody(SQLModel, table=True):
    """The JSON many outbox rows share, cut where each row's own part goes: head + part + tail.

    No foreign key from outbox: PostgreSQL would check 1.4 M rows one by one; bodies are
    deleted only with a rater's traces (storage/ballot_box.py drop_traces: a resend's own
    bodies show the ballot, and its unsent rows go too).
    """

    __tablename__ = "outbox_body"

    id: str = Field(primary_key=True, max_length=16)  # storage/ids.py OrderedIds
    head: str = Field(sa_column=Column(Text, nullable=False))
    tail: str = Field(sa_column=Column(Text, nullable=False))


class MemberSends(SQLModel, table=True):
    """What every replica's sender put in one member's chat within the last hour: WeCom takes
    30 messages a minute and 1,000 an hour per member and drops the rest silently (doc 90454).

    One row per member, locked by the sender that decides the member's next messages, so two
    replicas never both spend the same allowance. `recent` holds "seconds:messages" pairs,
    space-separated, on the sender's member-limit clock (wall time; the demo's business time).
    """

    __tablename__ = "member_sends"

    userid: str = Field(primary_key=True, max_length=64)
    recent: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Summary(SQLModel, table=True):
    """季度小结 (kind 'quarter', period '2026Q4') and 年度总结 (kind 'year', period '2026')."""

    __table_args__ = (UniqueConstraint("userid", "kind", "period", name="uq_summary_user_period"),)

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(foreign_key="cadre.userid", max_length=64)
    kind: str = Field(max_length=10)
    period: str = Field(max_length=10, index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=aware())
    updated_at: datetime = Field(sa_column=aware())


class Leave(SQLModel, table=True):
    """请假/出差 days. Approved leave days owe no log and get no reminder."""

    __table_args__ = (Index("ix_leave_user_days", "userid", "start", "end"),)

    id: int | None = Field(default=None, primary_key=True)
    userid: str = Field(foreign_key="cadre.userid", max_length=64)
    start: date
    end: date
    kind: str = Field(max_length=10)  # 请假 | 出差
    reason: str = Field(default="", max_length=200)
    status: str = Field(default="pending", max_length=10)  # pending | approved | rejected
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    created_at: datetime = Field(sa_column=aware())

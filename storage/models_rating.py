"""Tables of the quarterly 360° rating (R-RATE-1..7), shaped for anonymity (R-RATE-5).

Who may be linked to what:
- `rating_assignment`: who was asked to rate whom (needed to send cards). Not a score.
- `rating_draft`: a rater's scores before hand-in — the only rater-linked scores; deleted
  when the ballot is handed in (or dropped at close).
- `rating_handin`: only the fact "this rater handed in this round"; no time, no ballot id,
  and (WITHOUT ROWID, rewritten shuffled at close) no hand-in order.
- `rating_score`: handed-in scores with no rater, no time, no ballot id, and a random
  primary key (an autoincrement id or insertion order would group one ballot's rows and
  line them up with the hand-in messages). On SQLite it is a WITHOUT ROWID table, so not
  even the hidden rowid keeps the insertion order; at close the round's rows are rewritten
  in one shuffled batch (see README, security).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import aware


class RatingRound(SQLModel, table=True):
    __tablename__ = "rating_round"

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(unique=True, max_length=8)  # "2026Q4"
    status: str = Field(default="open", max_length=10)  # open | closed | published
    opened_by: str = Field(max_length=64)  # admin userid, or "auto" for the scheduled opening
    opened_at: datetime = Field(sa_column=aware())
    closes_at: datetime = Field(sa_column=aware())
    closed_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))
    published_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))  # the first version's


class RatingAssignment(SQLModel, table=True):
    """One rating card: `rater` rates `ratee` (of unit `unit_id`) in group `grp`.

    `id` grows in the order cards are made (storage/ids.py `OrderedIds`, which says
    why it need not be a secret); it goes into the card's task_id.
    """

    __tablename__ = "rating_assignment"
    __table_args__ = (
        UniqueConstraint("round_id", "rater", "ratee", name="uq_rating_assignment_pair"),
        Index("ix_rating_assignment_ratee", "round_id", "ratee"),
    )

    id: str = Field(primary_key=True, max_length=24)
    round_id: int = Field(foreign_key="rating_round.id")
    rater: str = Field(max_length=64)
    ratee: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    grp: str = Field(max_length=10)  # lead | peer | other
    # The ratee unit's headcount at opening: the base of this ballot's 90+ cap, frozen so a
    # roster change mid-round cannot move the cap, and at hand so a tap needs no count query.
    unit_size: int


class RatingDraft(SQLModel, table=True):
    """A score a rater has given but not yet handed in; deleted at hand-in."""

    __tablename__ = "rating_draft"

    round_id: int = Field(foreign_key="rating_round.id", primary_key=True)
    rater: str = Field(primary_key=True, max_length=64)
    ratee: str = Field(primary_key=True, max_length=64)
    score: int


class RatingHandin(SQLModel, table=True):
    """Only "this rater has handed in" (what they gave is in rating_score, unlinked).

    WITHOUT ROWID on SQLite and rewritten in one shuffled batch at close (like the scores):
    a rowid, or on PostgreSQL the rows' xmin and physical order, would be the hand-in order.
    """

    __tablename__ = "rating_handin"
    __table_args__ = ({"sqlite_with_rowid": False},)

    round_id: int = Field(foreign_key="rating_round.id", primary_key=True)
    rater: str = Field(primary_key=True, max_length=64)


class RatingScore(SQLModel, table=True):
    """A handed-in score: ratee, group and value only. See the module docstring."""

    __tablename__ = "rating_score"
    __table_args__ = (
        Index("ix_rating_score_ratee", "round_id", "ratee"),
        {"sqlite_with_rowid": False},
    )

    id: str = Field(primary_key=True, max_length=32)  # random, uuid4 hex
    round_id: int = Field(foreign_key="rating_round.id")
    ratee: str = Field(max_length=64)
    grp: str = Field(max_length=10)
    score: int


class QuarterPublication(SQLModel, table=True):
    """One version of a published quarter, like the year's `annual_publication`: publishing
    writes version 1, each re-publish (发布结果 2026Q4 重新发布) version + 1 with what changed.
    Every version's rows stay in `quarter_result`; readers take the newest (storage/quarter_versions.py)."""

    __tablename__ = "quarter_publication"

    round_id: int = Field(foreign_key="rating_round.id", primary_key=True)
    version: int = Field(primary_key=True)
    published_by: str = Field(max_length=64)
    published_at: datetime = Field(sa_column=aware())
    changes: str = Field(default="", sa_column=Column(Text, nullable=False))  # the admins' list, "" for version 1


class QuarterResult(SQLModel, table=True):
    """A cadre's published quarter (R-RATE-7), in one version of it (`quarter_publication`).
    Figures are decimal strings ("88.13")."""

    __tablename__ = "quarter_result"

    round_id: int = Field(foreign_key="rating_round.id", primary_key=True)
    version: int = Field(default=1, primary_key=True, sa_column_kwargs={"server_default": "1"})
    userid: str = Field(primary_key=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    score: str | None = Field(default=None, max_length=12)  # None: nobody rated them
    raw: str | None = Field(default=None, max_length=12)
    deduction: str = Field(max_length=12)
    missing_log_days: int = 0
    summary_missing: bool = False
    rank_in_unit: int | None = None
    unit_ranked: int = 0  # how many of the unit were ranked (the n of "n 人中第 k 名")
    # Group means the cadre may see (only where every rating group had >= 3 raters), JSON.
    group_means: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    rater_counts: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    rank_level: str | None = Field(default=None, max_length=20)  # as published, for level rankings
    rank_in_level: int | None = None  # place among the rank level district-wide
    level_ranked: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The overdue log days deducted, ISO dates joined by ","; "" when none (or not recorded).
    missing_dates: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The 平时考核 grade (scoring.grades.QuarterGrade: 好/较好/一般/较差) given at publishing;
    # None: no score, or published before grades existed (migration 0021).
    grade: str | None = Field(default=None, max_length=4)


class RatingExtraRater(SQLModel, table=True):
    """An approved extra rater of a small unit (R-RATE-6); joins 参评 from the next round on."""

    __tablename__ = "rating_extra_rater"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    approved_at: datetime = Field(sa_column=aware())
    source: str = Field(max_length=40)  # "import" or "proposal:<id>"


class RatingExtraProposal(SQLModel, table=True):
    """A unit leader's `增加参评` proposal, decided by an admin on a 批准/驳回 card."""

    __tablename__ = "rating_extra_proposal"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    proposed_by: str = Field(max_length=64)
    userids: str = Field(sa_column=Column(Text, nullable=False))  # '|' joined
    # Names as the leader typed them that no single cadre outside the unit answers to: the
    # admin sees them, the leader is not told (their answer must not say who exists).
    unmatched: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # '|' joined
    status: str = Field(default="pending", max_length=10)  # pending | approved | rejected
    created_at: datetime = Field(sa_column=aware())
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))


class RatingRoleGroup(SQLModel, table=True):
    """A named group of people the admin defines (e.g. 乡镇团委书记), for `增加参评 组名`."""

    __tablename__ = "rating_role_group"

    name: str = Field(primary_key=True, max_length=50)
    userid: str = Field(primary_key=True, max_length=64)

"""Tables of the year's close: the democratic evaluation (R-YEAR-1), unit results (R-YEAR-2),
earlier years' history, quarter excuses and the published annual results (R-YEAR-3..4,
R-USE-1..4).

The evaluation is shaped like the quarterly rating (storage/models_rating.py) and for the
same reason (R-RATE-5): `year_eval_draft` is the only evaluator-linked score and is deleted
at hand-in; `year_eval_score` holds handed-in lines with no evaluator, no time, a random id
and (on SQLite) no rowid; `year_eval_handin` says only who handed in.

A published year is frozen: each publish writes a new `annual_publication` version with its
own `annual_result` rows (names and units as they were then); earlier versions stay.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import aware


class YearEval(SQLModel, table=True):
    """One year's democratic evaluation round."""

    __tablename__ = "year_eval"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True)
    status: str = Field(default="open", max_length=10)  # open | closed
    opened_by: str = Field(max_length=64)
    opened_at: datetime = Field(sa_column=aware())
    closes_at: datetime = Field(sa_column=aware())
    closed_at: datetime | None = Field(default=None, sa_column=aware(nullable=True))


class YearEvalAssignment(SQLModel, table=True):
    """`rater` evaluates `ratee`; `id` is a random token that goes into the card's task_id."""

    __tablename__ = "year_eval_assignment"
    __table_args__ = (
        UniqueConstraint("round_id", "rater", "ratee", name="uq_year_eval_assignment_pair"),
        Index("ix_year_eval_assignment_rater", "round_id", "rater"),
    )

    id: str = Field(primary_key=True, max_length=24)
    round_id: int = Field(foreign_key="year_eval.id")
    rater: str = Field(max_length=64)
    ratee: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id")


class YearEvalDraft(SQLModel, table=True):
    """Marks given but not handed in (a card fills them in two steps); deleted at hand-in."""

    __tablename__ = "year_eval_draft"

    round_id: int = Field(foreign_key="year_eval.id", primary_key=True)
    rater: str = Field(primary_key=True, max_length=64)
    ratee: str = Field(primary_key=True, max_length=64)
    de: int | None = None
    neng: int | None = None
    qin: int | None = None
    ji: int | None = None
    lian: int | None = None


class YearEvalHandin(SQLModel, table=True):
    """Only "this rater has handed in"; no hand-in order (see RatingHandin)."""

    __tablename__ = "year_eval_handin"
    __table_args__ = ({"sqlite_with_rowid": False},)

    round_id: int = Field(foreign_key="year_eval.id", primary_key=True)
    rater: str = Field(primary_key=True, max_length=64)


class YearEvalScore(SQLModel, table=True):
    """A handed-in line: the evaluated cadre and the five marks, nothing else."""

    __tablename__ = "year_eval_score"
    __table_args__ = (
        # The marks too: summing a province's lines per cadre reads the index alone.
        Index("ix_year_eval_score_ratee", "round_id", "ratee", "de", "neng", "qin", "ji", "lian"),
        {"sqlite_with_rowid": False},
    )

    id: str = Field(primary_key=True, max_length=32)  # random, uuid4 hex
    round_id: int = Field(foreign_key="year_eval.id")
    ratee: str = Field(max_length=64)
    de: int
    neng: int
    qin: int
    ji: int
    lian: int


MARK_COLUMNS = ("de", "neng", "qin", "ji", "lian")  # 德 能 勤 绩 廉, the ballot's order


class UnitResult(SQLModel, table=True):
    """本单位年度综合考核结果 (R-YEAR-2), imported by the admin; a decimal string."""

    __tablename__ = "unit_result"

    year: int = Field(primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    score: str = Field(max_length=12)
    imported_at: datetime = Field(sa_column=aware())


class HistoryResult(SQLModel, table=True):
    """A year before the district used shiji, imported for the three-year rules."""

    __tablename__ = "history_result"

    year: int = Field(primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    annual_score: str = Field(max_length=12)
    unit_rank: int
    excellent: bool
    last_in_unit: bool
    imported_at: datetime = Field(sa_column=aware())


class AwardRecord(SQLModel, table=True):
    """A reward or penalty (奖惩) in a cadre's year, imported from the office's own records
    for the archive; a re-import replaces the years it names."""

    __tablename__ = "award_record"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    userid: str = Field(max_length=64)
    kind: str = Field(max_length=8)  # 奖励 or 惩处
    content: str = Field(max_length=500)
    day: date | None = None
    imported_at: datetime = Field(sa_column=aware())


class QuarterExcuse(SQLModel, table=True):
    """A quarter left out of a cadre's annual mean (joined mid-year, long leave);
    userid '*' excuses the quarter for everyone (a round the district did not run)."""

    __tablename__ = "quarter_excuse"

    year: int = Field(primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    quarter: int = Field(primary_key=True)
    reason: str = Field(max_length=200)
    excused_by: str = Field(max_length=64)
    excused_at: datetime = Field(sa_column=aware())


class ExcellentDecision(SQLModel, table=True):
    """The admin's decision on a cadre tied at their unit's excellent quota (R-USE-1): granted
    or not. Publishing applies it for as long as the cadre stays in that tie."""

    __tablename__ = "excellent_decision"

    year: int = Field(primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    granted: bool
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(sa_column=aware())


class GradeRecord(SQLModel, table=True):
    """The 考核办's record on a cadre's annual 等次 (issue 24), applied at every publishing of
    the year: `kind` "grade" sets a grade the rules leave to the office (不确定等次, 不参加,
    基本称职, 不称职), "bar" keeps the cadre from 优秀 (处分, 诫勉 period from–to)."""

    __tablename__ = "grade_record"

    year: int = Field(primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=8)  # grade | bar
    grade: str | None = Field(default=None, max_length=24)  # scoring.grades.AnnualGrade, for "grade"
    reason: str = Field(max_length=200)
    period_from: date | None = None
    period_to: date | None = None
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=aware())


class AnnualPublication(SQLModel, table=True):
    """One version of a published year; a re-publish adds version + 1 and says what changed."""

    __tablename__ = "annual_publication"

    year: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    published_by: str = Field(max_length=64)
    published_at: datetime = Field(sa_column=aware())
    changes: str = Field(default="", sa_column=Column(Text, nullable=False))


class AnnualResult(SQLModel, table=True):
    """A cadre's published year, frozen with the names and units of the day. Figures are
    decimal strings with two places; reasons are the sentences the bot answers with."""

    __tablename__ = "annual_result"
    __table_args__ = (Index("ix_annual_result_unit", "year", "version", "unit_id"),)

    year: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    userid: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=50)
    unit_id: int
    unit_name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    rank_level: str = Field(max_length=20)
    democratic: str = Field(max_length=12)
    democratic_raters: int
    summary_deduction: str = Field(max_length=12)
    unit_result: str = Field(max_length=12)
    quarter_mean: str = Field(max_length=12)
    quarters: str = Field(max_length=20)  # counted quarters, e.g. "1,2,3,4"
    weights: str = Field(max_length=40)  # democratic/unit/quarters, e.g. "0.1/0.2/0.7"
    annual: str = Field(max_length=12)
    unit_rank: int
    unit_size: int
    level_rank: int
    level_size: int
    excellent: bool
    excellent_tied: bool  # tied at the quota's boundary: for the admin to decide
    promotion_eligible: bool
    promotion_reason: str = Field(sa_column=Column(Text, nullable=False))
    commendation_eligible: bool
    last_place_years: int  # consecutive years last in the unit, ending with this one (0: not last)
    action: str = Field(default="", max_length=30)  # 提醒谈话 / 诫勉谈话 / 组织处理 or ""
    # The annual 等次 (scoring.grades.AnnualGrade) and the 人员类别 that names it; None: published
    # before grades existed (migration 0021), read as 「未评定（本功能上线前发布）」.
    grade: str | None = Field(default=None, max_length=24)
    category: str | None = Field(default=None, max_length=16)
    grade_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))

"""What storage hands up of the rating and evaluation tables: frozen records, not rows.

A row (storage/models_rating.py, models_year.py) is a mutable ORM object whose `id` may be
None until it is flushed and whose status is any string; above storage a round always has
an id, its status is a `RoundStatus`, and nothing changes it but a repository's UPDATE
(as storage/directory.py hands up a `Person`, not a cadre row). The values stored stay the
strings they always were: `RoundStatus` is a StrEnum, so no schema or data changes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar


class RoundStatus(StrEnum):
    """Where a round is: `open` takes scores, `closed` is sealed, `published` has results
    (a quarter only), `voided` was opened by mistake and holds nothing (a quarter only)."""

    open = "open"
    closed = "closed"
    published = "published"
    voided = "voided"


R = TypeVar("R")


def record_of(kind: type[R], row: Any, **given: Any) -> R:
    """The record `kind` of an ORM row with the same column names (`given` overrides)."""
    names = [f.name for f in fields(kind)]  # type: ignore[arg-type]  # kind is a dataclass
    return kind(**{name: given[name] if name in given else getattr(row, name) for name in names})


def _round_fields(row: Any) -> dict[str, Any]:
    assert row.id is not None, "a round read from the database has an id"
    return {"id": row.id, "status": RoundStatus(row.status)}


@dataclass(frozen=True)
class QuarterRound:
    """A quarter's rating round (table `rating_round`)."""

    id: int
    quarter: str  # "2026Q4"
    status: RoundStatus
    opened_by: str  # admin userid, "cli:<login>", or "auto" for the scheduled opening
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    published_at: datetime | None  # the first version's

    @classmethod
    def of(cls, row: Any) -> QuarterRound:
        return record_of(cls, row, **_round_fields(row))


@dataclass(frozen=True)
class YearRound:
    """A year's democratic evaluation round (table `year_eval`)."""

    id: int
    year: int
    status: RoundStatus
    opened_by: str
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> YearRound:
        return record_of(cls, row, **_round_fields(row))


@dataclass(frozen=True)
class RatingCard:
    """One rating card: `rater` rates `ratee` (of unit `unit_id`) in group `grp`; the
    ratee unit's headcount at opening (`unit_size`) is the base of the 90+ cap."""

    id: str
    round_id: int
    rater: str
    ratee: str
    unit_id: int
    grp: str  # lead | peer | other
    unit_size: int


@dataclass(frozen=True)
class EvaluationCard:
    """One 民主测评 card: `rater` evaluates `ratee` (of unit `unit_id`)."""

    id: str
    round_id: int
    rater: str
    ratee: str
    unit_id: int


@dataclass(frozen=True)
class CadreQuarter:
    """A cadre's published quarter in one version of it (table `quarter_result`). Figures
    are decimal strings ("88.13"); `group_means` and `rater_counts` are JSON objects."""

    round_id: int
    version: int
    userid: str
    unit_id: int
    score: str | None  # None: nobody rated them
    raw: str | None
    deduction: str
    missing_log_days: int
    summary_missing: bool
    rank_in_unit: int | None
    unit_ranked: int  # how many of the unit were ranked (the n of "n 人中第 k 名")
    group_means: str
    rater_counts: str
    rank_level: str | None
    rank_in_level: int | None
    level_ranked: int
    missing_dates: str  # overdue log days deducted, ISO dates joined by ","; "" when none
    grade: str | None = None  # 平时考核 (scoring.grades.QuarterGrade); None: unscored or published before grades

    @classmethod
    def of(cls, row: Any) -> CadreQuarter:
        return record_of(cls, row)

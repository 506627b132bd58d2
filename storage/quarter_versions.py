"""Which version of a published quarter is read: the newest one (`quarter_publication`).

Every reader of `quarter_result` (我的得分, rankings, the year's composite, the archive) goes
through `newest`, so a re-publish reaches them all at once, while earlier versions stay in the
table for the audit (`RatingRepo.publications`, `ResultsRepo.round_results(version=…)`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, select
from sqlmodel import col

from storage.models_rating import QuarterPublication, QuarterResult

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def newest(stmt: S) -> S:
    """`stmt`, which selects from quarter_result, narrowed to each round's newest version.
    (The publications are a handful of rows: the database joins them, it reads no more results.)"""
    p = QuarterPublication
    latest = select(col(p.round_id), func.max(col(p.version)).label("version")).group_by(col(p.round_id)).subquery("newest")
    return stmt.join(latest, and_(latest.c.round_id == col(QuarterResult.round_id),
                                  latest.c.version == col(QuarterResult.version)))

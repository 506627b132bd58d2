"""The published annual results, as rankings and the archive read them (a small interface).

The year end (democratic evaluation, unit results, publishing the year) is its own feature;
everything here reads only what it published, so the rest of this package does not change
when the year end does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scoring.types import Rank
from storage.repos import Store


@dataclass(frozen=True)
class AnnualFigures:
    """One cadre's published year with its parts, frozen as published."""

    userid: str
    name: str
    unit_id: int
    unit_name: str
    level: Rank
    score: Decimal
    democratic: Decimal
    unit_result: Decimal
    quarter_mean: Decimal
    weights: str  # democratic/unit/quarters, e.g. "0.1/0.2/0.7"
    unit_rank: int
    unit_size: int
    level_rank: int
    level_size: int
    excellent: bool
    action: str  # 提醒谈话 / 诫勉谈话 / 组织处理, or ""


async def published_years(store: Store) -> list[int]:
    """Years with published annual results, oldest first."""
    return []


async def published_year(store: Store, year: int, userid: str | None = None) -> list[AnnualFigures] | None:
    """The published results of `year` (only `userid`'s row when given); None if unpublished."""
    return None

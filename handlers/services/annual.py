"""The published annual results, as rankings and the archive read them (a small interface).

The year end (handlers/services/year_*.py, storage/year_repo.py) is its own feature; this module is the
one place that reads what it published (the newest version of a year, frozen with the names
and units of the day), so rankings and the archive do not change when the year end does.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.render.records import AnnualFigures
from handlers.services.year_publish import breakdown_text, grade_name, row_shown
from scoring.types import Rank
from storage.repos import Store


async def published_years(store: Store) -> list[int]:
    """Years with published annual results, oldest first."""
    return await store.year.published_years()


async def published_year(store: Store, year: int, k: int, userid: str | None = None) -> list[AnnualFigures] | None:
    """The published results of `year` (only `userid`'s row when given); None if unpublished.
    `k` is the scoring config's `min_group_size`, the disclosure rule's threshold."""
    published = await store.year.published(year, userid=userid)
    if published is None:
        return None
    raters = await store.results.quarter_raters(year, userid)
    shown = {r.userid: row_shown(r, raters.get(r.userid, {}), k) for r in published.rows}
    return [
        AnnualFigures(
            userid=r.userid, name=r.name, unit_id=r.unit_id, unit_name=r.unit_name, level=Rank(r.rank_level),
            score=Decimal(r.annual), democratic=Decimal(r.democratic), unit_result=Decimal(r.unit_result),
            quarter_mean=Decimal(r.quarter_mean), weights=r.weights, unit_rank=r.unit_rank, unit_size=r.unit_size,
            level_rank=r.level_rank, level_size=r.level_size, excellent=r.excellent,
            promotion_eligible=r.promotion_eligible, commendation_eligible=r.commendation_eligible,
            action=r.action, explained=breakdown_text(r, shown[r.userid], k, place_if_withheld=False),
            shown=shown[r.userid],
            shown_to_colleagues=row_shown(r, raters.get(r.userid, {}), k, viewer_may_be_rater=True),
            grade=grade_name(r),
        )
        for r in published.rows
    ]

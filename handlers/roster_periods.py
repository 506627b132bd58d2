"""Gathers roster history for the period rules (scoring/roster.py): who a quarter rates in which
unit and group, and where a year ranks each cadre."""

from __future__ import annotations

from datetime import date

from scoring.roster import PeriodRule, Placement, placement_for_period
from storage.repos import Store


async def placed_for_period(store: Store, start: date, end: date, rule: PeriodRule) -> dict[str, Placement]:
    """Every cadre the roster places for [start, end] under `rule`, by userid (one query)."""
    placed = {}
    for userid, history in (await store.roster.placements()).items():
        line = placement_for_period(history, start, end, rule)
        if line is not None:
            placed[userid] = line
    return placed

"""Gathers roster history for the period rules (scoring/roster.py): who a quarter rates in which
unit and group, and where a year ranks each cadre."""

from __future__ import annotations

from datetime import date

from scoring.roster import PeriodRule, Placement, placement_for_period
from storage.directory import Directory, Person
from storage.repos import Store


async def placed_for_period(store: Store, start: date, end: date, rule: PeriodRule) -> dict[str, Placement]:
    """Every cadre the roster places for [start, end] under `rule`, by userid (one query)."""
    placed = {}
    for userid, history in (await store.roster.placements()).items():
        line = placement_for_period(history, start, end, rule)
        if line is not None:
            placed[userid] = line
    return placed


async def people_for_period(
    store: Store, directory: Directory, start: date, end: date, rule: PeriodRule
) -> dict[str, Person]:
    """The cadres placed for [start, end], sorted by userid, each with the unit, role and rank
    `rule` gives them for the period (name and today's activity as the directory has them:
    someone who has left since is placed for what they served, and is not `directory.get`)."""
    placed = await placed_for_period(store, start, end, rule)
    people = {}
    for userid, line in sorted(placed.items()):
        now = directory.people[userid]
        # Built field by field: dataclasses.replace costs twice as much on a province's roster.
        people[userid] = Person(userid, now.name, directory.units[int(line.unit)], line.role, line.rank,
                                now.position, now.active, now.oversees, now.category)
    return people

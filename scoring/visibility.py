"""Who may see what of which unit (R-LOG-4 logs, R-RATE-7 results): the one place it is decided.

| viewer                          | a unit's logs             | a unit's results          |
|---------------------------------|---------------------------|---------------------------|
| admin (考核办)                   | every unit                | every unit                |
| superior leader                 | own unit and units overseen | units overseen          |
| main leader                     | own unit                  | own unit                  |
| other cadre                     | own unit                  | none                      |
| unknown or inactive             | none                      | none                      |

Rankings (R-CHAT-4, R-YEAR-4), per ranking asked for (`ranking_view`), then per entry
(`may_see_entry`):

| viewer              | a unit's ranking               | a rank level's district ranking      |
|---------------------|--------------------------------|--------------------------------------|
| admin               | whole                          | whole                                |
| superior leader     | whole for units overseen       | entries of the units overseen        |
| main leader         | whole for own unit             | own place                            |
| other cadre         | own place in own unit          | own place                            |
| unknown or inactive | none                           | none                                 |

"Own place" is the viewer's own score and position, never anyone else's; "none" reveals
nothing, not even how many were ranked.
"""

from __future__ import annotations

from enum import StrEnum

from scoring.types import Role, Rostered


class Sight(StrEnum):
    """What of a unit is looked at."""

    logs = "logs"
    results = "results"


def may_see_unit(viewer: Rostered | None, is_admin: bool, unit_id: int, sight: Sight) -> bool:
    """Whether `viewer` may see `sight` of unit `unit_id` (the table above)."""
    if is_admin:
        return True
    if viewer is None or not viewer.active:
        return False
    if sight is Sight.logs:
        return unit_id == viewer.unit_id or unit_id in viewer.oversees
    if viewer.role == Role.superior:
        return unit_id in viewer.oversees
    return viewer.role == Role.main_leader and unit_id == viewer.unit_id


def may_read_logs_of(viewer: Rostered | None, is_admin: bool, target: Rostered) -> bool:
    """Whether `viewer` may read `target`'s logs. Superior leaders write no logs: never a target."""
    if target.role == Role.superior or not target.active:
        return False
    return may_see_unit(viewer, is_admin, target.unit_id, Sight.logs)


def may_annotate(viewer: Rostered | None, is_admin: bool, target: Rostered) -> bool:
    """Whether `viewer` may write a 批注 under `target`'s logs (issue 26): the admin, the main
    leader of the target's unit and a superior leader overseeing it; never on one's own log,
    and only where the viewer may read it."""
    if viewer is not None and viewer.userid == target.userid:
        return False
    if not may_read_logs_of(viewer, is_admin, target):
        return False
    if is_admin:
        return True
    assert viewer is not None  # may_read_logs_of admits no one else without a roster line
    if viewer.role == Role.superior:
        return target.unit_id in viewer.oversees
    return viewer.role == Role.main_leader and target.unit_id == viewer.unit_id


class RankingView(StrEnum):
    """How much of one ranking a viewer may see (the second table above)."""

    whole = "whole"  # every entry, names and scores
    units = "units"  # the entries of the units the viewer oversees
    own = "own"  # the viewer's own score and place only
    none = "none"  # nothing at all


def ranking_view(viewer: Rostered | None, is_admin: bool, unit_id: int | None) -> RankingView:
    """What `viewer` may see of the ranking of unit `unit_id`, or (None) of a rank level."""
    if is_admin:
        return RankingView.whole
    if viewer is None or not viewer.active:
        return RankingView.none
    if unit_id is not None and may_see_unit(viewer, False, unit_id, Sight.results):
        return RankingView.whole
    if viewer.role == Role.superior:
        return RankingView.units if unit_id is None and viewer.oversees else RankingView.none
    return RankingView.own if unit_id in (None, viewer.unit_id) else RankingView.none


def may_see_entry(
    viewer: Rostered | None, view: RankingView, userid: str, unit_id: int
) -> bool:
    """Whether an entry (cadre `userid` of unit `unit_id`) of a ranking shows under `view`."""
    if view is RankingView.whole:
        return True
    if viewer is None or view is RankingView.none:
        return False
    if view is RankingView.units:
        return unit_id in viewer.oversees
    return userid == viewer.userid

"""Who may see what of which unit (R-LOG-4 logs, R-RATE-7 results): the one place it is decided.

| viewer                          | a unit's logs             | a unit's results          |
|---------------------------------|---------------------------|---------------------------|
| admin (考核办)                   | every unit                | every unit                |
| superior leader                 | own unit and units overseen | units overseen          |
| main leader                     | own unit                  | own unit                  |
| other cadre                     | own unit                  | none                      |
| unknown or inactive             | none                      | none                      |
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

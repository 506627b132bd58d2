"""Who may read whose logs (R-LOG-4): the one place this rule lives."""

from __future__ import annotations

from storage.directory import Person


def can_read_unit(viewer: Person | None, is_admin: bool, unit_id: int) -> bool:
    """Colleagues read their own unit; a superior leader the units they oversee; admins all."""
    if is_admin:
        return True
    if viewer is None or not viewer.active:
        return False
    return viewer.unit.id == unit_id or unit_id in viewer.oversees


def can_read(viewer: Person | None, is_admin: bool, target: Person) -> bool:
    """Whether `viewer` may read `target`'s logs. Superior leaders write no logs: never a target."""
    if target.is_superior or not target.active:
        return False
    return can_read_unit(viewer, is_admin, target.unit.id)

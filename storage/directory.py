"""In-memory snapshot of the roster: every message needs "who is this?", so it never costs a query."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from scoring.names import name_key, text_key
from scoring.types import Rank, Role, UnitCategory
from scoring.visibility import Sight, may_read_logs_of, may_see_unit
from storage.models import Oversight, Unit


class CadreRow(Protocol):
    """A roster row as the directory reads it (a table row or an ORM object)."""

    userid: str
    name: str
    unit_id: int
    role: str
    rank: str | None
    position: str
    active: bool
    category: str | None  # 人员类别; None: the [grades] default


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    category: UnitCategory


@dataclass(frozen=True)
class Person:
    userid: str
    name: str
    unit: UnitInfo
    role: Role
    rank: Rank | None  # superior leaders may have none
    position: str
    active: bool
    oversees: frozenset[int] = field(default_factory=frozenset)
    category: str | None = None  # 人员类别 (scoring.grades.StaffCategory); None: the [grades] default

    @property
    def unit_id(self) -> int:
        return self.unit.id

    @property
    def is_superior(self) -> bool:
        return self.role is Role.superior

    @property
    def label(self) -> str:
        """Name plus unit: how people with the same name are told apart."""
        return f"{self.name}（{self.unit.name}）"


class Directory:
    def __init__(
        self, units: Iterable[Unit], cadres: Iterable[CadreRow], oversight: Iterable[Oversight],
        first_import: date | None = None,
    ) -> None:
        # The effective day of the first roster import: the go-live date unless the settings
        # name one (scoring.golive).
        self.first_import = first_import
        self.units: dict[int, UnitInfo] = {
            u.id: UnitInfo(u.id, u.name, UnitCategory(u.category)) for u in units if u.id is not None
        }
        oversees: dict[str, set[int]] = {}
        for row in oversight:
            oversees.setdefault(row.userid, set()).add(row.unit_id)
        self.people: dict[str, Person] = {
            c.userid: Person(
                userid=c.userid,
                name=c.name,
                unit=self.units[c.unit_id],
                role=Role(c.role),
                rank=Rank(c.rank) if c.rank else None,
                position=c.position,
                active=c.active,
                oversees=frozenset(oversees.get(c.userid, ())),
                category=c.category,
            )
            for c in cadres
        }
        self._by_name: dict[str, list[Person]] = {}
        self._by_unit: dict[int, list[Person]] = {}
        self._unit_by_name = {u.name: u for u in self.units.values()}
        for person in self.people.values():
            if not person.active:
                continue
            self._by_name.setdefault(person.name, []).append(person)
            if not person.is_superior:
                self._by_unit.setdefault(person.unit.id, []).append(person)
        for members in self._by_unit.values():
            members.sort(key=roster_order)
        # What a command's argument may name: 「查看吴昊」「排名城关镇」.
        self.names = frozenset(self._by_name) | frozenset(self._unit_by_name)

    def names_seen_by(self, viewer: Person | None, is_admin: bool) -> Container[str]:
        """The names of people and units `viewer` may see: a near-miss command is read
        against these only, so its answer never tells whether anyone else exists."""
        return self.names if is_admin else _NamesSeen(self, viewer)

    def get(self, userid: str) -> Person | None:
        person = self.people.get(userid)
        return person if person is not None and person.active else None

    def named(self, name: str) -> list[Person]:
        return list(self._by_name.get(name, ()))

    def unit_named(self, name: str) -> UnitInfo | None:
        return self._unit_by_name.get(name)

    def members(self, unit_id: int) -> list[Person]:
        """Active cadres of a unit (superior leaders are not members), in `roster_order`."""
        return list(self._by_unit.get(unit_id, ()))

    def cadres(self) -> list[Person]:
        """Everyone who logs and is rated: active, not superior leaders."""
        return [p for p in self.people.values() if p.active and not p.is_superior]


@dataclass(frozen=True)
class _NamesSeen:
    """A name is seen when it is the viewer's own, a unit whose logs the viewer may read, or
    someone whose logs the viewer may read (scoring/visibility.py). Asked a few times per
    message, so it is looked up, never built."""

    directory: Directory
    viewer: Person | None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        viewer, directory = self.viewer, self.directory
        unit = directory.unit_named(name)
        if unit is not None and may_see_unit(viewer, False, unit.id, Sight.logs):
            return True
        return any(
            (viewer is not None and p.userid == viewer.userid) or may_read_logs_of(viewer, False, p)
            for p in directory.named(name)
        )


_ROLE_ORDER = {Role.main_leader: 0, Role.leadership: 1, Role.staff: 2}


def roster_order(person: Person) -> tuple[object, ...]:
    """The one order of people in every list the bot shows: by unit (its name in pinyin),
    within a unit leaders first as a roster lists them (main leader, leadership, staff), then
    by name in pinyin (scoring/names.py); the userid last, so the order is total."""
    return (text_key(person.unit.name), _ROLE_ORDER.get(person.role, 9), name_key(person.name), person.userid)


def listed_names(people: Iterable[Person]) -> list[str]:
    """Names as a list shows them, in `roster_order`; a name the list holds twice carries its
    unit, 「王强（城关镇）」. Only the list itself decides, so it tells nobody who exists elsewhere."""
    ordered = sorted(people, key=roster_order)
    seen: dict[str, int] = {}
    for person in ordered:
        seen[person.name] = seen.get(person.name, 0) + 1
    return [person.label if seen[person.name] > 1 else person.name for person in ordered]

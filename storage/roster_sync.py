"""Comparing the roster with WeCom's address book (通讯录), and the changes a sync applies.

WeCom knows people, their departments and names; it does not know a cadre's role in the unit,
rank level or unit category, so those always come from the spreadsheet. A sync therefore only
reports newcomers (to be added by spreadsheet), marks people gone from WeCom as left, and
takes over changed names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.directory import CadreRow
from storage.roster_import import RosterRow

# WeCom member status: 1 active, 2 disabled, 4 not yet activated, 5 left the company.
GONE_STATUSES = frozenset({2, 5})


@dataclass(frozen=True)
class Member:
    """A member as a self-built app reads them (user/list): no phone, mail or avatar since 2022."""

    userid: str
    name: str
    departments: tuple[str, ...]  # department names
    position: str = ""
    status: int = 1


@dataclass(frozen=True)
class Proposal:
    """A roster row whose userid WeCom does not know, and a WeCom member who looks like them."""

    roster_userid: str
    wecom_userid: str
    name: str
    unit: str


@dataclass
class SyncReport:
    new: list[Member] = field(default_factory=list)  # in WeCom, not in the roster
    gone: list[CadreRow] = field(default_factory=list)  # active in the roster, gone from WeCom
    renamed: list[tuple[CadreRow, str]] = field(default_factory=list)  # (roster row, WeCom's name)
    proposals: list[Proposal] = field(default_factory=list)
    moved: list[tuple[CadreRow, tuple[str, ...]]] = field(default_factory=list)  # unit not among departments
    unchecked: set[str] = field(default_factory=set)  # roster units with no visible department

    @property
    def empty(self) -> bool:
        return not (self.new or self.gone or self.renamed or self.proposals)


def compare(
    cadres: list[CadreRow], unit_names: dict[int, str], departments: set[str], members: list[Member]
) -> SyncReport:
    """Match by userid (WeCom's userids are case-insensitive); propose matches by name and
    department for roster rows WeCom does not know.

    A self-built app reads only its visible range: someone whose unit has no department the
    app can see is not reported gone (the unit is listed as unchecked instead), so a narrow
    visible range never marks half a district as left.
    """
    report = SyncReport()
    present = {m.userid.lower(): m for m in members if m.status not in GONE_STATUSES}
    on_roster = {c.userid.lower() for c in cadres}
    unmatched = [m for key, m in present.items() if key not in on_roster]
    for cadre in sorted(cadres, key=lambda c: (c.unit_id, c.userid)):
        if not cadre.active or (cadre.role == "superior" and cadre.userid.lower() not in present):
            # Leavers are history; a district leader may sit outside the app's visible range.
            continue
        member = present.get(cadre.userid.lower())
        unit = unit_names[cadre.unit_id]
        if member is None and unit not in departments:
            report.unchecked.add(unit)
            continue
        if member is None:
            lookalike = next((m for m in unmatched if m.name == cadre.name and unit in m.departments), None)
            if lookalike is not None:
                report.proposals.append(Proposal(cadre.userid, lookalike.userid, cadre.name, unit))
            else:
                report.gone.append(cadre)
            continue
        if member.name != cadre.name:
            report.renamed.append((cadre, member.name))
        if cadre.role != "superior" and unit not in member.departments:
            report.moved.append((cadre, member.departments))
    proposed = {p.wecom_userid for p in report.proposals}
    report.new = sorted((m for m in unmatched if m.userid not in proposed), key=lambda m: (m.departments, m.userid))
    return report


def sync_rows(
    report: SyncReport, units: dict[int, tuple[str, str]], oversees: dict[str, tuple[str, ...]]
) -> list[RosterRow]:
    """The roster rows `--apply` records: the renamed with WeCom's name, the gone as left.

    `units` gives each unit id's (name, category); the rest of each row is kept as it is.
    """
    rows: list[RosterRow] = []
    changes = [(c, name, c.active) for c, name in report.renamed] + [(c, c.name, False) for c in report.gone]
    for line, (cadre, name, active) in enumerate(changes, start=1):
        unit, category = units[cadre.unit_id]
        rows.append(RosterRow(
            line=line, userid=cadre.userid, name=name, unit=unit, unit_category=category, role=cadre.role,
            rank=cadre.rank, oversees=oversees.get(cadre.userid, ()), position=cadre.position, active=active,
            category=cadre.category,
        ))
    return rows

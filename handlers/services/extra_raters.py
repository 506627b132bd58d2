"""Bulk imports for R-RATE-6, all-or-nothing like the roster import.

- approved extra raters: CSV/XLSX `unit,userid`, one approved extra rater a row;
- role groups: CSV/XLSX `group,userid`, named groups a small unit's leader may propose
  as a whole (`增加参评 乡镇团委书记`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from scoring.groups import may_have_extra_raters
from storage.directory import Directory
from storage.repos import Store
from storage.roster_import import ImportProblems, require_columns


@dataclass(frozen=True)
class ExtraRater:
    line: int
    unit_id: int
    userid: str


def check_extra_raters(records: list[dict[str, str]], directory: Directory, small_below: int) -> list[ExtraRater]:
    """Validate every row against the roster; raise with every problem, or return the rows."""
    require_columns(records, ("unit", "userid"))
    problems: list[str] = []
    rows: list[ExtraRater] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in enumerate(records, start=2):
        unit_name, userid = record["unit"], record["userid"]
        bad: list[str] = []
        unit = directory.unit_named(unit_name)
        person = directory.get(userid)
        if unit is None:
            bad.append(f"单位「{unit_name}」不在名册中")
        if person is None:
            bad.append(f"userid「{userid}」不在名册中（或已停用）")
        if unit is not None:
            size = len(directory.members(unit.id))
            if not may_have_extra_raters(size, small_below):
                bad.append(f"{unit_name}有 {size} 名干部，不足 {small_below} 人的单位才设参评人员")
            if person is not None and person.unit.id == unit.id:
                bad.append(f"{person.name} 是{unit_name}本单位成员，本来就参加评分")
        if (unit_name, userid) in seen:
            bad.append(f"与第 {seen[(unit_name, userid)]} 行重复")
        if bad:
            problems.append(f"第 {line} 行：" + "；".join(bad))
            continue
        assert unit is not None
        seen[(unit_name, userid)] = line
        rows.append(ExtraRater(line, unit.id, userid))
    if problems:
        raise ImportProblems(problems)
    return rows


async def apply_extra_raters(store: Store, rows: list[ExtraRater], now: datetime) -> int:
    by_unit: defaultdict[int, list[str]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_id].append(row.userid)
    added = 0
    for unit_id, userids in by_unit.items():
        added += await store.rating.approve_extra(unit_id, userids, now, "import")
    return added


def check_role_groups(records: list[dict[str, str]], directory: Directory) -> dict[str, list[str]]:
    require_columns(records, ("group", "userid"))
    problems: list[str] = []
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for line, record in enumerate(records, start=2):
        name, userid = record["group"], record["userid"]
        if not name:
            problems.append(f"第 {line} 行：group 为空")
        elif directory.get(userid) is None:
            problems.append(f"第 {line} 行：userid「{userid}」不在名册中（或已停用）")
        elif userid in groups[name]:
            problems.append(f"第 {line} 行：{userid} 在组「{name}」中重复")
        else:
            groups[name].append(userid)
    if problems:
        raise ImportProblems(problems)
    return dict(groups)

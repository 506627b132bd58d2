"""Roster import (CSV UTF-8 or XLSX): all-or-nothing, every bad row reported with its number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.types import Rank, Role, UnitCategory
from storage.models import Cadre, Oversight, Unit

REQUIRED = ("userid", "name", "unit", "unit_category", "role", "rank")
OPTIONAL = ("oversees", "position", "active")
ROLES = {r.value for r in Role}
RANKS = {r.value for r in Rank}
CATEGORIES = {c.value for c in UnitCategory}
TRUE_WORDS = {"", "1", "true", "yes", "y", "是", "在职"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "离职", "停用"}


class ImportProblems(ValueError):
    """A file import refused as a whole; `problems` names every bad row (all-or-nothing)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


RosterError = ImportProblems


def require_columns(records: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    """Refuse an empty file or one whose header lacks a required column."""
    if not records:
        raise ImportProblems(["文件中没有数据行"])
    missing = [c for c in columns if c not in records[0]]
    if missing:
        raise ImportProblems([f"表头缺少列：{', '.join(missing)}（需要 {','.join(columns)}）"])


@dataclass(frozen=True)
class RosterRow:
    line: int
    userid: str
    name: str
    unit: str
    unit_category: str
    role: str
    rank: str | None
    oversees: tuple[str, ...]
    position: str
    active: bool


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows as dicts of stripped strings, from CSV (UTF-8, BOM tolerated) or XLSX."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        if sheet is None:
            return []
        rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        text = path.read_bytes().decode("utf-8-sig")
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    return [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in rows[1:]]


def parse_roster(records: list[dict[str, str]]) -> list[RosterRow]:
    require_columns(records, REQUIRED)
    problems: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    categories: dict[str, str] = {}
    for index, rec in enumerate(records, start=2):  # line 1 is the header
        bad: list[str] = []
        userid, name, unit = rec["userid"], rec["name"], rec["unit"]
        role, rank, category = rec["role"], rec["rank"], rec["unit_category"]
        if not userid:
            bad.append("userid 为空")
        elif userid in seen:
            bad.append(f"userid {userid} 与第 {seen[userid]} 行重复")
        if not name:
            bad.append("name 为空")
        if not unit:
            bad.append("unit 为空")
        if category not in CATEGORIES:
            bad.append(f"unit_category「{category}」无效，应为 {'/'.join(sorted(CATEGORIES))}")
        elif unit and categories.setdefault(unit, category) != category:
            bad.append(f"单位「{unit}」的 unit_category 与前面的行不一致")
        if role not in ROLES:
            bad.append(f"role「{role}」无效，应为 {'/'.join(sorted(ROLES))}")
        if role == Role.superior:
            rank_value = rank or None
            if rank_value is not None and rank_value not in RANKS:
                bad.append(f"rank「{rank}」无效")
        else:
            rank_value = rank
            if rank not in RANKS:
                bad.append(f"rank「{rank}」无效，应为 {'/'.join(sorted(RANKS))}")
        oversees = tuple(u.strip() for u in rec.get("oversees", "").replace("；", ";").split(";") if u.strip())
        if oversees and role != Role.superior:
            bad.append("只有 role 为 superior 的行可以填写 oversees")
        active_word = rec.get("active", "").strip().lower()
        if active_word not in TRUE_WORDS | FALSE_WORDS:
            bad.append(f"active「{active_word}」无效，应为 是/否")
        if bad:
            problems.append(f"第 {index} 行：" + "；".join(bad))
            continue
        seen[userid] = index
        rows.append(
            RosterRow(
                line=index,
                userid=userid,
                name=name,
                unit=unit,
                unit_category=category,
                role=role,
                rank=rank_value,
                oversees=oversees,
                position=rec.get("position", ""),
                active=active_word not in FALSE_WORDS,
            )
        )
    if problems:
        raise RosterError(problems)
    return rows


@dataclass(frozen=True)
class ImportSummary:
    units_created: int
    cadres_created: int
    cadres_updated: int


async def apply_roster(session: AsyncSession, rows: list[RosterRow], now: datetime) -> ImportSummary:
    """Insert or update by userid (and units by name) inside the caller's transaction.

    Raises RosterError (the caller's transaction then rolls back) when `oversees` names a unit
    that is neither in the file nor already in the database.
    """
    units = {u.name: u for u in (await session.execute(select(Unit))).scalars().all()}
    unknown = [
        f"第 {row.line} 行：oversees 中的单位「{name}」不在名册中"
        for row in rows
        for name in row.oversees
        if name not in units and name not in {r.unit for r in rows}
    ]
    if unknown:
        raise RosterError(unknown)
    units_created = 0
    for row in rows:
        unit = units.get(row.unit)
        if unit is None:
            unit = Unit(name=row.unit, category=row.unit_category)
            session.add(unit)
            units[row.unit] = unit
            units_created += 1
        else:
            unit.category = row.unit_category
    await session.flush()
    existing = {c.userid: c for c in (await session.execute(select(Cadre))).scalars().all()}
    created = updated = 0
    for row in rows:
        unit_id = units[row.unit].id
        assert unit_id is not None
        cadre = existing.get(row.userid)
        if cadre is None:
            session.add(
                Cadre(
                    userid=row.userid, name=row.name, unit_id=unit_id, role=row.role, rank=row.rank,
                    position=row.position, active=row.active, updated_at=now,
                )
            )
            created += 1
        else:
            cadre.name, cadre.unit_id, cadre.role, cadre.rank = row.name, unit_id, row.role, row.rank
            cadre.position, cadre.active, cadre.updated_at = row.position, row.active, now
            updated += 1
    await session.flush()
    superiors = [r.userid for r in rows if r.role == Role.superior]
    if superiors:
        await session.execute(delete(Oversight).where(Oversight.userid.in_(superiors)))  # type: ignore[attr-defined]
    for row in rows:
        for name in row.oversees:
            session.add(Oversight(userid=row.userid, unit_id=units[name].id))
    await session.flush()
    return ImportSummary(units_created, created, updated)

"""Roster import (CSV UTF-8 or XLSX, Chinese or English headers): all-or-nothing, every bad
cell reported with its row and the column as the operator wrote it; each change recorded with
its effective day."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.roster import BEGINNING
from scoring.types import Role
from storage.models import Cadre, Oversight, RosterChange, Unit
from storage.roster_table import BY_KEY, COLUMNS, EXAMPLE, Column, column_for

# WeCom's own rule for a userid: letters, digits and _-@., starting with a letter or digit.
USERID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-@.]{0,63}")


class ImportProblems(ValueError):
    """A file import refused as a whole; `problems` names every bad row (all-or-nothing)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


RosterError = ImportProblems


def with_english_headers(records: list[dict[str, str]], aliases: dict[str, str]) -> list[dict[str, str]]:
    """The same rows keyed by the English column names, for files whose header is in Chinese."""
    return [{aliases.get(header, header): value for header, value in record.items()} for record in records]


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
    # Optional columns the file has: one without 职务/分管单位/在职/人员类别 leaves them as they were.
    given: frozenset[str] = frozenset(("oversees", "position", "active", "category"))
    category: str | None = None  # 人员类别; None: the [grades] default


class UnreadableTable(ValueError):
    """A file that cannot be read as a table at all; the text says why and what to do, in one line."""


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows as dicts of stripped strings, from CSV (UTF-8 with or without BOM, or the GBK that
    Excel writes on Chinese Windows) or XLSX. Raises UnreadableTable, never a library's error."""
    # openpyxl loads only when a table is read.
    from openpyxl.utils.exceptions import InvalidFileException

    suffix = path.suffix.lower()
    if suffix in (".xls", ".et", ".numbers", ".ods"):
        raise UnreadableTable(
            f"{path.name}：不支持这种格式，请在 Excel 中「另存为」Excel 工作簿（.xlsx）或 CSV UTF-8（逗号分隔）后再导入"
        )
    try:
        rows = _xlsx_rows(path) if suffix in (".xlsx", ".xlsm") else _csv_rows(path.read_bytes())
    except FileNotFoundError:
        raise UnreadableTable(f"找不到文件 {path}，请检查路径和文件名") from None
    except IsADirectoryError:
        raise UnreadableTable(f"{path} 是文件夹，请给出要导入的文件") from None
    except PermissionError:
        raise UnreadableTable(f"没有权限读取 {path}") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError):
        # A CSV renamed to .xlsx, a truncated download, a .xls saved under the new name…
        raise UnreadableTable(
            f"{path.name} 不是有效的 Excel 工作簿（.xlsx）：如果它其实是 CSV，请把扩展名改为 .csv；"
            "否则请在 Excel 中打开并「另存为」Excel 工作簿（.xlsx）后再导入"
        ) from None
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    return [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in rows[1:]]


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:  # a read-only workbook holds its file open until closed
        return [["" if v is None else str(v).strip() for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    if b"\0" in data:
        raise UnreadableTable("文件不是文本格式的 CSV，请在 Excel 中「另存为」CSV UTF-8（逗号分隔）或 Excel 工作簿（.xlsx）")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Chinese Windows is GBK; GB18030 reads every GBK file.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise UnreadableTable(
                "文件编码无法识别，请在 Excel 中「另存为」CSV UTF-8（逗号分隔）后再导入"
            ) from None
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def _headers(records: list[dict[str, str]]) -> dict[str, str]:
    """Column key -> the header the file used for it; refuses a missing or doubled column."""
    if not records:
        raise RosterError(["文件中没有数据行"])
    used: dict[str, str] = {}
    problems = []
    for header in records[0]:
        column = column_for(header)
        if column is None:
            continue  # 序号, 备注 and the like are the operator's own
        if column.key in used:
            problems.append(f"表头中「{used[column.key]}」和「{header}」是同一列（{column.header}），请删去一个")
        used[column.key] = header
    missing = [c for c in COLUMNS if c.required and c.key not in used]
    if missing:
        names = "、".join(f"{c.header}（{c.key}）" for c in missing)
        problems.append(f"表头缺少列：{names}。可用 shiji roster template 生成带表头的模板")
    if problems:
        raise RosterError(problems)
    return used


def _not_on_roster(header: str, unit: str) -> str:
    return f"{header}中的单位「{unit}」不在名册中"


def unknown_oversees(rows: list[RosterRow], known_units: Collection[str]) -> list[str]:
    in_file = {r.unit for r in rows}
    return [
        f"第 {row.line} 行：{_not_on_roster(BY_KEY['oversees'].header, name)}"
        for row in rows
        for name in row.oversees
        if name not in known_units and name not in in_file
    ]


def is_template_example(cell: dict[str, str]) -> bool:
    """The template's own example row, left in by an operator who filled in the rows below it:
    every column of the form present and exactly as the template wrote it."""
    return all(cell.get(key) == value for key, value in EXAMPLE.items())


@dataclass(frozen=True)
class ParsedRoster:
    rows: list[RosterRow]
    notes: list[str]  # rows skipped on purpose (the template's example), one line each


def parse_roster(records: list[dict[str, str]], known_units: Collection[str] | None = None) -> ParsedRoster:
    """Check every cell in one pass; raise RosterError naming all problems, or return the rows.

    `known_units` (the units already in the database) lets an 分管单位 that names neither a
    unit of the file nor one of those be reported together with everything else. The
    template's example row is skipped, with a note.
    """
    headers = _headers(records)
    cells = [{key: rec.get(header, "").strip() for key, header in headers.items()} for rec in records]
    in_file = {cell["unit"] for cell in cells if not is_template_example(cell)}

    def said(key: str) -> str:
        return headers.get(key, BY_KEY[key].header).strip().rstrip("*")

    def coded(column: Column, cell: str, bad: list[str]) -> str | None:
        code = column.code(cell)
        if code is None:
            what = f"「{cell}」无效" if cell else "为空"
            bad.append(f"{said(column.key)}{what}，可填：{'、'.join(column.choices())}")
        return code

    problems: list[str] = []
    notes: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    categories: dict[str, str] = {}
    for index, cell in enumerate(cells, start=2):  # line 1 is the header
        if is_template_example(cell):
            notes.append(f"第 {index} 行是模板自带的示例（{cell['name']}，{cell['unit']}），已跳过，未导入")
            continue
        bad: list[str] = []
        for key in ("userid", "name", "unit"):
            if not cell[key]:
                bad.append(f"{said(key)}为空")
        for column in COLUMNS:
            value = cell.get(column.key, "")
            if column.max_chars and len(value) > column.max_chars:
                bad.append(f"{said(column.key)}超过 {column.max_chars} 个字")
        userid = cell["userid"]
        if userid and not USERID.fullmatch(userid):
            bad.append(f"{said('userid')}「{userid}」不是企业微信账号的格式（字母、数字和 _-@.，以字母或数字开头）")
        elif userid.lower() in seen:
            bad.append(f"{said('userid')} {userid} 与第 {seen[userid.lower()]} 行重复")
        category = coded(BY_KEY["unit_category"], cell["unit_category"], bad)
        if category and cell["unit"] and categories.setdefault(cell["unit"], category) != category:
            bad.append(f"单位「{cell['unit']}」的{said('unit_category')}与前面的行不一致")
        role = coded(BY_KEY["role"], cell["role"], bad)
        rank = None
        if cell["rank"] or role != Role.superior:
            rank = coded(BY_KEY["rank"], cell["rank"], bad)
        oversees = tuple(u.strip() for u in re.split(r"[;；、,，]", cell.get("oversees", "")) if u.strip())
        if oversees and role not in (None, Role.superior):
            bad.append(f"只有角色为 上级领导 的行可以填写{said('oversees')}")
        elif known_units is not None:
            bad += [_not_on_roster(said("oversees"), u) for u in oversees if u not in known_units and u not in in_file]
        active = coded(BY_KEY["active"], cell.get("active", ""), bad)
        staff = coded(BY_KEY["category"], cell["category"], bad) if cell.get("category") else None
        if bad:
            problems.append(f"第 {index} 行：" + "；".join(bad))
            continue
        seen[userid.lower()] = index
        assert category is not None and role is not None
        rows.append(RosterRow(
            line=index, userid=userid, name=cell["name"], unit=cell["unit"], unit_category=category,
            role=role, rank=rank, oversees=oversees, position=cell.get("position", ""),
            active=active == "true", given=frozenset(headers), category=staff,
        ))
    if not rows and not problems:  # the template saved as it came
        problems.append("文件中只有模板自带的示例行，没有要导入的人：请在示例下方逐行填写后再导入")
    if problems:
        raise RosterError(problems)
    return ParsedRoster(rows, notes)


@dataclass(frozen=True)
class ImportSummary:
    units_created: int
    cadres_created: int
    cadres_updated: int
    unchanged: int = 0
    effective: date = BEGINNING
    # What was imported but may not do what the operator meant, one line each.
    warnings: tuple[str, ...] = ()


def _line(row: RosterRow, unit_id: int) -> tuple[object, ...]:
    return (row.name, unit_id, row.role, row.rank, row.position, row.active, ";".join(row.oversees), row.category)


def _stored(change: RosterChange) -> tuple[object, ...]:
    return (change.name, change.unit_id, change.role, change.rank, change.position, change.active, change.oversees,
            change.category)


async def apply_roster(
    session: AsyncSession,
    rows: list[RosterRow],
    now: datetime,
    effective: date | None = None,
    source: str = "",
) -> ImportSummary:
    """Record each row as a roster line from `effective` on, inside the caller's transaction.

    `effective` None means today, except for the district's very first roster, which held
    "since always" (BEGINNING). A row equal to the line already in force that day records
    nothing, so importing the same file twice changes nothing. `cadre` is then set to the
    line in force today (a back-dated change under a later one leaves today's line alone).

    Raises RosterError (the caller's transaction then rolls back) when `oversees` names a unit
    that is neither in the file nor already in the database.
    """
    units = {u.name: u for u in (await session.execute(select(Unit))).scalars().all()}
    unknown = unknown_oversees(rows, units)
    if unknown:
        raise RosterError(unknown)
    today = now.date()
    if effective is not None and effective > today:
        # The roster in force today is what messages, reminders and cards go by; a future
        # line would have to switch itself on later. Record it on the day it takes effect.
        raise RosterError([f"生效日期 {effective} 晚于今天（{today}）：请到生效当天再导入"])
    existing = {c.userid: c for c in (await session.execute(select(Cadre))).scalars().all()}
    if effective is None:
        effective = today if existing else BEGINNING
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
    history: dict[str, list[RosterChange]] = {}
    for change in (await session.execute(select(RosterChange).order_by(col(RosterChange.effective)))).scalars():
        history.setdefault(change.userid, []).append(change)
    created = updated = unchanged = 0
    touched_units = {units[row.unit].id for row in rows} | {
        existing[row.userid].unit_id for row in rows if row.userid in existing
    }
    overtaken: list[str] = []
    for row in rows:
        unit_id = units[row.unit].id
        assert unit_id is not None
        lines = history.setdefault(row.userid, [])
        in_force = [c for c in lines if c.effective <= effective]
        if in_force:
            row = _keep_absent(row, in_force[-1])
        if in_force and _stored(in_force[-1]) == _line(row, unit_id):
            unchanged += 1
            continue
        cadre = existing.get(row.userid)
        if cadre is None:
            cadre = Cadre(userid=row.userid, name=row.name, unit_id=unit_id, role=row.role, rank=row.rank,
                          position=row.position, active=row.active, category=row.category, updated_at=now)
            session.add(cadre)
            existing[row.userid] = cadre
            created += 1
            await session.flush()
        else:
            updated += 1
        same_day = in_force[-1] if in_force and in_force[-1].effective == effective else None
        change = same_day or RosterChange(userid=row.userid, effective=effective, name=row.name, unit_id=unit_id,
                                            role=row.role, recorded_at=now)
        change.name, change.unit_id, change.role, change.rank = row.name, unit_id, row.role, row.rank
        change.position, change.active, change.oversees = row.position, row.active, ";".join(row.oversees)
        change.category = row.category
        change.source, change.recorded_at = source, now
        if same_day is None:
            session.add(change)
            lines.append(change)
            lines.sort(key=lambda c: c.effective)
        _mirror(cadre, lines[-1], now)  # no line is later than today (refused above)
        later = next((c.effective for c in lines if c.effective > effective), None)
        if later is not None:
            overtaken.append(
                f"第 {row.line} 行 {row.name}（{row.userid}）：已记为自 {effective} 起，但此人已有 {later} 起的"
                f"名册记录，从那天起仍按那条记录；请用 shiji roster history {row.userid} 核对，"
                f"必要时以 --effective {later} 再导入正确的信息"
            )
    await session.flush()
    await _replace_oversight(session, {r.userid: history[r.userid][-1] for r in rows}, units)
    warnings = overtaken + await _leaderless(session, touched_units)
    return ImportSummary(units_created, created, updated, unchanged, effective, tuple(warnings))


async def _leaderless(session: AsyncSession, unit_ids: Collection[int | None]) -> list[str]:
    """Units (among `unit_ids`) with people at work but no main leader at work today: their
    leave goes to the admins and nobody gives 主评 in their rounds."""
    people = (await session.execute(
        select(col(Cadre.unit_id), col(Cadre.role)).where(col(Cadre.unit_id).in_(list(unit_ids)), col(Cadre.active))
    )).all()
    staffed = {unit_id for unit_id, role in people if role != Role.superior}
    led = {unit_id for unit_id, role in people if role == Role.main_leader}
    names = {u.id: u.name for u in (await session.execute(select(Unit).where(col(Unit.id).in_(staffed - led)))).scalars()}
    return [
        f"单位「{names[unit_id]}」现在没有在职的主要领导：该单位的请假将转给管理员审批，季度评分无人主评；"
        "如有主要领导，请在名册中补上后再导入"
        for unit_id in sorted(staffed - led, key=lambda u: names[u])
    ]


def _keep_absent(row: RosterRow, line: RosterChange) -> RosterRow:
    """Optional columns missing from the file keep the person's current values."""
    return replace(
        row,
        position=row.position if "position" in row.given else line.position,
        oversees=row.oversees if "oversees" in row.given else tuple(filter(None, line.oversees.split(";"))),
        active=row.active if "active" in row.given else line.active,
        category=row.category if "category" in row.given else line.category,
    )


def _mirror(cadre: Cadre, line: RosterChange, now: datetime) -> None:
    cadre.name, cadre.unit_id, cadre.role, cadre.rank = line.name, line.unit_id, line.role, line.rank
    cadre.position, cadre.active, cadre.updated_at = line.position, line.active, now
    cadre.category = line.category


async def _replace_oversight(session: AsyncSession, today: dict[str, RosterChange], units: dict[str, Unit]) -> None:
    """Oversight follows each person's line in force today."""
    await session.execute(delete(Oversight).where(col(Oversight.userid).in_(list(today))))
    for userid, line in today.items():
        for name in filter(None, line.oversees.split(";")):
            unit_id = units[name].id
            assert unit_id is not None  # every unit was flushed before
            session.add(Oversight(userid=userid, unit_id=unit_id))
    await session.flush()

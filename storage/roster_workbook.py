"""The roster as an organisation department keeps it: an XLSX with Chinese headers, drop-down
lists on every coded column, and a 说明 sheet. The template and the export are the same form,
so an operator edits an export and imports it back."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from storage.roster_repo import RosterRepo
from storage.roster_table import COLUMNS, NO, YES, label

SHEET, HELP_SHEET = "名册", "说明"
# Drop-downs and checks reach this many rows: a district of 1,340 and a city's largest unit fit.
VALIDATED_ROWS = 20000

GUIDE = (
    "每行一人。表头用中文（也接受 userid/name/unit 等英文列名）；带 * 的列必填。"
    "第一行「张三」是示例，可以删去；原样留着，导入时会跳过。",
    "带下拉箭头的列只能选列表中的值；常见写法（如 乡镇、街道、党政正职、正科）导入时也能识别。",
    "导入：shiji import-roster 名册.xlsx [--effective 2026-10-01]。生效日期默认今天；"
    "首次导入的名册视为一直如此。调动、晋升、离岗都写明生效日期，季度、年度按当时的名册计算。",
    "整表检查：有任何一处错误则整表不导入，并逐行指出问题；同一文件重复导入不会重复记录。",
    "离岗或退休：不要删行，把「在职」改为 否，历史和档案都会保留。",
    "核对企业微信通讯录：shiji roster sync（只列出差异），确认后加 --apply 写入。",
)


def write_roster(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows (column key -> cell text) as the roster form, with its 说明 sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([f"{c.header}*" if c.required and c.key != "rank" else c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if not column.labels:
            continue
        choices = ",".join(column.choices())
        check = DataValidation(
            type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True,
            errorTitle=f"{column.header}无效", error=f"请从下拉列表中选择：{choices.replace(',', '、')}",
            showInputMessage=True, promptTitle=column.header, prompt=column.note[:255],
        )
        check.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
        sheet.add_data_validation(check)
    _guide(book.create_sheet(HELP_SHEET))
    book.save(path)


def _guide(sheet: Worksheet) -> None:
    for line in GUIDE:
        sheet.append([line])
    sheet.append([])
    sheet.append(["列", "必填", "说明", "可填的值"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        required = "是" if column.required and column.key != "rank" else ("上级领导可不填" if column.key == "rank" else "")
        values = "、".join(column.choices())
        sheet.append([column.header, required, column.note, values])
    for letter, width in zip("ABCD", (14, 14, 60, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


async def roster_rows(session: AsyncSession) -> list[dict[str, str]]:
    """The roster in force today, in the form's words, units and people in a stable order."""
    repo = RosterRepo(session)
    units = {u.id: u for u in await repo.units()}
    oversees = await repo.oversees_names()
    order = {"main_leader": 0, "leadership": 1, "staff": 2, "superior": 3}
    people = sorted(
        await repo.cadres(),
        key=lambda c: (not c.active, c.unit_id, order.get(c.role, 9), c.userid),
    )
    return [
        {
            "userid": c.userid, "name": c.name, "unit": units[c.unit_id].name,
            "unit_category": label("unit_category", units[c.unit_id].category),
            "role": label("role", c.role), "rank": label("rank", c.rank),
            "oversees": "；".join(oversees.get(c.userid, [])), "position": c.position,
            "active": YES if c.active else NO, "category": label("category", c.category),
        }
        for c in people
    ]

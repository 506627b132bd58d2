"""The district workbook (xlsx), written in constant memory with openpyxl's write-only mode.

Sheets: one results sheet per rank level (every quarterly and annual figure, ranks, grade
and decision), one sheet per unit with the same columns, and 日志记载 (log coverage). Rows
go to each sheet's temporary file as they are made and a finished unit sheet is closed at
once, so neither the rows nor the open files grow with the district. Beyond
`MAX_UNIT_SHEETS` units (a city or province) the units share one sheet, 各单位, ordered by
unit: thousands of tabs are no use to a reader, and each costs openpyxl a file and time.

A rank level's sheet lists its cadres by place (the annual 职级排名 once the year is
published, else the latest quarter's), equal places together; a cadre whose place is
withheld comes after everyone placed, since a slot among shown scores would pin theirs.
Every sheet freezes its header and the name columns, with widths fitted to the contents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from handlers.render.records import QUARTERS, YearRecord
from scoring.disclosure import shows, withheld_zh
from scoring.types import RANK_ZH, ROLE_ZH
from storage.directory import Person
from storage.results_repo import QuarterCells

HEADER = [
    "单位", "姓名", "企业微信账号", "职务", "身份", "职级",
    *[f"第{'一二三四'[q - 1]}季度{what}" for q in QUARTERS for what in ("得分", "扣减", "单位排名", "职级排名", "平时考核")],
    "民主测评", "单位年度结果", "季度平均", "年度得分", "年度单位排名", "年度职级排名", "等次",
    "符合提拔条件", "可评先评优", "处理",
]
COVERAGE = ["单位", "姓名", "企业微信账号", "应记工作日", "已记篇数", "记载率", "已发布季度扣减的缺记天数"]
NO_LEVEL = "未定职级"
ALL_UNITS = "各单位"
MAX_UNIT_SHEETS = 200
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 40  # characters; a longer cell wraps in Excel rather than widening the sheet
FROZEN = "C3"  # the title and header rows, and 单位/姓名, stay in view


def _place(position: int | None, size: int) -> str:
    return f"{position}/{size}" if position is not None else ""


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _quarter_cells(row: QuarterCells | None, k: int) -> list[object]:
    """A quarter's cells; a score on fewer than `k` raters is withheld with its places (the
    workbook lists everyone: a place next to shown scores would pin it, scoring.disclosure)."""
    if row is None:
        return [None, None, "", "", ""]
    # The 平时考核 grade is the person's official quarterly result (公务员平时考核办法（试行）):
    # filed even beside a withheld score, whose band it shows only coarsely.
    grade = row.grade or ("" if row.score is None else "未评定")
    if row.score is not None and not shows(row.raters, k):
        return [withheld_zh(k), _number(row.deduction), "", "", grade]
    return [
        _number(row.score),
        _number(row.deduction),
        _place(row.rank_in_unit, row.unit_ranked),
        _place(row.rank_in_level, row.level_ranked),
        grade,
    ]


def results_row(record: YearRecord, person: Person) -> list[object]:
    quarters = record.quarters.get(person.userid, {})
    figures = record.annual.get(person.userid)
    annual: list[object] = [""] * 10
    k = record.min_raters
    if figures is not None:
        shown, withheld = figures.shown, withheld_zh(k)
        annual = [
            figures.democratic if shown.democratic else withheld, figures.unit_result,
            figures.quarter_mean if shown.quarter_mean else withheld,
            figures.score if shown.composite else withheld,
            *((_place(figures.unit_rank, figures.unit_size), _place(figures.level_rank, figures.level_size))
              if shown.composite else ("", "")),
            figures.grade or ("优秀" if figures.excellent else ""), "是" if figures.promotion_eligible else "否",
            "是" if figures.commendation_eligible else "否", figures.action,
        ]
    return [
        person.unit.name, person.name, person.userid, person.position, ROLE_ZH[person.role],
        RANK_ZH[person.rank] if person.rank else NO_LEVEL,
        *[cell for q in QUARTERS for cell in _quarter_cells(quarters.get(q), k)],
        *annual,
    ]


def coverage_row(record: YearRecord, person: Person) -> list[object]:
    written = record.log_counts.get(person.userid, 0)
    deducted = sum(row.missing_log_days for row in record.quarters.get(person.userid, {}).values())
    owed = record.owed_days.get(person.userid, record.workdays)  # from their record's start
    share = f"{min(written, owed) / owed:.1%}" if owed else ""
    return [person.unit.name, person.name, person.userid, owed, written, share, deducted]


def _sheet_title(name: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = _SHEET_UNSAFE.sub("_", name)[:31] or "单位"
    title, n = base, 2
    while title in taken:
        suffix = f"~{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def _shown(text: str) -> int:
    """How wide a cell's text shows in Excel, in character widths: CJK counts double."""
    if text.isascii():  # most cells are numbers and places
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class _Widths:
    """The widest cell seen per column (header included), in Excel character widths."""

    def __init__(self, header: list[str]) -> None:
        self.widths = [_shown(h) for h in header]

    def add(self, row: Iterable[object]) -> None:
        for index, cell in enumerate(row):
            if cell is not None:
                self.widths[index] = max(self.widths[index], _shown(str(cell)))

    def apply(self, sheet: WriteOnlyWorksheet) -> None:
        """Before the first row: write-only sheets write their columns and panes with it."""
        for index, width in enumerate(self.widths, start=1):
            # Set by _setup() at runtime, as on Worksheet; the stubs declare it on Worksheet only.
            sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH) + 2  # type: ignore[attr-defined]
        sheet.freeze_panes = FROZEN


def level_place(record: YearRecord, person: Person) -> int | None:
    """The place a cadre's level sheet is ordered by, or None where there is none to show:
    the annual 职级排名 once the year is published, else the latest published quarter's."""
    if record.annual:
        figures = record.annual.get(person.userid)
        return figures.level_rank if figures is not None and figures.shown.composite else None
    if not record.published_quarters:
        return None
    cells = record.quarters.get(person.userid, {}).get(record.published_quarters[-1])
    if cells is None or cells.score is None or not shows(cells.raters, record.min_raters):
        return None
    return cells.rank_in_level


def _level_of(person: Person) -> str:
    return RANK_ZH[person.rank] if person.rank else NO_LEVEL


def write_workbook(
    record: YearRecord, path: Path | BinaryIO, exported: str, progress: Callable[[int], object] = lambda _: None
) -> None:
    """Write the workbook to `path` (a file or a buffer); `progress(n)` after every n cadres written."""
    book = Workbook(write_only=True)
    taken = {NO_LEVEL, ALL_UNITS, "日志记载", *RANK_ZH.values()}
    note = f"{record.year} 年度实绩档案（导出于 {exported}；季度已发布：{'、'.join(f'Q{q}' for q in record.published_quarters) or '无'}）"
    order = "按年度职级排名排列" if record.annual else "按最近一季职级排名排列" if record.published_quarters else "按单位排列"
    # One pass for the widths, shared by every results sheet so their columns line up.
    widths, coverage_widths = _Widths(HEADER), _Widths(COVERAGE)
    for person in record.people:
        widths.add(results_row(record, person))
        coverage_widths.add(coverage_row(record, person))

    def sheet(title: str, caption: str, header: list[str], fitted: _Widths) -> WriteOnlyWorksheet:
        made = book.create_sheet(title)
        fitted.apply(made)
        made.append([caption])
        made.append(header)
        return made

    titles = [*RANK_ZH.values()] + ([NO_LEVEL] if any(p.rank is None for p in record.people) else [])
    levels = {title: sheet(title, f"{title}考核结果（{order}） · {note}", HEADER, widths) for title in titles}
    coverage = sheet("日志记载", f"日志记载情况 · {note}", COVERAGE, coverage_widths)
    places = {p.userid: level_place(record, p) for p in record.people}
    # Stable: equal places, and the unplaced after them, keep the roster order.
    for person in sorted(record.people, key=lambda p: (places[p.userid] is None, places[p.userid] or 0)):
        levels[_level_of(person)].append(results_row(record, person))
    unit_sheet: WriteOnlyWorksheet | None = None
    unit_id: int | None = None
    if len({p.unit.id for p in record.people}) > MAX_UNIT_SHEETS:
        unit_sheet = sheet(ALL_UNITS, f"各单位考核结果（按单位排列） · {note}", HEADER, widths)
        unit_id = -1  # one sheet for every unit
    for person in record.people:  # in roster order: by unit, then as the roster lists them
        if unit_id != -1 and person.unit.id != unit_id:
            if unit_sheet is not None:
                unit_sheet.close()  # its rows are on disk; keep no file open per unit
            unit_id = person.unit.id
            unit_sheet = sheet(_sheet_title(person.unit.name, taken), f"{person.unit.name} · {note}", HEADER, widths)
        assert unit_sheet is not None
        unit_sheet.append(results_row(record, person))
        coverage.append(coverage_row(record, person))
        progress(1)
    book.save(path)

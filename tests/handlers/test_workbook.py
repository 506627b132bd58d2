"""The district workbook's sheets: a sheet per unit for a district, one shared sheet for a province."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from handlers.render.records import YearRecord
from handlers.render.workbook import ALL_UNITS, MAX_UNIT_SHEETS, write_workbook
from scoring.disclosure import withheld_zh
from scoring.types import Rank, Role, UnitCategory
from storage.directory import Person, UnitInfo
from storage.results_repo import QuarterCells


def record(units: int) -> YearRecord:
    people = [
        Person(f"u{n:04d}", f"干部{n}", UnitInfo(n, f"单位{n:04d}", UnitCategory.district_unit), Role.staff,
               Rank.general, "科员", True)
        for n in range(units)
    ]
    cells = {"u0001": {4: QuarterCells("88.50", "1.00", 1, 1, 3, units, 5, raters=4)}}
    return YearRecord(2026, people, cells, (4,), {}, {"u0001": 200}, {}, 250, min_raters=3)


def sheets(units: int) -> dict[str, list[tuple]]:
    buffer = io.BytesIO()
    write_workbook(record(units), buffer, "2027-01-18 10:00")  # type: ignore[arg-type]
    book = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    return {s.title: [tuple(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def test_a_district_gets_a_sheet_per_unit():
    found = sheets(3)
    assert list(found) == ["正科级", "副科级", "一般干部", "日志记载", "单位0000", "单位0001", "单位0002"]
    row = dict(zip(found["一般干部"][1], found["单位0001"][2], strict=True))
    assert row["第四季度得分"] == 88.5 and row["第四季度单位排名"] == "1/1" and row["第四季度职级排名"] == "3/3"
    assert found["日志记载"][3][3:] == (250, 200, "80.0%", 5)


def test_a_province_shares_one_units_sheet_ordered_by_unit():
    found = sheets(MAX_UNIT_SHEETS + 1)
    assert list(found) == ["正科级", "副科级", "一般干部", "日志记载", ALL_UNITS]
    assert [r[0] for r in found[ALL_UNITS][2:]] == [f"单位{n:04d}" for n in range(MAX_UNIT_SHEETS + 1)]


def test_a_level_sheet_reads_by_place_with_ties_together_and_the_withheld_last():
    """An office reads 一般干部 from first to last place, header frozen, columns wide enough;
    a score on two raters is withheld and its row waits after everyone placed."""
    people = [
        Person(userid, name, UnitInfo(n, unit, UnitCategory.district_unit), Role.staff, Rank.general, "科员", True)
        for n, (userid, name, unit) in enumerate([
            ("a1", "甲一", "区发展和改革局"), ("a2", "甲二", "区发展和改革局"), ("b1", "乙一", "城关镇"),
            ("b2", "乙二", "城关镇"), ("c1", "丙一", "团区委"),
        ])
    ]
    people.sort(key=lambda p: (p.unit.name, p.name))

    def cells(score: str, level_place: int, raters: int = 4) -> dict[int, QuarterCells]:
        return {4: QuarterCells(score, "0.00", 1, 2, level_place, 4, 0, raters=raters)}

    quarters = {"a1": cells("80.00", 4), "a2": cells("95.00", 1), "b1": cells("90.00", 2), "b2": cells("99.00", 1, raters=2),
                "c1": cells("90.00", 2)}
    buffer = io.BytesIO()
    write_workbook(YearRecord(2026, people, quarters, (4,), {}, {}, {}, 250, min_raters=3), buffer, "2027-01-18 10:00")  # type: ignore[arg-type]
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book["一般干部"]
    rows = [tuple(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    header = [c.value for c in sheet[2]]
    assert [(r[1], r[header.index("第四季度职级排名")]) for r in rows] == [
        ("甲二", "1/4"), ("丙一", "2/4"), ("乙一", "2/4"), ("甲一", "4/4"), ("乙二", None),
    ]  # equal places in roster order (unit, then name)
    assert rows[-1][header.index("第四季度得分")] == withheld_zh(3)
    for s in book.worksheets:
        assert s.freeze_panes == "C3", s.title
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[2]}
    assert widths["单位"] >= 2 * len("区发展和改革局") and widths["姓名"] >= 4
    assert widths["第四季度职级排名"] >= 2 * len("第四季度职级排名")

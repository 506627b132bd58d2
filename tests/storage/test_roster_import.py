"""Roster import: all-or-nothing, every bad row named, re-import updates by userid."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.db import create_engine, migrate, session_factory
from storage.models import Cadre, Oversight, RosterChange
from storage.repos import Store
from storage.roster_import import RosterError, apply_roster, parse_roster, read_table
from tests.conftest import SAMPLE_ROSTER

HEADER = "userid,name,unit,unit_category,role,rank,oversees"


def write(tmp_path: Path, *rows: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join((HEADER, *rows)), encoding="utf-8-sig")
    return path


def test_every_bad_row_is_reported_with_its_line_number(tmp_path: Path):
    path = write(
        tmp_path,
        "a1,张三,甲镇,township,staff,general,",
        "a2,李四,甲镇,township,boss,general,",          # bad role
        "a1,王五,甲镇,township,staff,general,",          # duplicate userid
        "a4,赵六,甲镇,village,staff,captain,",           # bad category and rank
    )
    with pytest.raises(RosterError) as caught:
        parse_roster(read_table(path))
    problems = caught.value.problems
    assert [p.split("：")[0] for p in problems] == ["第 3 行", "第 4 行", "第 5 行"]
    assert "role「boss」无效" in problems[0]
    assert "与第 2 行重复" in problems[1]
    assert "unit_category「village」无效" in problems[2] and "rank「captain」无效" in problems[2]


def test_missing_column_is_named(tmp_path: Path):
    path = tmp_path / "r.csv"
    path.write_text("userid,name,unit\nx,y,z", encoding="utf-8")
    with pytest.raises(RosterError, match="rank"):
        parse_roster(read_table(path))


def test_xlsx_reads_like_csv(tmp_path: Path):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["x1", "张三", "甲镇", "township", "main_leader", "zhengke", None])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    rows = parse_roster(read_table(path)).rows
    assert [(r.userid, r.name, r.role) for r in rows] == [("x1", "张三", "main_leader")]


async def test_reimport_updates_by_userid_and_replaces_oversight(db_url, clock, tmp_path: Path):
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            first = await apply_roster(session, parse_roster(read_table(SAMPLE_ROSTER)).rows, clock.now())
        assert (first.units_created, first.cadres_created) == (4, 25)
        changed = write(
            tmp_path,
            "chengguan_wuhao,吴昊,区发展和改革局,district_unit,leadership,fuke,",
            "qw_kongdeming,孔德明,区委,district_unit,superior,,团区委",
        )
        async with sessions() as session, session.begin():
            second = await apply_roster(session, parse_roster(read_table(changed)).rows, clock.now())
        assert (second.units_created, second.cadres_created, second.cadres_updated) == (0, 0, 2)
        async with sessions() as session:
            wu = await session.get(Cadre, "chengguan_wuhao")
            oversight = (await session.execute(select(Oversight))).scalars().all()
        assert wu is not None and (wu.role, wu.rank) == ("leadership", "fuke")
        assert len(oversight) == 1
        bad = write(tmp_path, "qw_kongdeming,孔德明,区委,district_unit,superior,,不存在的单位")
        with pytest.raises(RosterError, match="分管单位中的单位「不存在的单位」不在名册中"):
            async with sessions() as session, session.begin():
                await apply_roster(session, parse_roster(read_table(bad)).rows, clock.now())
        async with sessions() as session:
            assert len((await session.execute(select(Oversight))).scalars().all()) == 1
    finally:
        await engine.dispose()


def test_chinese_headers_and_common_variants(tmp_path: Path):
    path = tmp_path / "名册.csv"
    path.write_text(
        "企业微信账号,姓名,单位,单位类别,角色,职级,分管单位,职务,在职\n"
        "zhao,赵一,城关镇,乡镇,党政正职,正科,,党委书记,是\n"
        "qian,钱二,城关镇,乡镇（街道）,班子成员,副科级,,副镇长,\n"
        "sun,孙三,区财政局,区直单位,一般干部,一般干部,,,否\n"
        "li,李四,区委,区直部门,上级领导,,城关镇、区财政局,副书记,在职\n",
        encoding="utf-8",
    )
    rows = parse_roster(read_table(path)).rows
    assert [(r.unit_category, r.role, r.rank, r.active) for r in rows] == [
        ("township", "main_leader", "zhengke", True),
        ("township", "leadership", "fuke", True),
        ("district_unit", "staff", "general", False),
        ("district_unit", "superior", None, True),
    ]
    assert rows[3].oversees == ("城关镇", "区财政局")


async def test_each_change_is_a_dated_line_and_a_reimport_records_nothing(db_url, clock, tmp_path: Path):
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            await apply_roster(session, parse_roster(read_table(SAMPLE_ROSTER)).rows, clock.now())
        moved = write(tmp_path, "chengguan_wuhao,吴昊,区发展和改革局,district_unit,staff,general,", name="m.csv")
        promoted = write(tmp_path, "chengguan_wuhao,吴昊,区发展和改革局,district_unit,leadership,fuke,")
        for path, day in ((promoted, date(2026, 11, 1)), (moved, date(2026, 10, 15)), (promoted, None)):
            async with sessions() as session, session.begin():
                summary = await apply_roster(session, parse_roster(read_table(path)).rows, clock.now(), day)
        assert (summary.cadres_updated, summary.unchanged) == (0, 1)  # same line already holds today
        with pytest.raises(RosterError, match="晚于今天"):
            async with sessions() as session, session.begin():
                await apply_roster(session, parse_roster(read_table(moved)).rows, clock.now(), date(2026, 12, 1))
        async with sessions() as session:
            lines = await Store(session).roster.changes("chengguan_wuhao")
            wu = await session.get(Cadre, "chengguan_wuhao")
            total = len((await session.execute(select(RosterChange))).scalars().all())
        assert [(c.effective, c.role, c.rank) for c in lines] == [
            (date(1900, 1, 1), "staff", "general"),
            (date(2026, 10, 15), "staff", "general"),
            (date(2026, 11, 1), "leadership", "fuke"),
        ]
        assert wu is not None and (wu.role, wu.rank) == ("leadership", "fuke")  # the 10-15 line came later but is older
        assert total == 25 + 2
    finally:
        await engine.dispose()

"""Roster import: all-or-nothing, every bad row named, re-import updates by userid."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.db import create_engine, migrate, session_factory
from storage.models import Cadre, Oversight
from storage.roster_import import RosterError, apply_roster, parse_roster, read_table
from tests.conftest import SAMPLE_ROSTER

HEADER = "userid,name,unit,unit_category,role,rank,oversees"


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "roster.csv"
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
    rows = parse_roster(read_table(path))
    assert [(r.userid, r.name, r.role) for r in rows] == [("x1", "张三", "main_leader")]


async def test_reimport_updates_by_userid_and_replaces_oversight(db_url, clock, tmp_path: Path):
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            first = await apply_roster(session, parse_roster(read_table(SAMPLE_ROSTER)), clock.now())
        assert (first.units_created, first.cadres_created) == (4, 25)
        changed = write(
            tmp_path,
            "chengguan_wuhao,吴昊,区发展和改革局,district_unit,leadership,fuke,",
            "qw_kongdeming,孔德明,区委,district_unit,superior,,团区委",
        )
        async with sessions() as session, session.begin():
            second = await apply_roster(session, parse_roster(read_table(changed)), clock.now())
        assert (second.units_created, second.cadres_created, second.cadres_updated) == (0, 0, 2)
        async with sessions() as session:
            wu = await session.get(Cadre, "chengguan_wuhao")
            oversight = (await session.execute(select(Oversight))).scalars().all()
        assert wu is not None and (wu.role, wu.rank) == ("leadership", "fuke")
        assert len(oversight) == 1
        bad = write(tmp_path, "qw_kongdeming,孔德明,区委,district_unit,superior,,不存在的单位")
        with pytest.raises(RosterError, match="不存在的单位"):
            async with sessions() as session, session.begin():
                await apply_roster(session, parse_roster(read_table(bad)), clock.now())
        async with sessions() as session:
            assert len((await session.execute(select(Oversight))).scalars().all()) == 1
    finally:
        await engine.dispose()

"""`shiji roster …` as a 考核办 operator uses it: a Chinese form to fill in and re-import, a
whole file refused with every problem named, WeCom's address book compared and applied only on
--apply, and each person's changes with their dates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from bot.cli import roster as roster_commands
from bot.settings import Settings
from bot.testing.standin import StandinState
from storage.backup import sqlite_path
from storage.db import create_engine, session_factory
from storage.models import Cadre, RosterChange
from storage.roster_import import read_table
from tests.conftest import SAMPLE_ROSTER
from tests.harness import harness_settings, start_test_standin

HEADERS = ["账号*", "姓名*", "单位*", "单位类别*", "角色*", "职级", "分管单位", "职务", "在职", "人员类别"]


def settings_for(db_url: str, api_base: str = "http://127.0.0.1:9") -> Settings:
    return harness_settings(db_url, api_base, clock={"start": "2026-11-23T10:00:00+08:00"})


async def rows_of(db_url: str, model) -> list:  # type: ignore[no-untyped-def]
    """The rows stored; none where a refused first import left no SQLite database at all."""
    if (path := sqlite_path(db_url)) is not None and not path.exists():
        return []
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(model))).scalars().all())
    finally:
        await engine.dispose()


def fill(path: Path, rows: list[list[str]]) -> None:
    """What an operator does in the template: overwrite the example, add rows, save."""
    book = load_workbook(path)
    sheet = book["名册"]
    sheet.delete_rows(2)
    for row in rows:
        sheet.append(row)
    book.save(path)


FILLED = [
    ["zhaojh", "赵建华", "城关镇", "乡镇(街道)", "主要领导", "正科级", "", "党委书记", "是", "公务员"],
    ["liumin", "刘敏", "城关镇", "乡镇(街道)", "班子成员", "副科级", "", "镇长", "是"],
    ["wuhao", "吴昊", "城关镇", "乡镇(街道)", "一般干部", "一般干部", "", "", "是", "事业单位"],
    ["shenyu", "沈宇", "区发展和改革局", "区直单位", "主要领导", "正科级", "", "局长", "是"],
    ["qianyu", "钱宇", "区发展和改革局", "区直单位", "一般干部", "一般干部", "", "", "否"],
    ["kongdm", "孔德明", "区委", "区直单位", "上级领导", "", "城关镇；区发展和改革局", "区委副书记", "是"],
]


async def test_template_round_trips_through_import_and_export(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(db_url)
    form = tmp_path / "名册.xlsx"
    assert await roster_commands.roster_template(settings, form) == 0
    book = load_workbook(form)
    assert book.sheetnames == ["名册", "说明"]
    sheet = book["名册"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.cell(2, 1).value == "zhangsan"  # one example row
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists == {
        "D": '"乡镇(街道),区直单位,区直单位下属单位"',
        "E": '"主要领导,班子成员,一般干部,上级领导"',
        "F": '"正科级,副科级,一般干部"',
        "I": '"是,否"',
        "J": '"公务员,事业单位"',
    }
    guide = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "--effective" in guide and "可填的值" in guide

    fill(form, FILLED)
    assert await roster_commands.import_roster(settings, form) == 0
    assert "新增 6 人" in capsys.readouterr().out
    exported = tmp_path / "导出.xlsx"
    assert await roster_commands.roster_export(settings, exported) == 0
    back = load_workbook(exported)["名册"]
    assert [c.value for c in back[1]] == HEADERS
    got = [["" if c.value is None else c.value for c in row] for row in back.iter_rows(min_row=2)]
    # 人员类别 left blank exports blank (the [grades] default applies), as it was given.
    assert sorted(got) == sorted(row + [""] * (len(HEADERS) - len(row)) for row in FILLED)
    # The export imports back as it is: nothing changes, nothing is recorded twice.
    before = len(await rows_of(db_url, RosterChange))
    assert await roster_commands.import_roster(settings, exported) == 0
    assert "6 人无变化" in capsys.readouterr().out
    assert len(await rows_of(db_url, RosterChange)) == before


async def test_a_chinese_xlsx_with_every_kind_of_bad_cell_is_refused_whole(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(db_url)
    form = tmp_path / "名册.xlsx"
    await roster_commands.roster_template(settings, form)
    fill(form, [
        ["ok1", "好人", "城关镇", "乡镇", "一般干部", "一般干部", "", "", ""],  # fine: nothing of it is stored
        ["", "", "", "乡镇(街道)", "一般干部", "一般干部", "", "", ""],  # row 3: empty cells
        ["张 三", "张三", "城关镇", "乡镇(街道)", "一般干部", "一般干部", "", "", ""],  # row 4: not a userid
        ["ok1", "重复", "城关镇", "乡镇(街道)", "一般干部", "一般干部", "", "", ""],  # row 5: duplicate
        ["a5", "甲", "城关镇", "区直单位", "一般干部", "一般干部", "", "", ""],  # row 6: category differs
        ["a6", "乙", "新村", "村", "老板", "处级", "", "", "也许"],  # row 7: four bad codes
        ["a7", "丙", "新局", "区直单位", "一般干部", "", "", "", ""],  # row 8: rank missing
        ["a8", "丁", "新局", "区直单位", "一般干部", "一般干部", "城关镇", "", ""],  # row 9: oversees, not superior
        ["a9", "名" * 51, "新局", "区直单位", "一般干部", "一般干部", "", "", ""],  # row 10: too long
    ])
    assert await roster_commands.import_roster(settings, form) == 2
    err = capsys.readouterr().err
    assert "名册未导入（全部回退），共 8 处问题" in err
    expected = [
        "第 3 行：账号为空；姓名为空；单位为空",
        "第 4 行：账号「张 三」不是企业微信账号的格式",
        "第 5 行：账号 ok1 与第 2 行重复",
        "第 6 行：单位「城关镇」的单位类别与前面的行不一致",
        "第 7 行：单位类别「村」无效，可填：乡镇(街道)、区直单位、区直单位下属单位；"
        "角色「老板」无效，可填：主要领导、班子成员、一般干部、上级领导；"
        "职级「处级」无效，可填：正科级、副科级、一般干部；在职「也许」无效，可填：是、否",
        "第 8 行：职级为空，可填：正科级、副科级、一般干部",
        "第 9 行：只有角色为 上级领导 的行可以填写分管单位",
        "第 10 行：姓名超过 50 个字",
    ]
    for problem in expected:
        assert problem in err
    assert await rows_of(db_url, Cadre) == []

    unknown = tmp_path / "unknown.csv"
    unknown.write_text("账号,姓名,单位,单位类别,角色,职级,分管单位\nk1,孔,区委,区直单位,上级领导,,不存在的局\n", encoding="utf-8")
    assert await roster_commands.import_roster(settings, unknown) == 2
    assert "第 2 行：分管单位中的单位「不存在的局」不在名册中" in capsys.readouterr().err

    headless = tmp_path / "headless.csv"
    headless.write_text("姓名,单位\n张三,城关镇\n", encoding="utf-8")
    assert await roster_commands.import_roster(settings, headless) == 2
    assert "表头缺少列：账号（userid）、单位类别（unit_category）、角色（role）、职级（rank）" in capsys.readouterr().err


def test_command_line_refuses_an_unreadable_effective_date(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["import-roster", "x.csv", "--effective", "十月一日"])
    assert "看不懂日期「十月一日」，请写成 2026-10-01" in capsys.readouterr().err


async def test_history_lists_each_change_with_its_effective_day(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(db_url)
    assert await roster_commands.import_roster(settings, SAMPLE_ROSTER) == 0
    moved = tmp_path / "调动.csv"
    moved.write_text("账号,姓名,单位,单位类别,角色,职级,职务\n"
                     "chengguan_wuhao,吴昊,区发展和改革局,区直单位,一般干部,一般干部,综合科科员\n", encoding="utf-8")
    promoted = tmp_path / "晋升.csv"
    promoted.write_text("账号,姓名,单位,单位类别,角色,职级,职务\n"
                        "chengguan_wuhao,吴昊,区发展和改革局,区直单位,一般干部,副科级,综合科科长\n", encoding="utf-8")
    assert await roster_commands.import_roster(settings, moved, date(2026, 10, 15)) == 0
    assert "自 2026-10-15 起生效" in capsys.readouterr().out
    assert await roster_commands.import_roster(settings, promoted, date(2026, 11, 1)) == 0
    capsys.readouterr()
    assert await roster_commands.roster_history(settings, "chengguan_wuhao") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "吴昊（chengguan_wuhao）的名册记录："
    assert out[1].startswith("  建档时：单位 城关镇，角色 一般干部，职级 一般干部，职务 党政办科员")
    assert out[2].startswith("  2026-10-15 起：单位 城关镇 → 区发展和改革局；职务 党政办科员 → 综合科科员（导入 调动.csv")
    assert out[3].startswith("  2026-11-01 起：职级 一般干部 → 副科级；职务 综合科科员 → 综合科科长（导入 晋升.csv")
    assert await roster_commands.roster_history(settings, "nobody") == 2

    # A two-column change file (no 职务, 在职 or 分管单位) leaves those as they were.
    short = tmp_path / "短表.csv"
    short.write_text("账号,姓名,单位,单位类别,角色,职级\nchengguan_wuhao,吴昊,区发展和改革局,区直单位,班子,副科\n",
                     encoding="utf-8")
    assert await roster_commands.import_roster(settings, short, date(2026, 11, 20)) == 0
    capsys.readouterr()
    await roster_commands.roster_history(settings, "chengguan_wuhao")
    assert capsys.readouterr().out.splitlines()[4].startswith("  2026-11-20 起：角色 一般干部 → 班子成员（导入 短表.csv")


@pytest.fixture
async def wecom(db_url: str) -> AsyncIterator[tuple[Settings, StandinState]]:
    """The sample roster imported, and a WeCom stand-in whose address book is empty so far."""
    runner, api_base, standin = await start_test_standin()
    settings = settings_for(db_url, api_base)
    assert await roster_commands.import_roster(settings, SAMPLE_ROSTER) == 0
    try:
        yield settings, standin
    finally:
        await runner.cleanup()
    assert standin.unexpected == []


async def test_sync_reports_three_kinds_of_difference_and_applies_only_with_apply(db_url: str, wecom, capsys) -> None:  # type: ignore[no-untyped-def]
    settings, standin = wecom
    book = standin.address_book
    for rec in read_table(SAMPLE_ROSTER):
        if rec["userid"] not in ("fgj_helin", "tqw_zhangchen", "qw_kongdeming"):
            book.add_member(rec["userid"], rec["name"], rec["unit"], rec["position"])
    book.add_member("chengguan_xinren", "新人", "城关镇", "科员")  # joined in WeCom
    book.members["fgj_yangfan"]["name"] = "杨凡"  # renamed in WeCom
    book.add_member("zhangchen2", "张晨", "团区委")  # tqw_zhangchen under another account
    book.add_member("former", "停用者", "城关镇", status=2)  # disabled in WeCom: not "new"
    capsys.readouterr()

    before = len(await rows_of(db_url, RosterChange))
    assert await roster_commands.roster_sync(settings, apply=False) == 0
    out = capsys.readouterr().out
    assert "【企业微信有、名册没有】1 人" in out and "新人（chengguan_xinren）部门：城关镇 职务：科员" in out
    assert "【名册有、企业微信已没有】1 人" in out and "何琳（fgj_helin）区发展和改革局" in out
    assert "【姓名不一致】1 人" in out and "fgj_yangfan：名册「杨帆」→ 企业微信「杨凡」" in out
    assert "名册 张晨（tqw_zhangchen，团区委）↔ 企业微信 zhangchen2" in out
    assert "名册未改动" in out
    assert len(await rows_of(db_url, RosterChange)) == before

    assert await roster_commands.roster_sync(settings, apply=True) == 0
    assert "2 人变更" in capsys.readouterr().out
    people = {c.userid: c for c in await rows_of(db_url, Cadre)}
    assert not people["fgj_helin"].active and people["fgj_yangfan"].name == "杨凡"
    assert people["tqw_zhangchen"].active  # a proposal is left to the operator
    assert "chengguan_xinren" not in people  # role and rank come from the spreadsheet
    assert len(await rows_of(db_url, RosterChange)) == before + 2
    assert await roster_commands.roster_sync(settings, apply=True) == 0
    assert len(await rows_of(db_url, RosterChange)) == before + 2  # a second apply changes nothing

    # The app may see only some departments: people outside its range are not "gone".
    book.visible = {book.department("城关镇")}
    assert await roster_commands.roster_sync(settings, apply=False) == 0
    out = capsys.readouterr().out
    assert "【名册有、企业微信已没有】0 人" in out and "【未核对】" in out and "团区委" in out


async def test_sync_says_what_wecom_refused_and_changes_nothing(db_url: str, wecom, capsys) -> None:  # type: ignore[no-untyped-def]
    settings, standin = wecom
    standin.fail_next("department/list", 60011, errmsg="no privilege to access/modify contact/party/agent")
    assert await roster_commands.roster_sync(settings, apply=True) == 2
    err = capsys.readouterr().err
    assert "60011" in err and "可见范围" in err and "名册未改动" in err
    assert len(await rows_of(db_url, RosterChange)) == 25


async def test_files_an_office_really_has_are_read_or_refused_in_one_line(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Excel on Chinese Windows saves "CSV" as GBK; a CSV renamed to .xlsx, an old .xls, a
    missing file: each is read, or refused in one plain line that says what to do — never a
    traceback, and nothing stored."""
    settings = settings_for(db_url)
    gbk = tmp_path / "名册-gbk.csv"
    gbk.write_bytes(SAMPLE_ROSTER.read_text(encoding="utf-8").encode("gbk"))
    assert await roster_commands.import_roster(settings, gbk) == 0
    assert "新增" in capsys.readouterr().out
    imported = len(await rows_of(db_url, Cadre))
    assert imported > 10

    renamed = tmp_path / "名册.xlsx"
    renamed.write_bytes(gbk.read_bytes())
    old_excel = tmp_path / "名册.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    binary = tmp_path / "名册.csv"
    binary.write_bytes(b"PK\x03\x04" + bytes(64))
    for path, says in [
        (renamed, "不是有效的 Excel 工作簿（.xlsx）：如果它其实是 CSV，请把扩展名改为 .csv"),
        (old_excel, "不支持这种格式，请在 Excel 中「另存为」Excel 工作簿（.xlsx）或 CSV UTF-8"),
        (binary, "文件不是文本格式的 CSV"),
        (tmp_path / "没有这个文件.csv", "找不到文件"),
        (tmp_path, "是文件夹"),
    ]:
        assert await roster_commands.import_roster(settings, path) == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert len(await rows_of(db_url, Cadre)) == imported


async def test_every_problem_is_listed_at_once_oversight_of_unknown_units_too(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An operator fixes a file once: a superior overseeing a unit nobody has heard of is
    listed with the bad cells, not after they are fixed."""
    settings = settings_for(db_url)
    form = tmp_path / "名册.csv"
    form.write_text(
        "账号,姓名,单位,单位类别,角色,职级,分管单位\n"
        "zhao,赵一,城关镇,乡镇,主要领导,正科,\n"
        "qian,钱二,城关镇,乡镇,老板,副科,\n"  # row 3: bad role
        "kong,孔德明,区委,区直单位,上级领导,,城关镇、不存在的局；也没有的办\n",  # row 4: two unknown units
        encoding="utf-8",
    )
    assert await roster_commands.import_roster(settings, form) == 2
    err = capsys.readouterr().err
    assert "共 2 处问题" in err
    assert "第 3 行：角色「老板」无效" in err
    assert "第 4 行：分管单位中的单位「不存在的局」不在名册中；分管单位中的单位「也没有的办」不在名册中" in err
    assert await rows_of(db_url, Cadre) == []


async def test_the_templates_example_row_is_skipped_with_a_note(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An operator adds their people under the template's 张三 and imports: 张三 is not a cadre."""
    settings = settings_for(db_url)
    form = tmp_path / "名册.xlsx"
    assert await roster_commands.roster_template(settings, form) == 0
    assert await roster_commands.import_roster(settings, form) == 2  # saved as it came
    assert "文件中只有模板自带的示例行，没有要导入的人" in capsys.readouterr().err
    book = load_workbook(form)
    for row in FILLED:
        book["名册"].append(row)
    book.save(form)
    assert await roster_commands.import_roster(settings, form) == 0
    out = capsys.readouterr().out
    assert "6 行" in out and "新增 6 人" in out
    assert "说明：第 2 行是模板自带的示例（张三，城关镇），已跳过，未导入" in out
    assert "zhangsan" not in {c.userid for c in await rows_of(db_url, Cadre)}

    # A real 张三 who differs from the example in any cell is imported.
    real = tmp_path / "张三.csv"
    real.write_text("账号,姓名,单位,单位类别,角色,职级,分管单位,职务,在职\n"
                    "zhangsan,张三,城关镇,乡镇(街道),一般干部,一般干部,,党政办科员,是\n", encoding="utf-8")
    assert await roster_commands.import_roster(settings, real) == 0
    assert "新增 1 人" in capsys.readouterr().out
    assert "zhangsan" in {c.userid for c in await rows_of(db_url, Cadre)}


async def test_a_unit_without_a_main_leader_is_imported_with_a_warning(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(db_url)
    form = tmp_path / "名册.csv"
    form.write_text(
        "账号,姓名,单位,单位类别,角色,职级,分管单位,职务,在职\n"
        "zhao,赵一,城关镇,乡镇,主要领导,正科,,党委书记,是\n"
        "wu,吴二,城关镇,乡镇,一般干部,一般干部,,,是\n"
        "han,韩三,区发展和改革局,区直单位,班子成员,副科,,副局长,是\n"  # nobody leads this bureau
        "qin,秦四,区发展和改革局,区直单位,一般干部,一般干部,,,是\n"
        "kong,孔德明,区委,区直单位,上级领导,,城关镇,区委副书记,是\n",  # superiors only: not a unit at work
        encoding="utf-8",
    )
    assert await roster_commands.import_roster(settings, form) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("名册已导入")
    assert out[1:] == [
        "注意：单位「区发展和改革局」现在没有在职的主要领导：该单位的请假将转给管理员审批，季度评分无人主评；"
        "如有主要领导，请在名册中补上后再导入",
    ]
    # The main leader leaves (在职 否): the town is leaderless from today.
    gone = tmp_path / "离岗.csv"
    gone.write_text("账号,姓名,单位,单位类别,角色,职级,在职\nzhao,赵一,城关镇,乡镇,主要领导,正科,否\n", encoding="utf-8")
    assert await roster_commands.import_roster(settings, gone) == 0
    assert "注意：单位「城关镇」现在没有在职的主要领导" in capsys.readouterr().out


async def test_a_change_dated_before_a_later_change_is_imported_with_a_warning(db_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A promotion from 11-01 is imported, then a move dated 10-15: from 11-01 the promotion's
    line (still in the old unit) holds, which the operator must be told."""
    settings = settings_for(db_url)
    assert await roster_commands.import_roster(settings, SAMPLE_ROSTER) == 0
    promoted = tmp_path / "晋升.csv"
    promoted.write_text("账号,姓名,单位,单位类别,角色,职级,职务\n"
                        "chengguan_wuhao,吴昊,城关镇,乡镇(街道),一般干部,副科级,党政办主任\n", encoding="utf-8")
    moved = tmp_path / "调动.csv"
    moved.write_text("账号,姓名,单位,单位类别,角色,职级,职务\n"
                     "chengguan_wuhao,吴昊,区发展和改革局,区直单位,一般干部,一般干部,综合科科员\n", encoding="utf-8")
    assert await roster_commands.import_roster(settings, promoted, date(2026, 11, 1)) == 0
    assert "注意" not in capsys.readouterr().out
    assert await roster_commands.import_roster(settings, moved, date(2026, 10, 15)) == 0
    out = capsys.readouterr().out
    assert ("注意：第 2 行 吴昊（chengguan_wuhao）：已记为自 2026-10-15 起，但此人已有 2026-11-01 起的名册记录，"
            "从那天起仍按那条记录；请用 shiji roster history chengguan_wuhao 核对，必要时以 --effective 2026-11-01 "
            "再导入正确的信息") in out
    people = {c.userid: c for c in await rows_of(db_url, Cadre)}
    assert people["chengguan_wuhao"].rank == "fuke"  # today's line is still the later one


async def test_a_first_roster_that_is_refused_leaves_no_database_behind(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Rehearsal finding: a refused first import created the database file anyway; the next
    command then found an empty district there instead of saying there was none."""
    database = tmp_path / "data" / "shiji.db"
    settings = settings_for(f"sqlite+aiosqlite:///{database}")
    bad = tmp_path / "名册.csv"
    bad.write_text(SAMPLE_ROSTER.read_text(encoding="utf-8") + "张 三,张三,城关镇,乡镇(街道),一般干部,一般干部,,,\n",
                   encoding="utf-8")
    assert await roster_commands.import_roster(settings, bad) == 2
    assert "名册未导入" in capsys.readouterr().err
    assert not database.exists() and not database.parent.exists()
    # Fixed, the same file makes the database.
    bad.write_text(SAMPLE_ROSTER.read_text(encoding="utf-8"), encoding="utf-8")
    assert await roster_commands.import_roster(settings, bad) == 0
    assert database.is_file()

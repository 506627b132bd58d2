"""实绩档案: `shiji archive export` and 导出档案 in chat; every file produced is opened.

The quarter is published in chat as in test_results.py. Each PDF must be A4 with its font
embedded and show its cadre's own logs and results; the workbook must hold every figure.
No file, and no log line written meanwhile, may show a score beside a rater: the 主评 group
is one person here, so a 主评 mean anywhere would be that person's exact score.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.cli.archive import archive_awards, archive_export
from bot.cli.db import open_database
from bot.cli.ops import audit
from bot.settings import load_settings
from bot.testing.standin import media_for
from storage.models_year import AwardRecord
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_rating_round import ROSTER
from tests.e2e.test_results import LOGGED, MARKS, SCORE, SETTINGS, publish_q4
from tests.harness import ADMIN, running_bot

A4 = (595.2756, 841.8898)
# A one-person group's mean is that person's exact score: no 主评 mean may be printed anywhere.
LEAK = re.compile(r"主评\s*[:：]?\s*\d{2,3}\.\d\d")
NAMES = {u: row["name"] for u, row in ROSTER.items()}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 1), round(height, 1)) == (round(A4[0], 1), round(A4[1], 1))
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object().get("/DescendantFonts", [font])[0].get_object().get("/FontDescriptor")
            if descriptor is not None:
                assert "/FontFile2" in descriptor.get_object()  # the TrueType subset is in the file
    return "\n".join(page.extract_text() for page in reader.pages)


def workbook_rows(data: bytes | Path) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    rows = {sheet.title: [tuple(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    book.close()
    return rows


def assert_no_rater_in(text: str) -> None:
    assert not LEAK.search(text), LEAK.search(text)


async def test_archive_export_and_every_file_it_writes(db_url, clock, tmp_path: Path, caplog, capsys):
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await publish_q4(h)
    settings = load_settings(None, database={"url": db_url}, admin={"userids": [ADMIN]},
                             clock={"start": "2027-01-18T10:00:00+08:00"}, **SETTINGS)
    # 奖惩 from the office's records: a file with bad rows is refused whole, each row named.
    awards = tmp_path / "奖惩.csv"
    awards.write_text("账号,年份,类别,内容,日期\n"
                      "chengguan_wuhao,2026,奖励,被评为全区信访工作先进个人,2026-05-20\n"
                      "nobody,2026,嘉奖,某事,2026-13-01\n"
                      "chengguan_wuhao,2025,惩处,,2026-01-02\n", encoding="utf-8-sig")
    assert await archive_awards(settings, awards) == 2
    refused = capsys.readouterr().err
    assert "未导入（全部回退），共 2 处问题" in refused
    assert "第 3 行：账号「nobody」不在名册中；类别「嘉奖」无效，可填：奖励、惩处；日期「2026-13-01」无效" in refused
    assert "第 4 行：内容为空或超过 500 字；日期 2026-01-02 不在 2025 年内" in refused
    async with open_database(settings) as sessions, sessions() as session:
        assert (await session.execute(select(func.count()).select_from(AwardRecord))).scalar_one() == 0  # not row 2
    awards.write_text("账号,年份,类别,内容,日期\n"
                      "chengguan_wuhao,2026,奖励,被评为全区信访工作先进个人,2026-05-20\n"
                      "chengguan_wuhao,2026,惩处,因会议迟到被通报批评,\n", encoding="utf-8-sig")
    assert await archive_awards(settings, awards) == 0
    assert "已导入 2026 年奖惩记录 2 条" in capsys.readouterr().out
    assert await audit(settings, 30) == 0
    assert "archive.awards.import\t2026: 2 records" in capsys.readouterr().out
    out = tmp_path / "档案"
    with caplog.at_level(logging.DEBUG):
        assert await archive_export(settings, 2026, out) == 0
    assert "个人档案 24 份" in capsys.readouterr().out
    assert await archive_export(settings, 2031, tmp_path / "later") == 2  # a year not yet begun
    assert "没有 2031 年的档案" in capsys.readouterr().err and not (tmp_path / "later").exists()

    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == len(MARKS)
    assert (out / "2026-城关镇-吴昊-chengguan_wuhao.pdf") in pdfs
    for path in pdfs:
        userid = path.stem.rsplit("-", 1)[1]
        text = pdf_text(path.read_bytes())
        assert_no_rater_in(text)
        assert f"企业微信账号：{userid}" in text and SCORE[userid] in text
        # A filed form speaks of the cadre, not to them, and gives no chat commands.
        assert [w for w in ("您", "怎么算", "发送「") if w in text] == [], path.name
        others = [u for u in MARKS if u != userid and (u in text or NAMES[u] in text.replace(NAMES[userid], ""))]
        assert others == [], (path.name, others)  # a dossier names nobody else, rater or not
        if userid in LOGGED:
            assert "12月21日（周一） 上午召开专题会议研究年度重点工作推进" in text and "工作日志（1 篇）" in text
    wu = pdf_text((out / "2026-城关镇-吴昊-chengguan_wuhao.pdf").read_bytes())
    assert "在本单位 12 人中排第 5 名" in wu and "缺记日志 8 天" in wu and "2026 年度考核结果尚未发布" in wu
    assert f"季度得分：{SCORE['chengguan_wuhao']} 分" in wu and "得分构成：" in wu
    assert "平时考核：较好。" in wu  # 82.40: 80 ≤ score < 90
    assert "奖励：被评为全区信访工作先进个人（5月20日）\n惩处：因会议迟到被通报批评\n" in wu
    assert "奖励：" not in pdf_text((out / "2026-区发展和改革局-王强-fgj_wangqiang.pdf").read_bytes())

    (workbook,) = out.glob("*.xlsx")
    rows = workbook_rows(workbook)
    assert {"正科级", "副科级", "一般干部", "日志记载", "城关镇", "区发展和改革局", "团区委"} <= set(rows)
    header = rows["一般干部"][1]
    wu_row = next(r for r in rows["城关镇"][2:] if r[2] == "chengguan_wuhao")
    cells = dict(zip(header, wu_row, strict=True))
    assert cells["第四季度得分"] == pytest.approx(float(SCORE["chengguan_wuhao"]))
    assert cells["第四季度单位排名"] == "5/12" and cells["第四季度扣减"] == pytest.approx(3.6)
    assert cells["第四季度平时考核"] == "较好" and not cells["第三季度平时考核"]  # Q3 not published
    # 95 − 3.8 = 91.20: the only 好 of 城关镇's 12, well within its cap of 4 (40%).
    zhao = dict(zip(header, next(r for r in rows["城关镇"][2:] if r[2] == "chengguan_zhaojh"), strict=True))
    assert zhao["第四季度平时考核"] == "好"
    assert sum(len(r) - 2 for name, r in rows.items() if name in ("正科级", "副科级", "一般干部")) == len(MARKS)
    coverage = {r[2]: r for r in rows["日志记载"][2:]}
    assert coverage["chengguan_wuhao"][3:] == (9, 1, "11.1%", 8)
    for sheet in rows.values():
        assert_no_rater_in("\n".join(" ".join(str(c) for c in r if c is not None) for r in sheet))
    for record in caplog.records:
        assert_no_rater_in(record.getMessage())


async def test_the_admin_gets_files_in_chat(db_url, clock):
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await publish_q4(h)
        reply = await h.say(ADMIN, "导出档案 2026 吴昊")
        assert "吴昊（城关镇）的 2026 年度实绩档案（PDF）已生成" in reply
        assert "王强" in await h.say(ADMIN, "导出档案 2026 王强")  # two 王强: asks for the unit
        assert "导出档案 2026 王强@" in await h.say(ADMIN, "导出档案 2026 王强")
        assert "已生成" in await h.say(ADMIN, "导出档案 2026 王强@区发展和改革局")
        # The whole district's workbook is a job: started at once, sent when made.
        assert "导出档案 2026（全区工作簿）：已开始，完成后通知您" in await h.say(ADMIN, "导出档案 2026")
        assert "没有 2030 年的档案" in await h.say(ADMIN, "导出档案 2030")  # refused at once, no job
        assert "仅限考核办" in await h.say("chengguan_zhaojh", "导出档案 2026 吴昊")
        assert "请写上年份" in await h.say(ADMIN, "导出档案 吴昊")
        while await h.drain():
            pass
        assert any("全区 2026 年度实绩档案工作簿已生成" in t for t in h.standin.texts_for(ADMIN))
        files = media_for(h.standin, ADMIN)
        assert [f.filename for f in files] == [
            "2026-城关镇-吴昊-chengguan_wuhao.pdf", "2026-区发展和改革局-王强-fgj_wangqiang.pdf",
            "2026-实绩档案-全区.xlsx",
        ]
        assert all(f.type == "file" for f in files)
        assert "企业微信账号：chengguan_wuhao" in pdf_text(files[0].data)
        assert "企业微信账号：fgj_wangqiang" in pdf_text(files[1].data)
        rows = workbook_rows(files[2].data)
        assert any(r[2] == "chengguan_wuhao" for r in rows["城关镇"][2:])
        assert media_for(h.standin, "chengguan_zhaojh") == []
        assert h.standin.unexpected == []

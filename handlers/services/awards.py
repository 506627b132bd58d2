"""`shiji archive awards FILE`: the office's 奖惩 records for the archive's 奖惩 section.

Columns 账号/userid, 年份/year, 类别/kind (奖励 or 惩处), 内容/content, 日期/date (optional,
YYYY-MM-DD within the year). All-or-nothing with every bad row named; a re-import replaces
the years the file names, so a corrected file is simply imported again.
"""

from __future__ import annotations

from datetime import date

from handlers.base import Ctx, Refusal
from storage.models_year import AwardRecord
from storage.roster_import import ImportProblems, require_columns, with_english_headers

AWARD_HEADERS = {"账号": "userid", "企业微信账号": "userid", "年份": "year", "类别": "kind", "内容": "content",
                 "日期": "date"}
AWARD_COLUMNS = ("userid", "year", "kind", "content")
KINDS = ("奖励", "惩处")
MAX_CONTENT = 500


def _refuse(problems: list[str]) -> Refusal:
    return Refusal(f"未导入（全部回退），共 {len(problems)} 处问题：\n" + "\n".join(problems)
                   + "\n请改正后重新导入整个文件。")


def _row(ctx: Ctx, record: dict[str, str]) -> AwardRecord | list[str]:
    """One row as a record, or what is wrong with it."""
    bad: list[str] = []
    userid = record["userid"].strip()
    if ctx.directory.get(userid) is None:
        bad.append(f"账号「{userid}」不在名册中")
    year_text = record["year"].strip()
    year = int(year_text) if year_text.isdigit() else 0
    if not 2000 <= year <= ctx.today.year:
        bad.append(f"年份「{year_text}」无效，须为 2000 年到今年之间的四位数字")
    kind = record["kind"].strip()
    if kind not in KINDS:
        bad.append(f"类别「{kind}」无效，可填：{'、'.join(KINDS)}")
    content = record["content"].strip()
    if not content or len(content) > MAX_CONTENT:
        bad.append(f"内容为空或超过 {MAX_CONTENT} 字")
    day: date | None = None
    day_text = (record.get("date") or "").strip()
    if day_text:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            bad.append(f"日期「{day_text}」无效，请写成 2026-05-20 的格式或留空")
        else:
            if year and day.year != year:
                bad.append(f"日期 {day_text} 不在 {year} 年内")
    if bad:
        return bad
    return AwardRecord(year=year, userid=userid, kind=kind, content=content, day=day, imported_at=ctx.now)


async def import_awards(ctx: Ctx, records: list[dict[str, str]]) -> str:
    records = with_english_headers(records, AWARD_HEADERS)
    try:
        require_columns(records, AWARD_COLUMNS)
    except ImportProblems as exc:
        raise _refuse(exc.problems) from None
    rows: list[AwardRecord] = []
    problems: list[str] = []
    for line, record in enumerate(records, start=2):
        found = _row(ctx, record)
        if isinstance(found, list):
            problems.append(f"第 {line} 行：" + "；".join(found))
        else:
            rows.append(found)
    if problems:
        raise _refuse(problems)
    years = {row.year for row in rows}
    await ctx.store.year.replace_awards(years, rows)
    listed = "、".join(str(y) for y in sorted(years))
    await ctx.audit("archive.awards.import", f"{listed}: {len(rows)} records")
    return f"已导入 {listed} 年奖惩记录 {len(rows)} 条（替换此前导入的这些年份的记录），导出档案时列入「奖惩记录」。"

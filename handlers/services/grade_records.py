"""The 考核办's records on a cadre's annual 等次 (issue 24): a grade the rules leave to the
office — 基本称职/不称职 by decision with its reason, 不确定等次/不参加 for those the rules
leave out — and bars on 优秀 (处分, 诫勉 periods). Chat (`等次 2026 张三 基本称职 理由`,
`不评优 …`, `不定等次 …`) and `shiji year grade` both call `record`; publishing applies the
records (handlers/services/year_publish.py), so a published year changes only by a re-publish.
"""

from __future__ import annotations

import re
from datetime import date

from handlers.base import Ctx, Refusal
from handlers.services.year_publish import year_people
from handlers.services.year_ties import find_person
from scoring.grades import GRADE_ZH, AnnualGrade, StaffCategory
from storage.models_year import GradeRecord

# What the admin may type for each record, typos included (职 and 值 share a pronunciation).
GRADE_WORDS: dict[str, AnnualGrade] = {
    "基本称职": AnnualGrade.basically_competent, "基本合格": AnnualGrade.basically_competent,
    "基本称值": AnnualGrade.basically_competent, "基本胜任": AnnualGrade.basically_competent,
    "不称职": AnnualGrade.incompetent, "不合格": AnnualGrade.incompetent, "不称值": AnnualGrade.incompetent,
    "不胜任": AnnualGrade.incompetent,
    "不确定等次": AnnualGrade.undetermined, "不定等次": AnnualGrade.undetermined, "不确定": AnnualGrade.undetermined,
    "不参加": AnnualGrade.not_assessed, "不参加考核": AnnualGrade.not_assessed, "不参加年度考核": AnnualGrade.not_assessed,
}
# Grades that are never recorded: they follow from the score and the quota.
NOT_RECORDED = {"优秀": "优秀按得分和本单位名额确定", "称职": "称职（合格）是默认等次", "合格": "称职（合格）是默认等次",
                "称值": "称职（合格）是默认等次"}
BAR = "不评优"
_DATE = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?")
MAX_REASON = 200


def _dates(text: str) -> tuple[list[date], str]:
    """The dates written in `text` (2026-03-01, 2026.3.1, 2026年3月1日) and the text without them."""
    found = []
    for y, m, d in _DATE.findall(text):
        try:
            found.append(date(int(y), int(m), int(d)))
        except ValueError:
            raise Refusal(f"日期「{y}-{m}-{d}」不存在，请写成 2026-03-01 这样的日期。") from None
    rest = _DATE.sub(" ", text).replace("至", " ").replace("到", " ").replace("～", " ").replace("~", " ")
    return found, " ".join(rest.split())


def usage(year: int) -> str:
    return (f"请写成「等次 {year} 张三 基本称职 理由」（或 不称职、不确定等次、不参加），"
            f"「不评优 {year} 张三 诫勉影响期 2026-03-01 至 2027-02-28」，同名时写 张三@城关镇。")


async def record(ctx: Ctx, year: int, who: str, word: str, rest: str, by: str) -> str:
    """Record `word` (a grade word, or 不评优) for `who` in `year`, with the reason in `rest`."""
    people = await year_people(ctx, year)
    person = find_person(people, who)
    reason = " ".join(rest.split())
    if word in NOT_RECORDED:
        raise Refusal(f"未记录：{NOT_RECORDED[word]}，无需记录。如要撤销{person.label}已有的记录，发送「撤销等次记录 {year} {person.name}」。")
    if word != BAR and word not in GRADE_WORDS:
        raise Refusal(f"未记录：看不懂等次「{word}」。" + usage(year))
    dates, reason = _dates(reason) if word == BAR else ([], reason)
    if not reason:
        raise Refusal("未记录：请写明理由（将写入年度考核结果和考核办报告）。" + usage(year))
    if len(reason) > MAX_REASON:
        raise Refusal(f"未记录：理由最多 {MAX_REASON} 字，现在 {len(reason)} 字。")
    if len(dates) > 2 or (len(dates) == 2 and dates[0] > dates[1]):
        raise Refusal("未记录：影响期请写起止两个日期，起在前，如「2026-03-01 至 2027-02-28」。")
    category = StaffCategory(person.category or ctx.settings.grades.default_category)
    if word == BAR:
        row = GradeRecord(year=year, userid=person.userid, kind="bar", reason=reason,
                          period_from=dates[0] if dates else None, period_to=dates[1] if len(dates) > 1 else None,
                          recorded_by=by, recorded_at=ctx.now)
        what = f"不得评为优秀（{reason}" + (f"，{dates[0]} 至 {dates[1] if len(dates) > 1 else '…'}" if dates else "") + "）"
    else:
        grade = GRADE_WORDS[word]
        row = GradeRecord(year=year, userid=person.userid, kind="grade", grade=grade.value, reason=reason,
                          recorded_by=by, recorded_at=ctx.now)
        what = f"{GRADE_ZH[category][grade]}（{reason}）"
    await ctx.store.year.record_grade(row)
    await ctx.audit(f"year.grade.{row.kind}", f"{year} {person.userid} {row.grade or ''} {reason}".replace("  ", " "))
    published = await ctx.store.year.latest_version(year)
    then = (f"{year} 年度结果已发布（第 {published.version} 版），发送「发布年度结果 {year} 重新发布」后生效，本人会收到更正。"
            if published is not None else f"「发布年度结果 {year}」时按此确定。")
    return f"✅ 已记录 {year} 年度 {person.label}：{what}。{then}"


async def remove(ctx: Ctx, year: int, who: str) -> str:
    person = find_person(await year_people(ctx, year), who)
    if not await ctx.store.year.remove_grade_records(year, person.userid):
        raise Refusal(f"{person.label}在 {year} 年度没有等次记录，未作更改。")
    await ctx.audit("year.grade.remove", f"{year} {person.userid}")
    return f"✅ 已撤销 {person.label} {year} 年度的等次记录：按得分和名额确定等次；已发布的，「发布年度结果 {year} 重新发布」后生效。"


async def records_text(ctx: Ctx, year: int) -> str:
    records = await ctx.store.year.grade_records(year)
    if not records:
        return f"{year} 年度没有等次记录：全部按得分、平时考核和名额确定。" + usage(year)
    lines = [f"{year} 年度等次记录（{len(records)} 人）："]
    for userid, kinds in sorted(records.items()):
        person = ctx.directory.people.get(userid)
        label = person.label if person else userid
        category = StaffCategory((person.category if person else None) or ctx.settings.grades.default_category)
        for kind, row in sorted(kinds.items()):
            if kind == "bar":
                period = f"，{row.period_from or '…'} 至 {row.period_to or '…'}" if row.period_from or row.period_to else ""
                lines.append(f"· {label}：不得评为优秀（{row.reason}{period}）")
            elif row.grade:
                lines.append(f"· {label}：{GRADE_ZH[category][AnnualGrade(row.grade)]}（{row.reason}）")
    return "\n".join(lines)

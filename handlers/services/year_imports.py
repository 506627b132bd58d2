"""What the admin supplies for the year: unit results (R-YEAR-2), earlier years' history and
excused quarters. Imports are all-or-nothing and name every bad row, like the roster's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.base import Ctx, Refusal
from scoring.annual import QUARTERS
from scoring.names import text_key
from scoring.year_end import read_result
from storage.models_year import HistoryResult, QuarterExcuse
from storage.roster_import import ImportProblems, require_columns, with_english_headers
from storage.roster_table import BY_KEY

UNIT_COLUMNS = ("unit", "score")
# The Chinese headers an office writes (the roster's own 单位; 得分 as the seed names the result).
UNIT_HEADERS = {"单位": "unit", "单位名称": "unit", "得分": "score", "分数": "score", "综合考核得分": "score"}
HISTORY_COLUMNS = ("year", "userid", "annual_score", "unit_rank", "excellent", "last_in_unit")


def _refuse(problems: list[str]) -> Refusal:
    return Refusal(f"未导入（全部回退），共 {len(problems)} 处问题：\n" + "\n".join(problems))


def file_line(index: int) -> str:
    """A record of a file with a header row, as the operator finds it in the file."""
    return f"第 {index + 2} 行"


async def import_unit_results(
    ctx: Ctx, year: int, records: list[dict[str, str]], *, where: Callable[[int], str] = file_line
) -> str:
    """`unit,score` rows for `year`; a re-import replaces the year's results as a whole.
    `where(index)` names a record in a refusal: its line in a file, or what was typed in chat."""
    records = with_english_headers(records, UNIT_HEADERS)
    try:
        require_columns(records, UNIT_COLUMNS)
    except ImportProblems as exc:
        raise _refuse(exc.problems) from None
    problems: list[str] = []
    scores: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        name, raw = record["unit"], record["score"]
        bad: list[str] = []
        unit = ctx.directory.unit_named(name)
        if unit is None:
            bad.append(f"单位「{name}」不在名册中")
        if name in seen:
            bad.append(f"与{where(seen[name])}重复")
        value = read_result(raw)
        if isinstance(value, str):
            bad.append(f"得分 {value}")
        if bad:
            problems.append(f"{where(index)}：" + "；".join(bad))
            continue
        assert unit is not None
        seen[name] = index
        scores[unit.id] = str(value)
    if problems:
        known = ""
        if any(ctx.directory.unit_named(r["unit"]) is None for r in records):  # the names it knows
            known = "\n名册中的单位：" + "、".join(_units_with_cadres(ctx))
        raise Refusal(_refuse(problems).text + known)
    replaced = bool(await ctx.store.year.unit_results(year))
    await ctx.store.year.replace_unit_results(year, scores, ctx.now)
    await ctx.audit("year.unit_results.import", f"{year}: {len(scores)} units")
    return f"已导入 {year} 年单位年度综合考核结果 {len(scores)} 个单位" + (
        "（替换此前导入的该年结果）。" if replaced else "。"
    ) + await _missing_units_note(ctx, year)


async def missing_units(ctx: Ctx, year: int) -> list[str]:
    """Units with cadres that have no result imported for `year`, by name."""
    found = await ctx.store.year.unit_results(year)
    return sorted((unit.name for u, unit in ctx.directory.units.items()
                   if ctx.directory.members(u) and u not in found), key=text_key)


async def _missing_units_note(ctx: Ctx, year: int) -> str:
    missing = await missing_units(ctx, year)
    return f"\n尚缺 {len(missing)} 个单位：" + "、".join(missing) if missing else "\n所有单位均已导入。"


async def unit_results_text(ctx: Ctx, year: int) -> str:
    """单位结果 2026: what is imported and which units with cadres still miss one."""
    found = await ctx.store.year.unit_results(year)
    if not found:
        return (
            f"{year} 年尚未导入单位年度综合考核结果。请在对话中发送「{unit_results_example(ctx, year)}」"
            f"（换成各单位的实际得分，可一次写全部单位），或运行 shiji year import-unit-results {year} 文件（列 单位,得分 或 unit,score）。"
        )
    lines = [f"📋 {year} 年单位年度综合考核结果（{len(found)} 个单位）："]
    for unit_id, score in sorted(found.items(), key=lambda item: text_key(ctx.directory.units[item[0]].name)):
        lines.append(f"· {ctx.directory.units[unit_id].name}：{score}")
    return "\n".join(lines) + await _missing_units_note(ctx, year)


def _units_with_cadres(ctx: Ctx) -> list[str]:
    return sorted((unit.name for u, unit in ctx.directory.units.items() if ctx.directory.members(u)), key=text_key)


def unit_results_example(ctx: Ctx, year: int) -> str:
    """The chat command that imports the year's unit results, with this district's units."""
    names = _units_with_cadres(ctx)
    return f"单位结果 {year} " + " ".join(f"{name} {90 - i}" for i, name in enumerate(names[:3]))


def _flag(raw: str) -> bool | None:
    """是/否 as the roster reads it (yes/no, 1/0 too); an empty cell is no answer here."""
    return {"true": True, "false": False}.get(BY_KEY["active"].code(raw) or "") if raw.strip() else None


async def import_history(ctx: Ctx, records: list[dict[str, str]]) -> str:
    """Earlier years (before the district used shiji): all-or-nothing; the years in the file
    replace what was imported for them. A year published in shiji is its own history."""
    try:
        require_columns(records, HISTORY_COLUMNS)
    except ImportProblems as exc:
        raise _refuse(exc.problems) from None
    published = set(await ctx.store.year.published_years())
    problems: list[str] = []
    rows: list[HistoryResult] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in enumerate(records, start=2):
        bad: list[str] = []
        year_text, userid = record["year"], record["userid"]
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
        if year is None:
            bad.append(f"year「{year_text}」不是四位年份")
        elif year in published:
            bad.append(f"{year} 年已在系统中发布，不能再导入")
        elif year > ctx.today.year:
            bad.append(f"{year} 年尚未到来")
        if ctx.directory.people.get(userid) is None:
            bad.append(f"userid「{userid}」不在名册中")
        score = read_result(record["annual_score"])
        if isinstance(score, str):
            bad.append(f"annual_score {score}")
        rank = record["unit_rank"]
        if not (rank.isdigit() and int(rank) >= 1):
            bad.append(f"unit_rank「{rank}」须为正整数")
        excellent, last = _flag(record["excellent"]), _flag(record["last_in_unit"])
        if excellent is None:
            bad.append(f"excellent「{record['excellent']}」须为 是/否")
        if last is None:
            bad.append(f"last_in_unit「{record['last_in_unit']}」须为 是/否")
        if (year_text, userid) in seen:
            bad.append(f"与第 {seen[(year_text, userid)]} 行重复")
        if bad:
            problems.append(f"第 {line} 行：" + "；".join(bad))
            continue
        assert year is not None and excellent is not None and last is not None
        seen[(year_text, userid)] = line
        rows.append(HistoryResult(year=year, userid=userid, annual_score=str(score), unit_rank=int(rank),
                                  excellent=excellent, last_in_unit=last, imported_at=ctx.now))
    if problems:
        raise _refuse(problems)
    years = sorted({row.year for row in rows})
    replaced = sorted({row.year for row in await ctx.store.year.history()} & set(years))
    await ctx.store.year.replace_history(rows)
    await ctx.audit("year.history.import", f"{'、'.join(map(str, years))}: {len(rows)} rows")
    again = f"（替换此前导入的 {'、'.join(map(str, replaced))} 年）" if replaced else ""
    return f"已导入 {'、'.join(map(str, years))} 年的历史考核结果共 {len(rows)} 行{again}。"


async def excuse_quarter(ctx: Ctx, year: int, userid: str, quarter_text: str, reason: str, by: str,
                         now: datetime, *, confirm: bool = False) -> str:
    """Leave a quarter out of a cadre's annual mean ('*': everyone, a round that did not run);
    a published score it would drop is named and needs `confirm`."""
    quarter_word = quarter_text.strip().lower().removeprefix("q")
    if not quarter_word.isdigit() or int(quarter_word) not in QUARTERS:
        raise Refusal(f"看不懂季度「{quarter_text}」，请写 q1–q4。")
    if not reason.strip():
        raise Refusal("请写明免计的原因（例如：年中入职、长期病假）。")
    person = ctx.directory.people.get(userid)
    if userid != "*" and person is None:
        raise Refusal(f"userid「{userid}」不在名册中。")
    quarter = int(quarter_word)
    who = "全体干部" if person is None else f"{person.name}（{person.unit.name}）"
    quarter_zh = f"{year} 年第{'一二三四'[quarter - 1]}季度"
    if not confirm:
        scores = await ctx.store.year.quarter_scores(year)
        if person is not None and quarter in scores.get(userid, {}):
            raise Refusal(
                f"{who}{quarter_zh}已有得分 {scores[userid][quarter]} 分，免计将不再计入年度得分，未免计。"
                "确需免计，请加 --confirm 重新运行。"
            )
        scored = sum(1 for by_quarter in scores.values() if quarter in by_quarter)
        if person is None and scored:
            raise Refusal(
                f"{quarter_zh}已有 {scored} 人有得分，免计将不再计入他们的年度得分，未免计。确需免计，请加 --confirm 重新运行。"
            )
    await ctx.store.year.excuse(QuarterExcuse(
        year=year, userid=userid, quarter=quarter, reason=reason.strip()[:200], excused_by=by, excused_at=now,
    ))
    await ctx.audit("year.excuse", f"{userid} {year}Q{quarter}")
    return f"已免计 {who} {quarter_zh}：年度得分按其余季度的平均计算。原因：{reason.strip()}"

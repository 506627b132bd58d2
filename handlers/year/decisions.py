"""用实绩 in chat (R-USE-2..4): can X be promoted, the promotion, commendation and last-place
lists (one's own annual breakdown, 我的得分 2026, is with the results: handlers/results/mine.py). Scoped as the rating results are (`may_see_unit`):
a unit's main leader asks about their unit, a superior leader about the units they oversee,
the admin about anyone (the router admits only them: `Audience.leader`); a refusal never
tells whether the person exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from handlers.base import Ctx, Refusal
from handlers.dates import parse_year
from handlers.services.year_publish import earlier_years, row_shown
from scoring.disclosure import withheld_zh
from scoring.ranking import Ranking, rank_within_levels
from scoring.types import RANK_ZH, Rank, ScoredCadre
from scoring.use import promotion_eligibility
from scoring.visibility import Sight, may_see_unit
from storage.directory import Person, roster_order
from storage.models_year import AnnualResult

_LEVELS = {**{zh: level for level, zh in RANK_ZH.items()}, **{level.value: level for level in Rank}}


def _in_scope(ctx: Ctx, unit_id: int) -> bool:
    return may_see_unit(ctx.person, ctx.is_admin, unit_id, Sight.results)


def parse_level(text: str, command: str) -> Rank:
    level = _LEVELS.get(text.strip())
    if level is None:
        got = f"收到「{text.strip()}」，" if text.strip() else ""
        raise Refusal(f"{got}请写上职级：正科级、副科级或一般干部，例如「{command} 正科级」。")
    return level


async def _latest_year(ctx: Ctx) -> int:
    years = set(await ctx.store.year.published_years()) | {row.year for row in await ctx.store.year.history()}
    if not years:
        raise Refusal("还没有任何年度考核结果（未发布过年度结果，也未导入历史）。")
    return max(years)


async def _level_rankings(ctx: Ctx, year: int) -> dict[Rank, Ranking]:
    """District-wide rankings per level of `year`: as published, or, for a year from the
    imported history, by its annual scores within each cadre's current rank level."""
    published = await ctx.store.year.published(year)
    if published is not None:
        scored = [ScoredCadre(r.userid, str(r.unit_id), Rank(r.rank_level), Decimal(r.annual)) for r in published.rows]
    else:
        scored = [
            ScoredCadre(row.userid, "", Rank(person.rank), Decimal(row.annual_score))
            for row in await ctx.store.year.history()
            if row.year == year and (person := ctx.directory.people.get(row.userid)) is not None and person.rank
        ]
    return rank_within_levels(scored)


def _find(ctx: Ctx, words: list[str]) -> Person:
    """`张三`, `张三@城关镇` or `张三 城关镇` among the cadres the asker may ask about."""
    if not words:
        raise Refusal("请写上姓名，例如「能否提拔 张三」；同名时写「能否提拔 张三@城关镇」。")
    name, unit = words[0], " ".join(words[1:]) or None
    if unit is None and "@" in name:
        name, unit = name.split("@", 1)
    found = [
        p for p in ctx.directory.named(name)
        if not p.is_superior and _in_scope(ctx, p.unit.id) and (unit is None or p.unit.name == unit)
    ]
    if not found:
        raise Refusal(f"在您可查询的范围内没有「{' '.join(words)}」。")
    if len(found) > 1:
        units = "、".join(p.unit.name for p in found)
        raise Refusal(f"有 {len(found)} 位「{name}」（{units}），请写上单位，例如：能否提拔 {name}@{found[0].unit.name}")
    return found[0]


async def can_promote(ctx: Ctx, args: str) -> str:
    person = _find(ctx, args.split())
    year = await _latest_year(ctx)
    years = (await earlier_years(ctx, year + 1)).excellent_years(person.userid)
    place_shown = await _composite_shown(ctx, year, person.userid)
    decision = promotion_eligibility(person.userid, await _level_rankings(ctx, year), years, year, ctx.cfg, place_shown)
    verdict = "可以" if decision.eligible else "不可以"
    return f"{person.label}：{verdict}。{decision.reason_zh}。"


async def promotion_list(ctx: Ctx, args: str) -> str:
    level = parse_level(args, "提拔名单")
    year = await _latest_year(ctx)
    rankings = await _level_rankings(ctx, year)
    excellent = await earlier_years(ctx, year + 1)
    lines = []
    for person in sorted(ctx.directory.cadres(), key=roster_order):
        if person.rank != level.value or not _in_scope(ctx, person.unit.id):
            continue
        decision = promotion_eligibility(person.userid, rankings, excellent.excellent_years(person.userid), year, ctx.cfg)
        if decision.eligible:
            why = [f"{year}年度同职级前 1/2"] if decision.in_top_half else []
            if decision.excellent_years:
                why.append("近三年优秀：" + "、".join(map(str, decision.excellent_years)))
            lines.append(f"· {person.label}：{'；'.join(why)}")
    head = f"📋 符合提拔实绩条件的{RANK_ZH[level]}（依据 {year} 年度，{len(lines)} 人）"
    return "\n".join([head, *lines]) if lines else head + "：无"


async def commendation_list(ctx: Ctx, args: str) -> str:
    level = parse_level(args, "评先名单")
    years = await ctx.store.year.published_years()
    if not years:
        raise Refusal("还没有发布过年度考核结果。")
    published = await ctx.store.year.published(years[-1])
    assert published is not None
    rows = sorted(
        (r for r in published.rows
         if r.rank_level == level.value and r.commendation_eligible and _in_scope(ctx, r.unit_id)),
        key=lambda r: (r.level_rank, r.userid),
    )
    # A main leader or superior sees part of a district list: its numbers are district places.
    places = "" if ctx.is_admin else "，名次为全区同职级名次"
    head = f"📋 可推荐评先评优的{RANK_ZH[level]}（{published.year} 年度总分列全区同职级前 1/2，{len(rows)} 人{places}）"
    shown = await _shown_to(ctx, published.year, rows)
    k = ctx.cfg.min_group_size
    lines = [f"{r.level_rank}. {r.name}（{r.unit_name}）{r.annual} 分" if shown[r.userid]
             else f"· {r.name}（{r.unit_name}）{withheld_zh(k)}得分和名次" for r in rows]
    return "\n".join([head, *lines]) if lines else head + "：无"


async def last_place_list(ctx: Ctx, args: str) -> str:
    year = parse_year(args) if args.strip() else None
    if args.strip() and year is None:
        raise Refusal(f"看不懂年份「{args.strip()}」。请写成「末位名单 2026」。")
    if year is None:
        years = await ctx.store.year.published_years()
        if not years:
            raise Refusal("还没有发布过年度考核结果。")
        year = years[-1]
    published = await ctx.store.year.published(year)
    if published is None:
        raise Refusal(f"{year} 年度结果尚未发布。")
    rows = sorted(
        (r for r in published.rows if r.last_place_years and _in_scope(ctx, r.unit_id)),
        key=lambda r: (-r.last_place_years, r.unit_name, r.userid),
    )
    shown = await _shown_to(ctx, year, rows)
    lines = [
        f"· {r.action}：{r.name}（{r.unit_name}），"
        + (f"{year - r.last_place_years + 1}–{year} 年连续 {r.last_place_years} 年" if r.last_place_years > 1 else f"{year} 年")
        + "为本单位末位" + (f"（{r.unit_rank}/{r.unit_size}）" if shown[r.userid] else "")
        for r in rows
    ]
    head = f"📋 {year} 年度本单位末位名单（{len(lines)} 人）"
    return "\n".join([head, *lines]) if lines else head + "：无"


async def _shown_to(ctx: Ctx, year: int, rows: Sequence[AnnualResult]) -> dict[str, bool]:
    """Whose annual score (and place) the asker may see (scoring.disclosure): the admin as
    the cadre would, a leader as someone who may have rated them."""
    raters = await ctx.store.results.quarter_raters(year)
    k = ctx.settings.scoring.config.min_group_size
    return {
        r.userid: row_shown(r, raters.get(r.userid, {}), k, viewer_may_be_rater=not ctx.is_admin).composite
        for r in rows
    }


async def _composite_shown(ctx: Ctx, year: int, userid: str) -> bool:
    """Whether the asker may see `userid`'s annual place of `year`; a year known only from
    the imported history rests on no raters here and is shown."""
    published = await ctx.store.year.published(year, userid=userid)
    if published is None or not published.rows:
        return True
    return (await _shown_to(ctx, year, published.rows))[userid]

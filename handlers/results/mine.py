"""我的得分: a cadre's own published results — a quarter's score and how it was made, a
year's breakdown — or, for a main leader, their unit's ranking (as 排名 本单位 shows it)."""

from __future__ import annotations

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply
from handlers.dates import parse_year, quarter_label
from handlers.results.ranking import ranking
from handlers.router import Router
from handlers.services.rating import published_round, quarter_of, result_text
from handlers.services.year_publish import breakdown_text, row_shown
from handlers.text import fold

router = Router()


@router.command(
    "我的得分", "得分",
    usage="我的得分 / 我的得分 2026Q4 / 我的得分 2026 / 我的得分 本单位",
    summary="查看自己已发布的季度或年度得分和排名；主要领导可看本单位名单",
    audience=Audience.cadre, section="评分",
)
async def my_score(args: str, ctx: Ctx) -> Reply:
    year = parse_year(fold(args))
    if year is not None:
        return Reply(await my_annual(ctx, year))
    words = args.split()
    if words[:1] == ["本单位"]:
        return await ranking(args, ctx)  # the unit's ranking, as 排名 本单位 shows it
    person = ctx.require_cadre()
    rnd = await published_round(ctx, args)
    row = await ctx.store.rating.result(rnd.id, person.userid)
    label = quarter_label(quarter_of(rnd))
    if row is None:
        return Reply(f"{label}的结果中没有您的得分（发布时您不在名册中）。如有疑问请联系考核办。")
    return Reply(f"📊 {label}实绩考核结果\n" + result_text(ctx, row))


async def my_annual(ctx: Ctx, year: int) -> str:
    """我的得分 2026: one's own published year with its parts."""
    person = ctx.require_cadre()
    published = await ctx.store.year.published(year, userid=person.userid)
    if published is None:
        raise Refusal(f"{year} 年度考核结果尚未发布，发布后您会收到本人结果。")
    if not published.rows:
        return f"{year} 年度结果中没有您（发布时您不在名册中）。如有疑问请联系考核办。"
    row, k = published.rows[0], ctx.settings.scoring.config.min_group_size
    raters = (await ctx.store.results.quarter_raters(year, person.userid)).get(person.userid, {})
    return f"📊 {year}年度考核结果\n" + breakdown_text(row, row_shown(row, raters, k), k)

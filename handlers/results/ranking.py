"""排名 (R-CHAT-4, R-YEAR-4): published rankings in chat, scoped by `scoring.visibility`.

`排名` (the latest published period), `排名 2026Q4`, `排名 2026`, `排名 正科级`, `排名 城关镇`,
`排名 本单位`, in any order; `全部` lists a long ranking whole (in several messages) instead
of its top and bottom. Where a picture reads better, a chart follows as an image message.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.base import Ctx, Refusal, Reply
from handlers.render.charts import SPREAD_MIN, bar_chart, spread_chart
from handlers.results.standings import (
    Period,
    PeriodResults,
    Standing,
    latest_period,
    parse_period,
    period_results,
)
from handlers.router import Router
from handlers.services.media import queue_media
from handlers.text import fold
from scoring.disclosure import shown_ranking, withheld_zh
from scoring.names import name_key, text_key
from scoring.ranking import Extremes, Ranking, extremes
from scoring.types import RANK_ZH, Rank
from scoring.visibility import RankingView, may_see_entry, ranking_view
from storage.directory import UnitInfo

router = Router()

SECTION = "排名"
# One answer for a unit that does not exist and for one the asker may not see (R-LOG-4 style).
NOT_VISIBLE = (
    "无法查看这个排名：您可以查看本人的名次；单位主要领导可查看本单位排名，上级领导可查看所分管单位。"
    "发送「排名」查看您可以看到的排名。"
)
LEVELS: dict[str, Rank] = {
    **{zh: level for level, zh in RANK_ZH.items()},
    "正科": Rank.zhengke,
    "副科": Rank.fuke,
    "一般": Rank.general,
}
WHOLE_WORDS = frozenset({"全部", "完整", "全部名单"})
TOP, BOTTOM = 10, 5  # a long list shows its top and bottom; `全部` shows every line
SHORT = TOP + BOTTOM + 5
MAX_BARS = 60  # beyond this a bar chart is unreadable on a phone


@dataclass(frozen=True)
class _Query:
    period: Period | None
    level: Rank | None
    unit: UnitInfo | None
    whole: bool
    words: str  # the scope as typed, to repeat in hints


def _parse(args: str, ctx: Ctx) -> _Query:
    period = level = unit = None
    whole = False
    scope: list[str] = []
    for word in fold(args).split():
        if (found := parse_period(word)) is not None:
            period = found
        elif word in LEVELS:
            level = LEVELS[word]
            scope.append(word)
        elif word in WHOLE_WORDS:
            whole = True
        elif word == "本单位":
            unit = ctx.require_person().unit
            scope.append(word)
        elif (named := ctx.directory.unit_named(word)) is not None:
            # A unit the asker may see nothing of is answered as one that does not exist,
            # at once: a later check (nothing published yet) would tell the two apart.
            if ranking_view(ctx.person, ctx.is_admin, named.id) is RankingView.none:
                raise Refusal(NOT_VISIBLE)
            unit = named
            scope.append(word)
        elif ctx.is_admin:
            raise Refusal(f"看不懂「{word}」：请写单位全称、职级（正科级/副科级/一般干部）或期别（2026Q4、2026）。")
        else:
            raise Refusal(NOT_VISIBLE)
    if level is not None and unit is not None:
        raise Refusal("请只写单位或职级中的一个，例如「排名 城关镇」或「排名 正科级」。")
    return _Query(period, level, unit, whole, " ".join(scope))


@router.command(
    "排名", "排行",
    usage="排名 / 排名 2026Q4 / 排名 正科级 / 排名 城关镇 / 排名 2026",
    summary="查看已发布的排名：本人名次；主要领导看本单位，上级领导看分管单位，考核办看全区",
    section=SECTION,
)
async def ranking(args: str, ctx: Ctx) -> Reply:
    if ctx.person is None and not ctx.is_admin:
        raise Refusal(NOT_VISIBLE)
    query = _parse(args, ctx)
    period = query.period or await latest_period(ctx.store)
    if period is None:
        raise Refusal("还没有发布过考核结果。考核办发布季度或年度结果后即可查看排名。")
    results = await period_results(ctx.store, ctx.directory, period, _k(ctx))
    if query.unit is not None:
        return await _unit_answer(ctx, results, query.unit, query)
    if query.level is not None:
        return await _level_answer(ctx, results, query.level, query)
    if ctx.is_admin:
        return Reply(_district_overview(ctx, results))
    person = ctx.require_person()
    if person.is_superior:
        return Reply(_overseen_overview(ctx, results))
    mine = results.of(person.userid)
    if ranking_view(person, False, person.unit.id) is not RankingView.whole:
        if mine is None:
            raise Refusal(f"{results.period.label}的结果中没有您（发布时您不在名册中）。")
        return Reply(f"📊 {results.period.label}\n" + _own_text(ctx, results, mine, unit=True, level=True))
    own_unit = await _unit_answer(ctx, results, person.unit, query)  # a main leader: the unit's list
    if mine is None or mine.score is None or mine.level is None:
        return own_unit
    return Reply(f"{own_unit.text}\n" + _own_text(ctx, results, mine, unit=False, level=True))


# ---- one unit ------------------------------------------------------------------------------


async def _unit_answer(ctx: Ctx, results: PeriodResults, unit: UnitInfo, query: _Query) -> Reply:
    view = ranking_view(ctx.person, ctx.is_admin, unit.id)
    ranking = results.unit_ranking(unit.id)
    if view is RankingView.own:
        mine = results.of(ctx.userid)
        if mine is None or mine.unit_id != unit.id:
            raise Refusal(f"{results.period.label}的结果中没有您在{unit.name}的名次。")
        return Reply(f"📊 {results.period.label}\n" + _own_text(ctx, results, mine, unit=True, level=False))
    if view is not RankingView.whole:
        raise Refusal(NOT_VISIBLE)
    by_id = {s.userid: s for s in results.standings if s.unit_id == unit.id}
    if not by_id:
        raise Refusal(f"{results.period.label}的结果中没有{unit.name}的干部。")
    title = f"{unit.name} {results.period.label}排名"
    lines = _listing(ctx, ranking, by_id, query.whole, query.words or unit.name, with_unit=False)
    seen = _seen(ctx, ranking, by_id)
    if seen.entries and len(seen.entries) <= MAX_BARS:
        bars = [(f"{e.position}. {by_id[e.userid].name}", e.score) for e in seen.entries]
        mine_label = next((label for (label, _), e in zip(bars, seen.entries, strict=True) if e.userid == ctx.userid), None)
        await queue_media(ctx, "image", f"{results.period}-{unit.name}.png", bar_chart(f"{title}（{ranking.size} 人）", bars, mine_label))
        lines.append("（柱状图随后发送）")
    return Reply("\n".join([f"📊 {title}（{ranking.size} 人有得分）", *lines]))


# ---- one rank level ------------------------------------------------------------------------


async def _level_answer(ctx: Ctx, results: PeriodResults, level: Rank, query: _Query) -> Reply:
    view = ranking_view(ctx.person, ctx.is_admin, None)
    ranking = results.level_ranking(level)
    label = f"全区{RANK_ZH[level]}"
    if view is RankingView.own:
        mine = results.of(ctx.userid)
        if mine is None or mine.level != level:
            raise Refusal(f"您在{results.period.label}不属于{RANK_ZH[level]}，只能查看本人所在职级的名次。发送「排名」查看。")
        return Reply(f"📊 {results.period.label}\n" + _own_text(ctx, results, mine, unit=False, level=True))
    if view is RankingView.none:
        raise Refusal(NOT_VISIBLE)
    by_id = {s.userid: s for s in results.standings if s.level == level}
    title = f"{label} {results.period.label}排名"
    if view is RankingView.units:
        shown = {u: s for u, s in by_id.items() if may_see_entry(ctx.person, view, u, s.unit_id)}
        head = f"📊 {title}：全区 {ranking.size} 人有得分，以下为您分管单位的 {len(shown)} 人（名次为全区名次）"
        lines = _listing(ctx, ranking, shown, query.whole, query.words, with_unit=True)
        visible = list(_seen(ctx, ranking, shown).entries)
        if visible and len(visible) <= MAX_BARS:
            bars = [(f"{e.position}. {shown[e.userid].name}（{shown[e.userid].unit_name}）", e.score) for e in visible]
            await queue_media(ctx, "image", f"{results.period}-{level.value}.png", bar_chart(f"{title}（分管单位）", bars))
            lines.append("（柱状图随后发送）")
        return Reply("\n".join([head, *lines]))
    lines = _listing(ctx, ranking, by_id, query.whole, query.words, with_unit=True)
    seen = _seen(ctx, ranking, by_id)
    found = extremes(seen)
    heading = [f"📊 {title}（{ranking.size} 人有得分）"]
    if found is not None:
        heading.append(_extremes_text(found, by_id))
    if found is not None and seen.size >= SPREAD_MIN:
        mine = by_id.get(ctx.userid)
        chart = spread_chart(f"{title}得分分布（{seen.size} 人）", [e.score for e in seen.entries],
                             mine.score if mine and mine.userid in seen.positions else None)
        await queue_media(ctx, "image", f"{results.period}-{level.value}.png", chart)
        lines.append("（得分分布图随后发送，标出了四分位）")
    return Reply("\n".join([*heading, *lines]))


# ---- overviews -------------------------------------------------------------------------------


def _district_overview(ctx: Ctx, results: PeriodResults) -> str:
    """The seed's table: per rank level, how many, the highest and the lowest shown score."""
    lines = [f"📊 {results.period.label} 全区排名概况"]
    by_id = {s.userid: s for s in results.standings}
    for level in Rank:
        ranking = results.level_ranking(level)
        if not ranking.entries:
            continue
        found = extremes(_seen(ctx, ranking, by_id))
        lines.append(f"· {RANK_ZH[level]} {ranking.size} 人：{_extremes_text(found, by_id, with_unit=True)}"
                     + _hidden_note(ctx, ranking, found))
    if len(lines) == 1:
        lines.append("本期没有任何人有得分。")
    # The example is a unit of this district: a sample name would send an admin to a unit that
    # is not on their roster.
    example = min((u.name for u in ctx.directory.units.values()), default="单位名称")
    lines.append(f"发送「排名 正科级」看某职级（附分布图），「排名 {example}」看某单位（附柱状图）。")
    return "\n".join(lines)


def _overseen_overview(ctx: Ctx, results: PeriodResults) -> str:
    person = ctx.require_person()
    lines = [f"📊 {results.period.label} 分管单位排名概况"]
    for unit_id in sorted(person.oversees, key=lambda u: text_key(ctx.directory.units[u].name) if u in ctx.directory.units else ()):
        unit = ctx.directory.units.get(unit_id)
        ranking = results.unit_ranking(unit_id)
        if unit is None or not ranking.entries:
            continue
        by_id = {s.userid: s for s in results.standings if s.unit_id == unit_id}
        found = extremes(_seen(ctx, ranking, by_id))
        lines.append(f"· {unit.name} {ranking.size} 人：{_extremes_text(found, by_id)}" + _hidden_note(ctx, ranking, found))
    if len(lines) == 1:
        lines.append("您分管的单位本期没有人有得分。")
    lines.append("发送「排名 单位名」看一个单位的完整排名，「排名 正科级」看分管单位在全区同职级中的名次。")
    return "\n".join(lines)


# ---- wording -------------------------------------------------------------------------------


def _own_text(ctx: Ctx, results: PeriodResults, mine: Standing, *, unit: bool, level: bool) -> str:
    """「您的得分 82.40 分，在本单位 12 人中排第 5 名，在全区一般干部 13 人中排第 1 名。」
    A withheld score keeps its places: they count scores the cadre is not shown."""
    if mine.score is None:
        return "本期无人为您评分，没有得分和名次。"
    places = []
    if unit:
        ranking = results.unit_ranking(mine.unit_id)
        places.append(f"在本单位 {ranking.size} 人中排第 {ranking.position_of(mine.userid)} 名")
    if level and mine.level is not None:
        ranking = results.level_ranking(mine.level)
        places.append(f"在全区{RANK_ZH[mine.level]} {ranking.size} 人中排第 {ranking.position_of(mine.userid)} 名")
    if not mine.shown:
        return f"您的得分：{withheld_zh(_k(ctx))}；{'，'.join(places)}。"
    return f"您的得分 {mine.score} 分，{'，'.join(places)}。"


def _extremes_text(found: Extremes | None, by_id: dict[str, Standing], with_unit: bool = False) -> str:
    """「最高 95.20 分（赵建华），最低 70.10 分（蒋涛）」, ties named up to three."""
    if found is None:
        return "得分均不公布（评分人不足）"

    def names(userids: tuple[str, ...]) -> str:
        shown = [by_id[u].name + (f"，{by_id[u].unit_name}" if with_unit else "") for u in userids[:3]]
        return "、".join(shown) + (f"等 {len(userids)} 人" if len(userids) > 3 else "")

    return f"最高 {found.highest} 分（{names(found.highest_userids)}），最低 {found.lowest} 分（{names(found.lowest_userids)}）"


def _k(ctx: Ctx) -> int:
    return ctx.settings.scoring.config.min_group_size


def _seen(ctx: Ctx, ranking: Ranking, standings: dict[str, Standing]) -> Ranking:
    """The entries among `standings` whose scores the asker may see (scoring.disclosure)."""
    return shown_ranking(
        ranking, lambda u: u in standings and standings[u].shown_to(ctx.userid, ctx.is_admin)
    )


def _hidden_note(ctx: Ctx, ranking: Ranking, found: Extremes | None) -> str:
    hidden = ranking.size - (found.count if found else 0)
    return f"（评分人不足 {_k(ctx)} 人的得分不公布，未计入最高最低）" if hidden and found else ""


def _listing(
    ctx: Ctx, ranking: Ranking, shown: dict[str, Standing], whole: bool, scope: str, *, with_unit: bool
) -> list[str]:
    """The ranking's lines among `shown`, top and bottom only when long (and saying so).
    An entry whose score the asker may not see is named apart, without score or place."""
    asker = ctx.userid
    entries = list(_seen(ctx, ranking, shown).entries)
    # Named in a fixed order, never in rank order, and the shown entries then carry no numbers:
    # a gap in 1, 3, 4 or a name's place in the list would tell a withheld person's place.
    withheld = sorted((shown[e.userid].name for e in ranking.entries
                       if e.userid in shown and not shown[e.userid].shown_to(asker, ctx.is_admin)), key=name_key)

    def line(entry_userid: str, position: int, score: object) -> str:
        standing = shown[entry_userid]
        where = f"（{standing.unit_name}）" if with_unit else ""
        me = " ← 您" if entry_userid == asker else ""
        return f"{'·' if withheld else f'{position}.'} {standing.name}{where} {score}{me}"

    if whole or len(entries) <= SHORT:
        lines = [line(e.userid, e.position, e.score) for e in entries]
    else:
        skipped = len(entries) - TOP - BOTTOM
        lines = [line(e.userid, e.position, e.score) for e in entries[:TOP]]
        lines.append(f"……中间 {skipped} 人未列出，发送「排名 {scope} 全部」分条查看完整名单……")
        lines += [line(e.userid, e.position, e.score) for e in entries[-BOTTOM:]]
        middle = {e.userid for e in entries[TOP:-BOTTOM]}
        if asker in middle:
            mine = next(e for e in entries if e.userid == asker)
            lines.append(f"您：第 {mine.position} 名，{mine.score} 分")
    if withheld:
        lines.append(f"{withheld_zh(_k(ctx))}得分和名次：{'、'.join(withheld)}（因此本名单按得分排列，不列名次）")
    unranked = sorted((shown[u].name for u in ranking.unranked if u in shown), key=name_key)
    if unranked:
        lines.append(f"无人评分、未排名 {len(unranked)} 人：{'、'.join(unranked)}")
    return lines

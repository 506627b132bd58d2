"""`shiji round open|close|publish|status|void|versions` and `shiji raters import|groups`: rating rounds."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.cli.db import open_database, operator_table
from bot.cli.jobs import progress_bar
from bot.cli.ops import cli_ctx
from bot.settings import Settings
from handlers.base import Ctx, Refusal
from handlers.dates import parse_quarter, quarter_label
from handlers.services.extra_raters import (
    apply_extra_raters,
    check_extra_raters,
    check_role_groups,
)
from handlers.services.rating import (
    QUARTER,
    close_round,
    open_round,
    publish_round,
    quarter_of,
    republish_round,
    round_for,
    void_round,
)
from handlers.services.rounds import progress_text
from scoring.workdays import QuarterId
from storage.records import QuarterRound, RoundStatus
from storage.repos import Store
from storage.roster_import import ImportProblems


async def rating_unit_of_work(settings: Settings, work: Callable[[Ctx], Awaitable[str]]) -> int:
    """One transaction with what rating work needs; a Refusal rolls it back and exits 2."""
    async with open_database(settings) as sessions:
        async with sessions() as session:
            try:
                async with session.begin():
                    print(await work(await cli_ctx(settings, Store(session))))
            except Refusal as refusal:
                print(refusal.text, file=sys.stderr)
                return 2
    return 0


async def rating_round(
    settings: Settings, action: str, quarter: str, *, force: bool = False, republish: bool = False
) -> int:
    """`shiji round open|close|publish|status|void|versions [2026Q4]`: the same as the admin's
    chat commands (`publish --republish` is 「发布结果 2026Q4 重新发布」)."""

    async def work(ctx: Ctx) -> str:
        if action == "open":
            target = parse_quarter(quarter) if quarter else QuarterId.of(ctx.today).previous()
            if target is None:
                raise Refusal(f"看不懂季度「{quarter}」，请写成 2026Q4。")
            with progress_bar(f"开启{quarter_label(target)}评分") as bar:
                return await open_round(ctx, target, bar)
        if action == "void" and not quarter:  # never a default: voiding cannot be undone
            raise Refusal("请写明要作废的季度，例如 shiji round void 2026Q4。")
        statuses = {"close": (RoundStatus.open,), "publish": (RoundStatus.closed,),
                    "status": (RoundStatus.open, RoundStatus.closed, RoundStatus.published), "void": (),
                    "versions": (RoundStatus.published,)}
        republishing = action == "publish" and republish
        rnd = await round_for(ctx, quarter, default_status=(RoundStatus.published,) if republishing else statuses[action])
        if action == "void":
            return await void_round(ctx, rnd)
        if action == "close":
            return await close_round(ctx, rnd)
        if republishing:
            return await republish_round(ctx, rnd)
        if action == "publish":
            return await publish_round(ctx, rnd, force=force)
        if action == "versions":
            return await versions_text(ctx, rnd)
        return await progress_text(ctx, QUARTER, rnd)

    return await rating_unit_of_work(settings, work)


async def versions_text(ctx: Ctx, rnd: QuarterRound) -> str:
    """Every published version of a quarter (the audit of its re-publishes): who, when, what changed."""
    label = quarter_label(quarter_of(rnd))
    versions = await ctx.store.rating.publications(rnd.id)
    if not versions:
        raise Refusal(f"{label}结果尚未发布。")
    lines = [f"{label}结果共 {len(versions)} 版（读者看到的是第 {versions[-1].version} 版）："]
    for v in versions:
        moment = v.published_at.astimezone(ctx.now.tzinfo)
        lines.append(f"第 {v.version} 版：{moment:%Y-%m-%d %H:%M} 由 {v.published_by or '（未记录）'} 发布"
                     + (f"，与上一版相比：\n{v.changes}" if v.changes else ""))
    return "\n".join(lines)


async def raters_import(settings: Settings, action: str, path: Path) -> int:
    """`shiji raters import FILE` (unit,userid) / `shiji raters groups FILE` (group,userid)."""
    if (records := operator_table(path)) is None:
        return 2

    async def work(ctx: Ctx) -> str:
        try:
            if action == "groups":
                groups = check_role_groups(records, ctx.directory)
                await ctx.store.rating.replace_role_groups(groups)
                await ctx.audit("role_groups.import", f"{path.name}: {len(groups)} groups")
                return f"已导入 {len(groups)} 个组：" + "、".join(f"{k}（{len(v)} 人）" for k, v in groups.items())
            rows = check_extra_raters(records, ctx.directory, settings.rating.small_unit_below)
            added = await apply_extra_raters(ctx.store, rows, ctx.now)
            await ctx.audit("extra_raters.import", f"{path.name}: {len(rows)} rows, {added} new")
            return f"已导入 {len(rows)} 行参评人员（新增 {added} 人，已批准），从下一轮评分起生效。"
        except ImportProblems as exc:
            raise Refusal(f"未导入（全部回退），共 {len(exc.problems)} 处问题：\n" + "\n".join(exc.problems)) from None

    return await rating_unit_of_work(settings, work)

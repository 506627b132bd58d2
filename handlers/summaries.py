"""季度小结 and 年度总结 (R-LOG-2): written in a window around the period's end."""

from __future__ import annotations

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply, day_label
from handlers.router import Router
from scoring.summary_window import SummaryPeriod, window_state
from storage.records import RoundStatus

router = Router()

_NAMES = {"quarter": "季度小结", "year": "年度总结"}


def _title(period: SummaryPeriod) -> str:
    """2026年第4季度小结 / 2026年度总结."""
    return f"{period.label}{'小结' if period.kind == 'quarter' else '总结'}"


def _limits(ctx: Ctx, kind: str) -> tuple[int, int]:
    s = ctx.settings.summaries
    return (s.quarter_min_chars, s.quarter_max_chars) if kind == "quarter" else (s.year_min_chars, s.year_max_chars)


async def _published(ctx: Ctx, period: SummaryPeriod) -> bool:
    """Whether the result that counts `period`'s summaries has been published."""
    if period.kind == "quarter":
        rnd = await ctx.store.rating.round_by_quarter(period.key)
        return rnd is not None and rnd.status == RoundStatus.published
    return await ctx.store.year.latest_version(period.year) is not None


async def _write(kind: str, args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    name = _NAMES[kind]
    settings = ctx.settings.summaries
    state = window_state(
        ctx.calendar, kind, ctx.today,
        settings.open_before_end_working_days, settings.close_after_end_working_days,
    )
    rule = (
        f"（{name}可在{'每季度' if kind == 'quarter' else '每年'}最后 {settings.open_before_end_working_days} "
        f"个工作日至结束后第 {settings.close_after_end_working_days} 个工作日填写）"
    )
    if state.open is None:
        closed, upcoming = state.last_closed, state.next_open
        parts = []
        if closed is not None and closed.closes is not None:
            parts.append(f"{_title(closed.period)}已于 {day_label(closed.closes, ctx.today)}截止")
        if upcoming is not None:
            parts.append(f"{_title(upcoming.period)}将于 {day_label(upcoming.opens, ctx.today)}开放填写")
        raise Refusal("现在不在填写时间内：" + "；".join(parts) + f"。{rule}内容未保存。")
    window = state.open
    existing = await ctx.store.summaries.get(person.userid, kind, window.period.key)
    content = args.strip()
    if not content:
        if existing is not None:
            return Reply(f"您的{_title(window.period)}（{len(existing.content)} 字）：\n{existing.content}")
        raise Refusal(f"请在「{name}」后写上内容，例如「{name} 本{'季度' if kind == 'quarter' else '年'}主要完成了……」。")
    if await _published(ctx, window.period):
        # The result has counted this summary as missing or not: a later one would change nothing.
        result = f"{window.period.key} 结果" if kind == "quarter" else f"{window.period.year} 年度结果"
        raise Refusal(f"{result}已发布，{name}不再接收，内容未保存。如对扣分有异议，请联系考核办。")
    low, high = _limits(ctx, kind)
    if len(content) < low:
        raise Refusal(f"{name}太短了（{len(content)} 字），至少需要 {low} 字。请补充主要工作、成效和不足后重新发送，内容未保存。")
    if len(content) > high:
        raise Refusal(f"{name}太长了（{len(content)} 字），最多 {high} 字。请精简后重新发送，内容未保存。")
    replaced = await ctx.store.summaries.put(person.userid, kind, window.period.key, content, ctx.now)
    deadline = f"截止 {day_label(window.closes, ctx.today)}前可修改，" if window.closes else ""
    verb = "更新" if replaced else "保存"
    return Reply(
        f"✅ 已{verb}您的{_title(window.period)}，共 {len(content)} 字。"
        f"{deadline}重新发送「{name} 内容」即覆盖原稿。"
    )


@router.command(
    "季度小结", "季度总结",
    usage="季度小结 内容",
    summary="提交本季度小结（约 200 字，季度最后几个工作日至季度结束后填写）",
    audience=Audience.cadre,
)
async def quarter_summary(args: str, ctx: Ctx) -> Reply:
    return await _write("quarter", args, ctx)


@router.command(
    "年度总结", "年终总结",
    usage="年度总结 内容",
    summary="提交年度总结（约 500 字，年底最后几个工作日至次年初填写）",
    audience=Audience.cadre,
)
async def year_summary(args: str, ctx: Ctx) -> Reply:
    return await _write("year", args, ctx)

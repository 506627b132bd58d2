"""请假 / 出差 (R-LOG-7): register leave days; the unit's main leader (or an admin) decides
on a card; approved days are neither missing nor remindable (scoring/logs.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Refusal, Reply, day_label
from handlers.cards import new_task_id, task_parts, update_sent_card
from handlers.dates import DATE_TOKEN, DateError, parse_day
from handlers.router import Router
from handlers.text import fold
from scoring.leave import LeaveRefusal, leave_approvers, leave_refusal, may_decide_leave
from scoring.numbers import whole_number
from storage.directory import Person
from storage.models import Leave

router = Router()
LEAVE_PREFIX = "leave-"

_RANGE_SEP = re.compile(r"^\s*(至|到|~|～|—|－|-)\s*")
# 到 also starts a reason (「出差 11-27 到市里参加培训」); the others only join a range.
_ALSO_REASON = "到"
_BARE_DAY = re.compile(r"^(\d{1,2})[日号]")
_STATUS = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}
_DECISIONS = {"approve": "approved", "reject": "rejected"}


def _span(leave: Leave) -> str:
    if leave.start == leave.end:
        return f"{leave.start.month}月{leave.start.day}日"
    return f"{leave.start.month}月{leave.start.day}日至{leave.end.month}月{leave.end.day}日"


def _parse(args: str, today: date) -> tuple[date, date, str]:
    folded = fold(args).strip()
    original = args.strip()
    first = DATE_TOKEN.match(folded)
    if not first:
        raise DateError("缺少日期")
    start = parse_day(first[1], today)
    rest_at = first.end()
    end = start
    sep = _RANGE_SEP.match(folded[rest_at:])
    if sep:
        tail = folded[rest_at + sep.end():]
        if second := DATE_TOKEN.match(tail):
            end = parse_day(second[1], today)
            rest_at += sep.end() + second.end()
        elif bare := _BARE_DAY.match(tail):  # 11月24日至26日: the end in the same month
            try:
                end = start.replace(day=int(bare[1]))
            except ValueError:
                raise DateError("结束日期无效") from None
            rest_at += sep.end() + bare.end()
        elif sep[1] != _ALSO_REASON:
            raise DateError("看不懂结束日期")
    return start, end, original[rest_at:].strip()


def _card(
    task_id: str, leave: Leave, requester_label: str, working_days: int, decided: str | None = None
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "实绩考核助手"},
        "main_title": {"title": f"{leave.kind}审批", "desc": requester_label},
        "horizontal_content_list": [
            {"keyname": "类型", "value": leave.kind},
            {"keyname": "日期", "value": f"{_span(leave)}（{working_days} 个工作日）"},
            {"keyname": "事由", "value": (leave.reason or "未填写")[:30]},
        ],
        "task_id": task_id,
        "button_list": [
            {"text": "批准", "style": 1, "key": "approve"},
            {"text": "驳回", "style": 2, "key": "reject"},
        ],
    }
    if decided is not None:
        # Shown in place of the buttons, greyed out: the card can no longer be answered.
        card["replace_text"] = decided
    return card


def _decided_text(ctx: Ctx, leave: Leave) -> str:
    who = ctx.directory.get(leave.decided_by or "")
    name = who.name if who is not None else "考核办"
    return f"已由{name}{'批准' if leave.status == 'approved' else '驳回'}"


async def _register(kind: str, args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    if not args.strip():
        return await _my_leave(ctx, person)
    usage = f"例如「{kind} 11-24 至 11-26 {'年假' if kind == '请假' else '赴市里参加培训'}」，一天可写「{kind} 11-24 事由」。"
    try:
        start, end, reason = _parse(args, ctx.today)
    except DateError:
        raise Refusal(f"请在「{kind}」后写上日期和事由，{usage}") from None
    limits, window = ctx.settings.leave, ctx.settings.logs.backfill_working_days
    refusal = leave_refusal(
        ctx.calendar, ctx.today, start, end,
        max_days=limits.max_days, max_days_ahead=limits.max_days_ahead, window=window,
    )
    if refusal is LeaveRefusal.ends_before_start:
        raise Refusal(f"结束日期 {day_label(end, ctx.today)}早于开始日期 {day_label(start, ctx.today)}，请检查后重新发送。")
    if refusal is LeaveRefusal.too_long:
        raise Refusal(f"一次最多登记 {limits.max_days} 天，请分段登记或联系考核办。")
    if refusal is LeaveRefusal.too_far_ahead:
        raise Refusal(f"最多可提前 {limits.max_days_ahead} 天登记，请临近时再登记。")
    if refusal is LeaveRefusal.too_late:
        earliest = ctx.calendar.earliest_backfillable(ctx.today, window)
        raise Refusal(
            f"{day_label(start, ctx.today)}已过补记期限，不能再补登记{kind}；"
            f"最早可登记 {day_label(earliest, ctx.today)}起的日期。如确有特殊情况请联系考核办。"
        )
    if refusal is LeaveRefusal.no_working_day:
        raise Refusal("这几天都不是工作日，无需登记。")
    working = list(ctx.calendar.working_days(start, end))
    clash = await ctx.store.leave.overlapping(person.userid, start, end)
    if clash:
        other = clash[0]
        raise Refusal(
            f"与您已登记的{other.kind}（{_span(other)}，{_STATUS[other.status]}）有重叠的日期，"
            "请调整日期后重新登记。"
        )
    leave = await ctx.store.leave.create(person.userid, start, end, kind, reason[:200], ctx.now)
    deciders = leave_approvers(person, ctx.directory.members(person.unit.id), ctx.settings.admin.userids)
    span = f"{_span(leave)}（{len(working)} 个工作日）"
    if not deciders:
        return Reply(f"已登记{kind} {span}，但系统中没有可审批的领导，请联系考核办处理。")
    await ctx.store.outbox.enqueue(
        f"leave-card:{leave.id}", deciders, "template_card",
        {"card": _card(new_task_id(LEAVE_PREFIX, leave.id), leave, person.label, len(working))}, ctx.now,
    )
    names = "、".join(p.name if (p := ctx.directory.get(u)) else "考核办" for u in deciders)
    return Reply(
        f"✅ 已提交{kind}申请：{span}。已发给{names}审批，批准后这几天不计缺记，也不会收到提醒。"
        f"审批前请照常记载日志。"
    )


async def _my_leave(ctx: Ctx, person: Person) -> Reply:
    rows = await ctx.store.leave.of_user(person.userid, ctx.today - timedelta(days=31))
    if not rows:
        return Reply("您近期没有请假或出差记录。登记方法：「请假 11-24 至 11-26 年假」或「出差 11-24 事由」。")
    lines = ["您近期的请假/出差："]
    lines += [f"· {_span(r)} {r.kind}（{r.reason or '未填事由'}）：{_STATUS[r.status]}" for r in rows]
    return Reply("\n".join(lines))


@router.command(
    "请假", usage="请假 11-24 至 11-26 事由",
    summary="登记请假，单位主要领导批准后这几天不计缺记、不提醒；只发「请假」查看记录",
    audience=Audience.cadre,
)
async def leave(args: str, ctx: Ctx) -> Reply:
    return await _register("请假", args, ctx)


@router.command("出差", usage="出差 11-24 至 11-26 事由", summary="登记出差，审批与请假相同", audience=Audience.cadre)
async def business_trip(args: str, ctx: Ctx) -> Reply:
    return await _register("出差", args, ctx)


async def _decide(ctx: Ctx, leave_id: int, decision: str) -> tuple[Leave, str, bool]:
    """Record a decision; returns (leave, text, changed). Refuses anyone not entitled."""
    leave = await ctx.store.leave.get(leave_id)
    requester = ctx.directory.get(leave.userid) if leave is not None else None
    if leave is None or not may_decide_leave(ctx.person, ctx.is_admin, requester):
        # The same answer whether or not the request exists: nothing about others leaks.
        raise Refusal("只有申请人所在单位的主要领导或考核办可以审批这条申请，未作任何更改。")
    label = requester.label if requester is not None else leave.userid
    if leave.status != "pending":
        text = f"{label}的{leave.kind}（{_span(leave)}）{_decided_text(ctx, leave)}，无需重复处理。"
        return leave, text, False
    if not await ctx.store.leave.decide(leave_id, decision, ctx.userid, ctx.now):
        raise Refusal("这条申请刚刚已被处理，请稍后再看。")  # a concurrent decision won
    await ctx.store.session.refresh(leave)
    verdict = "批准" if decision == "approved" else "驳回"
    after = "这几天不计缺记，也不会收到提醒。" if decision == "approved" else "这几天仍需照常记载（或按期补记）日志。"
    await ctx.store.outbox.enqueue(
        f"leave-decided:{leave.id}", [leave.userid], "text",
        {"content": f"您的{leave.kind}申请（{_span(leave)}）已被{verdict}。{after}"}, ctx.now,
    )
    return leave, f"已{verdict}{label}的{leave.kind}（{_span(leave)}）。", True


def _working_count(ctx: Ctx, leave: Leave) -> int:
    return len(list(ctx.calendar.working_days(leave.start, leave.end)))


@router.card(LEAVE_PREFIX)
async def leave_card(answer: CardAnswer, ctx: Ctx) -> Reply:
    parts = task_parts(answer.task_id, LEAVE_PREFIX, 1)
    leave_id = whole_number(parts[0]) if parts is not None else None
    if leave_id is None:
        raise Refusal("这张卡片无法识别，未作任何更改。")
    decision = _DECISIONS.get(answer.event_key)
    if decision is None:
        raise Refusal("无法识别的按钮，未作任何更改。请点「批准」或「驳回」。")
    leave, text, _changed = await _decide(ctx, leave_id, decision)
    requester = ctx.directory.get(leave.userid)
    label = requester.label if requester is not None else leave.userid
    card = _card(answer.task_id, leave, label, _working_count(ctx, leave), decided=_decided_text(ctx, leave))
    return Reply(text, card_update=card)


async def _decide_by_text(args: str, ctx: Ctx, decision: str) -> Reply:
    number = whole_number(fold(args).strip().lstrip("#"))
    if number is None:
        raise Refusal("请写上申请编号，例如「批准请假 12」。发送「待批请假」查看编号。")
    leave, text, changed = await _decide(ctx, number, decision)
    if changed:
        await _update_sent_card(ctx, leave)
    return Reply(text)


async def _update_sent_card(ctx: Ctx, leave: Leave) -> None:
    """Decided in chat: grey out the buttons of the card the leader still holds."""
    requester = ctx.directory.get(leave.userid)
    label = requester.label if requester is not None else leave.userid
    await update_sent_card(
        ctx, f"leave-card:{leave.id}", f"leave-card-update:{leave.id}",
        lambda task_id: _card(task_id, leave, label, _working_count(ctx, leave), decided=_decided_text(ctx, leave)),
    )


@router.command(
    "批准请假", usage="批准请假 编号", summary="批准一条本单位干部的请假/出差申请（主要领导本人的由考核办审批）",
    audience=Audience.approver, section="审批",
)
async def approve_text(args: str, ctx: Ctx) -> Reply:
    return await _decide_by_text(args, ctx, "approved")


@router.command(
    "驳回请假", usage="驳回请假 编号", summary="驳回一条请假/出差申请", audience=Audience.approver, section="审批",
)
async def reject_text(args: str, ctx: Ctx) -> Reply:
    return await _decide_by_text(args, ctx, "rejected")


@router.command(
    "待批请假", "请假审批", usage="待批请假", summary="列出等您审批的请假/出差申请",
    audience=Audience.approver, section="审批",
)
async def pending_list(args: str, ctx: Ctx) -> Reply:
    rows = []
    for leave in await ctx.store.leave.pending():
        requester = ctx.directory.get(leave.userid)
        if may_decide_leave(ctx.person, ctx.is_admin, requester):
            rows.append((leave, requester))
    if not rows:
        return Reply("目前没有等您审批的请假/出差申请。")
    lines = [f"等您审批的申请（{len(rows)} 条）："]
    lines += [
        f"· 编号 {leave.id}：{r.label if r else leave.userid} {leave.kind} {_span(leave)}（{leave.reason or '未填事由'}）"
        for leave, r in rows
    ]
    lines.append("回复「批准请假 编号」或「驳回请假 编号」。")
    return Reply("\n".join(lines))

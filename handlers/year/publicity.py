"""The year's 公示, written notice, 复核 and 申诉 in chat (issue 24 items 5, 6, 7): the admin starts the 公示
and decides objections; anyone raises an objection; each cadre answers the final result's
card (确认 / 有异议) and states their own opinion; may request 复核 and record a 申诉. The work
is handlers/services/year_notice.py, year_result_notice.py and year_review.py."""

from __future__ import annotations

import re

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Refusal, Reply
from handlers.render.notice_cards import NOTICE_PREFIX
from handlers.router import Router
from handlers.services.year_notice import (
    decide_objection,
    objections_text,
    publicity_status,
    raise_objection,
    start_publicity,
)
from handlers.services.year_result_notice import answer_card, confirm_by_text, record_opinion
from handlers.services.year_review import (
    appeal,
    decide_review,
    enter_appeal_outcome,
    request_review,
    reviews_text,
)
from handlers.text import fold

router = Router()

SECTION = "年度"
# 「成立」 and its plain variants; 不成立 is checked first (it contains 成立).
_DISMISS = ("不成立", "驳回", "不予采纳", "不采纳")
_UPHOLD = ("成立", "属实", "采纳")


def _year(ctx: Ctx, text: str) -> int:
    word = text.strip().removesuffix("年度").removesuffix("年")
    if not word:
        return ctx.today.year - 1
    if not (word.isdigit() and len(word) == 4):
        raise Refusal(f"看不懂年份「{text.strip()}」。请写成 2026 这样的四位年份。")
    return int(word)


@router.command("公示", "开始公示", usage="公示 2026",
                summary="在各单位公示年度拟评优秀人员（工作日计算公示期），再发一次查看公示进展",
                audience=Audience.admin, section=SECTION)
async def start(args: str, ctx: Ctx) -> Reply:
    return Reply(await start_publicity(ctx, _year(ctx, fold(args)), ctx.userid))


@router.command("公示情况", "公示进展", usage="公示情况 2026", summary="各单位公示名单、公示期和待处理的异议",
                audience=Audience.admin, section=SECTION)
async def status(args: str, ctx: Ctx) -> Reply:
    return Reply(await publicity_status(ctx, _year(ctx, fold(args))))


@router.command("异议", "提出异议", "公示异议", usage="异议 张三 具体事实和理由",
                summary="对正在公示的拟评优秀人员实名提出异议，只有考核办看到，被反映人看不到",
                section=SECTION)
async def objection(args: str, ctx: Ctx) -> Reply:
    return Reply(await raise_objection(ctx, fold(args)))


@router.command("异议列表", "查看异议", usage="异议列表 2026", summary="公示收到的异议及处理情况",
                audience=Audience.admin, section=SECTION)
async def objections(args: str, ctx: Ctx) -> Reply:
    return Reply(await objections_text(ctx, _year(ctx, fold(args))))


_DECISION = re.compile(r"^\s*#?(\d+)\s*[:：,，]?\s*(\S+?)\s*(?:[:：,，;；]\s*|\s+|$)(.*)$", re.S)


@router.command("异议处理", "处理异议", usage="异议处理 3 成立 理由 / 异议处理 3 不成立 理由",
                summary="处理公示异议：成立则该人员不评优秀、发布新版本并重新公示；不成立则记录理由",
                audience=Audience.admin, section=SECTION)
async def decide(args: str, ctx: Ctx) -> Reply:
    text = fold(args)
    found = _DECISION.match(text)
    if found is None:
        raise Refusal("请写成「异议处理 编号 成立 理由」或「异议处理 编号 不成立 理由」，编号见「异议列表」。")
    number, verdict, reason = int(found.group(1)), found.group(2), found.group(3)
    dismissed = next((w for w in _DISMISS if verdict.startswith(w)), None)
    upheld = next((w for w in _UPHOLD if verdict.startswith(w)), None) if dismissed is None else None
    word = dismissed or upheld
    if word is None:
        raise Refusal(f"请写明「成立」或「不成立」，例如：异议处理 {number} 不成立 经核实反映内容与事实不符。")
    reason = (verdict[len(word):] + " " + reason).strip(" :：,，;；")
    return Reply(await decide_objection(ctx, number, upheld is not None, reason, ctx.userid))


# ---- the written notice: 确认 / 有异议 and 本人意见 -------------------------------------------


@router.card(NOTICE_PREFIX)
async def notice_answer(answer: CardAnswer, ctx: Ctx) -> Reply:
    return await answer_card(ctx, answer)


@router.command("确认结果", "确认年度结果", usage="确认结果", summary="确认收到的年度考核结果通知（与卡片上的「确认」相同）",
                audience=Audience.cadre, section=SECTION)
async def confirm(args: str, ctx: Ctx) -> Reply:
    return Reply(await confirm_by_text(ctx))


@router.command("本人意见", usage="本人意见 对年度得分有异议，理由是……",
                summary="对年度考核结果有异议时填写本人意见，带时间记入年度考核登记表并转给考核办",
                audience=Audience.cadre, section=SECTION)
async def opinion(args: str, ctx: Ctx) -> Reply:
    return Reply(await record_opinion(ctx, args))


# ---- 复核 and 申诉 -----------------------------------------------------------------------


@router.command("申请复核", usage="申请复核 理由", summary="对年度考核等次申请复核（不称职等，收到书面通知后规定日数内）",
                audience=Audience.cadre, section=SECTION)
async def ask_review(args: str, ctx: Ctx) -> Reply:
    return Reply(await request_review(ctx, fold(args)))


_REVIEW = re.compile(r"^\s*#?(\d+)\s*[:：,，]?\s*(维持|变更)\s*(?:[:：,，]\s*)?(.*)$", re.S)


@router.command("复核决定", usage="复核决定 2 维持 理由 / 复核决定 2 变更 优秀 理由",
                summary="对复核申请作出书面决定：维持，或变更等次（发布新版本，只改本人）；决定书发给本人",
                audience=Audience.admin, section=SECTION)
async def review_decision(args: str, ctx: Ctx) -> Reply:
    found = _REVIEW.match(fold(args))
    if found is None:
        raise Refusal("请写成「复核决定 编号 维持 理由」或「复核决定 编号 变更 优秀 理由」，编号见「复核列表」。")
    number, verdict, rest = int(found.group(1)), found.group(2), found.group(3).strip()
    to = None
    if verdict == "变更":
        to, _, rest = rest.partition(" ")
        to = to.strip(":：,，")
    return Reply(await decide_review(ctx, number, verdict == "变更", to, rest, ctx.userid))


@router.command("申诉", usage="申诉 理由", summary="对复核决定不服，记录向上级机关提出的申诉（复核决定后规定日数内）",
                audience=Audience.cadre, section=SECTION)
async def ask_appeal(args: str, ctx: Ctx) -> Reply:
    return Reply(await appeal(ctx, fold(args)))


@router.command("申诉结果", usage="申诉结果 2 维持原复核决定", summary="录入上级机关对申诉作出的决定，并通知本人",
                audience=Audience.admin, section=SECTION)
async def appeal_result(args: str, ctx: Ctx) -> Reply:
    text = fold(args).strip()
    number, _, outcome = text.partition(" ")
    if not number.lstrip("#").isdigit():
        raise Refusal("请写成「申诉结果 编号 决定内容」，编号见「复核列表」。")
    return Reply(await enter_appeal_outcome(ctx, int(number.lstrip("#")), outcome, ctx.userid))


@router.command("复核列表", usage="复核列表", summary="复核申请、决定、申诉及其期限",
                audience=Audience.admin, section=SECTION)
async def review_list(args: str, ctx: Ctx) -> Reply:
    return Reply(await reviews_text(ctx))

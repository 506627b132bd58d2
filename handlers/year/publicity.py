"""The year's 公示 and written notice in chat (issue 24 items 5, 6): the admin starts the 公示
and decides objections; anyone raises an objection; each cadre answers the final result's
card (确认 / 有异议) and states their own opinion. The work is handlers/services/year_notice.py
and year_result_notice.py."""

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

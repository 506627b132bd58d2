"""The year's 公示 in chat (issue 24 item 5): the admin starts it and decides objections;
anyone raises an objection. The work is handlers/services/year_notice.py."""

from __future__ import annotations

import re

from handlers.audience import Audience
from handlers.base import Ctx, Refusal, Reply
from handlers.router import Router
from handlers.services.year_notice import (
    decide_objection,
    objections_text,
    publicity_status,
    raise_objection,
    start_publicity,
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

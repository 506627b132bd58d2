"""The 「确认参与」/「未参与」 card a colleague gets when a log names them (issue 26, item 4);
what it records and who is told lives in handlers/services/log_mentions.py."""

from __future__ import annotations

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Refusal, Reply, day_label
from handlers.cards import task_parts
from handlers.router import Router
from handlers.services.log_mentions import (
    ANSWERS,
    MENTION_PREFIX,
    decided_text,
    mention_card,
    record_answer,
)
from scoring.numbers import whole_number
from storage.mention_repo import CONFIRMED, DENIED

router = Router()


@router.card(MENTION_PREFIX)
async def mention_answer(answer: CardAnswer, ctx: Ctx) -> Reply:
    parts = task_parts(answer.task_id, MENTION_PREFIX, 1)
    mention_id = whole_number(parts[0]) if parts is not None else None
    mention = await ctx.store.mentions.get(mention_id) if mention_id is not None else None
    if mention is None or mention.colleague != ctx.userid:
        raise Refusal("这张卡片无法识别，未作任何更改。")
    status = ANSWERS.get(answer.event_key)
    if status is None:
        raise Refusal("无法识别的按钮，未作任何更改。请点「确认参与」或「未参与」。")
    author = ctx.directory.get(mention.author)
    if author is None:
        raise Refusal("写这篇日志的同事已不在名册中，无需确认。")
    done = await record_answer(ctx.store, ctx.directory, mention, status, ctx.now)
    entry = await ctx.store.logs.get(mention.author, mention.day)
    card = mention_card(answer.task_id, author, mention.day, entry.content if entry else "", decided_text(mention.status))
    if not done.changed:
        return Reply(f"您已经回复过（{decided_text(mention.status)}），无需重复操作。", card_update=card)
    if mention.status == CONFIRMED:
        return Reply(f"✅ 已确认您参与了{author.name}日志中写的工作，{author.name}的日志旁会显示。", card_update=card)
    return Reply(f"已回复「未参与」，将告知{author.name}本人和单位主要领导（不计分）。", card_update=card)


async def _answer_by_text(args: str, ctx: Ctx, status: str, word: str) -> Reply:
    """The card's answer typed as text (a phone that lost the card, or `shiji chat`): the
    person's one waiting card, or the one of the author named after the word."""
    person = ctx.require_cadre()
    waiting = await ctx.store.mentions.waiting_for(person.userid)
    named = args.strip()
    if named:
        waiting = [m for m in waiting if (a := ctx.directory.get(m.author)) is not None and a.name == named]
    if not waiting:
        who = f"{named}的" if named else ""
        raise Refusal(f"目前没有等您确认的{who}同事日志。同事在日志中写到与您一起工作时，您会收到一张卡片。")
    if len(waiting) > 1:
        authors = [a for m in waiting if (a := ctx.directory.get(m.author)) is not None]
        listed = "、".join(dict.fromkeys(a.name for a in authors))
        example = f"「{word} {authors[0].name}」" if authors else f"「{word} 姓名」"
        raise Refusal(f"有 {len(waiting)} 篇同事日志等您确认（{listed}），请在卡片上点选，或写上姓名，例如{example}。")
    mention = waiting[0]
    author = ctx.directory.get(mention.author)
    if author is None:
        raise Refusal("写这篇日志的同事已不在名册中，无需确认。")
    await record_answer(ctx.store, ctx.directory, mention, status, ctx.now)
    when = day_label(mention.day, ctx.today)
    if status == CONFIRMED:
        return Reply(f"✅ 已确认您参与了{author.name} {when}日志中写的工作，{author.name}的日志旁会显示。")
    return Reply(f"已回复「未参与」{author.name} {when}的日志，将告知{author.name}本人和单位主要领导（不计分）。")


@router.command(
    "确认参与", usage="确认参与 / 确认参与 张三",
    summary="确认参与了同事日志中写到与您一起的工作（与卡片上的按钮相同）", audience=Audience.cadre,
)
async def confirm_by_text(args: str, ctx: Ctx) -> Reply:
    return await _answer_by_text(args, ctx, CONFIRMED, "确认参与")


@router.command(
    "未参与", "没参与", "没有参与", usage="未参与 / 未参与 张三",
    summary="回复没有参与同事日志中写到与您一起的工作（告知写日志人和主要领导，不计分）", audience=Audience.cadre,
)
async def deny_by_text(args: str, ctx: Ctx) -> Reply:
    return await _answer_by_text(args, ctx, DENIED, "未参与")

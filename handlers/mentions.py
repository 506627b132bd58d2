"""The 「确认参与」/「未参与」 card a colleague gets when a log names them (issue 26, item 4);
what it records and who is told lives in handlers/services/log_mentions.py."""

from __future__ import annotations

from handlers.base import CardAnswer, Ctx, Refusal, Reply
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
from storage.mention_repo import CONFIRMED

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

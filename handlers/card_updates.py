"""Showing a decision made in chat on the card the decider still holds.

A card answered by a tap is updated by the passive reply. A decision typed in chat has no tap:
the only way to change the card is WeCom's update_template_card with the response_code its
send returned, which works once and for 72 hours. Within that time the card is updated through
the outbox; after it nothing is sent (an update would only fail), and the card shows the
decision the next time it is tapped, since every card handler answers an already-decided card
with the decided card.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from handlers.base import Ctx

# WeCom's 72 hours, less a margin for the outbox's own delay.
RESPONSE_CODE_LIFETIME = timedelta(hours=71)


async def update_sent_card(
    ctx: Ctx, sent_key: str, update_key: str, card: Callable[[str], dict[str, Any]]
) -> bool:
    """Queue the update of the card sent under outbox key `sent_key` to `card(its task_id)`;
    False if it cannot be."""
    sent = await ctx.store.outbox.by_key(sent_key)
    if sent is None or sent.status != "sent" or not sent.result or sent.finished_at is None:
        return False
    code = json.loads(sent.result).get("response_code")
    if not code or ctx.now - sent.finished_at >= RESPONSE_CODE_LIFETIME:
        return False
    return await ctx.store.outbox.enqueue(
        update_key, [u for u in sent.userids.split("|") if u], "update_card",
        {"response_code": code, "card": card(json.loads(sent.payload)["card"]["task_id"])}, ctx.now,
    )

"""WeCom template-card rules every conversation follows: task ids and drop-downs.

task_id (doc 90236 发送应用消息, template_card 「task_id」): 「同一个应用任务id不能重复，只能由
数字、字母和“_-@”组成，最长128字节」. WeCom remembers every task_id an app ever sent and refuses
a repeat with 42014, also one sent by an earlier installation or by a second database on the
same app, so ids built from database keys alone would collide. Every card therefore carries
96 random bits after its readable parts.

Drop-downs (doc 90236, button_selection / select_list 「selected_id」): 「默认选定的id，不填或错
填默认第一个」. A phone shows the first option when nothing valid is preselected, and tapping the
card's button answers with what is shown. A first option that is a real answer (a score) would
be given by anyone who never touched the drop-down, so every drop-down starts with an explicit
non-answer which the handler refuses (`chosen` returns None for it).

A decision made in chat has no tap, so no passive reply can show it on the card. The only way
to change the card is update_template_card with the response_code its send returned, which
works once and for 72 hours (`update_sent_card`). After that nothing is sent (an update would
only fail): the card shows the decision the next time it is tapped, since every card handler
answers an already-decided card with the decided card.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from handlers.base import CardAnswer, Ctx
from scoring.wecom_protocol import MAX_CHOICES, RESPONSE_CODE_HOURS, TASK_ID

NOT_CHOSEN = "none"
# WeCom's 72 hours for a response_code, less a margin for the outbox's own delay.
RESPONSE_CODE_LIFETIME = timedelta(hours=RESPONSE_CODE_HOURS - 1)


RANDOM_BYTES = 12  # 96 bits


def new_task_id(prefix: str, *parts: object) -> str:
    """`<prefix><part>-<part>-<random>`, unique per app for ever; parts must be `[A-Za-z0-9_@]`."""
    return new_task_ids(prefix, [parts])[0]


def new_task_ids(prefix: str, parts_each: Sequence[Sequence[object]]) -> list[str]:
    """`new_task_id` for many cards: one read of the system's randomness for all of them
    (a round's 1.4 M cards, one read each, would take seconds)."""
    random = secrets.token_hex(RANDOM_BYTES * len(parts_each))
    width = 2 * RANDOM_BYTES
    task_ids = []
    for at, parts in zip(range(0, len(random), width), parts_each, strict=True):
        task_id = prefix + "".join(f"{part}-" for part in parts) + random[at : at + width]
        if not TASK_ID.fullmatch(task_id):
            raise ValueError(f"not a valid WeCom task_id: {task_id!r}")
        task_ids.append(task_id)
    return task_ids


def task_parts(task_id: str, prefix: str, count: int) -> tuple[str, ...] | None:
    """The `count` readable parts of a task_id made by `new_task_id`; None if not that shape."""
    if not task_id.startswith(prefix):
        return None
    parts = task_id[len(prefix):].split("-")
    if len(parts) != count + 1 or not all(parts):
        return None
    return tuple(parts[:count])


def drop_down(
    question_key: str, title: str, prompt: str, options: Sequence[tuple[str, str]], selected: str | None
) -> dict[str, Any]:
    """A `button_selection` (or one `select_list` entry) whose first option is `prompt`.

    `options` are (id, text) pairs; `selected` is shown preselected if it is one of them, so a
    card replaced after an answer shows the answer back.
    """
    if len(options) > MAX_CHOICES:
        raise ValueError(f"at most {MAX_CHOICES} options besides the prompt")
    ids = [option_id for option_id, _ in options]
    if NOT_CHOSEN in ids:
        raise ValueError(f"option id {NOT_CHOSEN!r} is reserved for the prompt")
    return {
        "question_key": question_key,
        "title": title,
        "option_list": [{"id": NOT_CHOSEN, "text": prompt}]
        + [{"id": option_id, "text": text} for option_id, text in options],
        "selected_id": selected if selected in ids else NOT_CHOSEN,
    }


def chosen(answer: CardAnswer, question_key: str) -> str | None:
    """The one real option picked in a `drop_down`; None for the prompt, nothing or several."""
    picked = answer.choice(question_key)
    if len(picked) != 1 or picked[0] == NOT_CHOSEN:
        return None
    return picked[0]


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
        {"response_code": code, "card": card(json.loads(await ctx.store.outbox.payload(sent))["card"]["task_id"])},
        ctx.now,
    )

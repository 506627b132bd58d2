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
works once and for 72 hours (`update_sent_card`, `updatable_cards`). After that nothing is
sent (an update would only fail): the card shows the decision the next time it is tapped,
since every card handler answers an already-decided card with the decided card.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from handlers.base import CardAnswer, Ctx
from scoring.wecom_protocol import MAIN_TITLE_DESC_CHARS, MAX_CHOICES, RESPONSE_CODE_HOURS, TASK_ID
from storage.ballot_box import update_key

if TYPE_CHECKING:
    from storage.ballot_box import BallotBox
    from storage.repos import Store

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


def fit_desc(head: str, tail: str, sep: str = " · ") -> str:
    """`head · tail` within MAIN_TITLE_DESC_CHARS: `head` (a unit's name) gives way first."""
    room = MAIN_TITLE_DESC_CHARS - len(sep) - len(tail)
    if room < 2:
        return tail[:MAIN_TITLE_DESC_CHARS]
    return (head if len(head) <= room else head[:room - 1] + "…") + sep + tail


async def update_sent_card(
    ctx: Ctx, sent_key: str, update_key: str, card: Callable[[str], dict[str, Any]]
) -> bool:
    """Queue the update of the card sent under outbox key `sent_key` to `card(its task_id)`;
    False if it cannot be."""
    sent = await ctx.store.outbox.by_key(sent_key)
    code = _live_code(sent, ctx.now)
    if sent is None or code is None:
        return False
    return await ctx.store.outbox.enqueue(
        update_key, [u for u in sent.userids.split("|") if u], "update_card",
        {"response_code": code, "card": card(json.loads(await ctx.store.outbox.payload(sent))["card"]["task_id"])},
        ctx.now,
    )


def _live_code(sent: Any, now: datetime) -> str | None:
    """The response_code of a sent card while WeCom still takes it (an outbox row)."""
    if sent is None or sent.status != "sent" or not sent.result or sent.finished_at is None:
        return None
    code = json.loads(sent.result).get("response_code")
    if not code or now - sent.finished_at >= RESPONSE_CODE_LIFETIME:
        return None
    return str(code)


@dataclass(frozen=True)
class SentCard:
    """A card WeCom still lets us change once: sent under `key`, its update not yet sent."""

    key: str
    row_id: int  # the send's outbox row
    task_id: str
    response_code: str
    userids: tuple[str, ...]


async def updatable_cards(store: Store, keys: Iterable[str], now: datetime) -> list[SentCard]:
    """Of the cards sent under `keys`, those that can still be updated: sent less than
    RESPONSE_CODE_LIFETIME ago, and whose one update (`update_key`) is not spent. An update
    still waiting in the outbox is not: `queue_card_update` gives it the newer card."""
    keys = list(keys)
    rows = await store.outbox.by_keys([*keys, *(update_key(key) for key in keys)])
    found = []
    for key in keys:
        sent = rows.get(key)
        code = _live_code(sent, now)
        update = rows.get(update_key(key))
        if sent is None or code is None or (update is not None and update.status != "pending"):
            continue
        task_id = json.loads(await store.outbox.payload(sent))["card"]["task_id"]
        assert sent.id is not None
        found.append(SentCard(key, sent.id, task_id, code, tuple(u for u in sent.userids.split("|") if u)))
    return found


async def ballot_cards_to_update(
    store: Store, box: BallotBox, round_id: int, rater: str, now: datetime,
    assignment_ids: Sequence[str] | None = None, *, submit: bool = True,
) -> list[tuple[SentCard, str | None]]:
    """The rater's round cards that can still be updated (`updatable_cards`), each with its
    assignment id (None: a submit card). Asked before a hand-in: it drops the keys."""
    keys = await box.sent_keys(round_id, rater, assignment_ids, submit=submit)
    return [(sent, keys[sent.key]) for sent in await updatable_cards(store, keys, now)]


async def queue_card_update(
    store: Store, sent: SentCard, card: dict[str, Any], now: datetime, *, handed_in: bool = False,
) -> None:
    """Update `sent` to `card` (built for its task id): queued, or replacing an update not
    yet sent, so the card ends showing the latest state. `handed_in`: the ballot is sealed and
    its keys dropped; the update is keyed by the send's row alone, naming no card."""
    payload = {"response_code": sent.response_code, "card": card}
    key = f"card-update:{sent.row_id}" if handed_in else update_key(sent.key)
    if not await store.outbox.enqueue(key, sent.userids, "update_card", payload, now):
        await store.outbox.replace_pending(key, payload)

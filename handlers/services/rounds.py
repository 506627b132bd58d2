"""The round kernel: what a quarter's rating round and a year's 民主测评 share.

Both are a round with assignments in an anonymous ballot box (storage/ballot_box.py), cards
queued for the outbox sender (which keeps WeCom's per-member limits), daily reminders, a
hand-in, a close, and scheduled open/remind/close jobs. A `RoundKind` names one kind of
round — its words, its outbox keys, its scheduled work — and the rest here is written once
for both: whether a round takes scores, its status in words, the deadline, the submit token,
queuing the cards, the progress report and finding a card by the ratee's name.
handlers/services/rating.py (`QUARTER`) and year_evaluation.py (`YEAR`) are its two clients;
scheduler/round_jobs.py makes each kind's jobs from its `RoundKind`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from handlers.base import Ctx, Refusal
from handlers.render.round_cards import parse_task_id
from scoring.names import text_key
from scoring.rounding import whole_percent
from scoring.rounds import is_round_open
from scoring.rule_settings import RuleSettings
from storage.ballot_box import BallotBox
from storage.directory import Person, roster_order
from storage.records import QuarterRound, RoundStatus, YearRound
from storage.repos import Push, Store

Round = QuarterRound | YearRound
R = TypeVar("R", QuarterRound, YearRound)

STATUS_ZH = {
    RoundStatus.open: "进行中", RoundStatus.closed: "已关闭",
    RoundStatus.published: "已发布", RoundStatus.voided: "已作废",
}


@dataclass(frozen=True)
class RoundKind(Generic[R]):
    """One kind of round: what it is called, where its pushes are keyed, what its scheduled
    work is and when it runs."""

    name: str  # the scheduled jobs' ids: "<name>-open", "<name>-remind", "<name>-close"
    key: str  # outbox keys of what it tells the admins: "<key>-auto-open:…", "<key>-auto-close:…"
    card_prefix: str  # task ids of its cards: "<card_prefix><round key>-<card id>-…"
    label: Callable[[R], str]  # 「2026年第4季度评分」, 「2026年度民主测评」
    round_key: Callable[[R], str]  # how its task ids name a round: "2026Q4", "2026"
    command: str  # what a rater sends: 评分 / 测评
    card_word: str  # 评分卡片 / 测评卡片
    unfinished: str  # the cards a resend brings back: 未评 / 未完成
    none_open: str  # the answer to a rater when no round of this kind holds cards for them
    rater: str  # 评分人 / 测评人
    rated: str  # how many cards a rater answered: 已评 / 已测评
    nudge_hint: str | None  # the progress report's last line while the round is open
    box: Callable[[Store], BallotBox]
    rounds: Callable[[Store, RoundStatus], Awaitable[list[R]]]  # oldest first
    by_id: Callable[[Store, int], Awaitable[R | None]]
    # The scheduled work: open the round that is due, close the rounds that are, remind raters.
    auto_open: Callable[[Ctx], Awaitable[str | None]]
    auto_close: Callable[[Ctx], Awaitable[list[str]]]
    remind: Callable[[Ctx], Awaitable[int]]
    # When it runs (both kinds follow settings [rating]: open_at, remind_at, close_at).
    open_at: Callable[[RuleSettings], time]
    remind_at: Callable[[RuleSettings], time]
    close_at: Callable[[RuleSettings], time]


def is_open(rnd: Round, now: datetime) -> bool:
    """A round takes scores while it is open and its deadline has not passed."""
    return is_round_open(rnd.status, rnd.closes_at, now)


def status_zh(rnd: Round) -> str:
    return STATUS_ZH[rnd.status]


def deadline_text(ctx: Ctx, moment: datetime) -> str:
    local = moment.astimezone(ctx.now.tzinfo)  # stored as UTC
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def submit_token(round_id: int, rater: str) -> str:
    """Ties a submit card to its rater, so a card event forged with another's task changes nothing."""
    return hashlib.sha256(f"{round_id}|{rater}".encode()).hexdigest()[:16]


class RoundCard(NamedTuple):
    """One card to queue: its assignment, its rater, and what it shows beyond its task id
    (equal looks share one stored body)."""

    assignment_id: str
    rater: str
    look: Hashable


class RoundCardSender:
    """The cards of a round, for both kinds: one per assignment, then one submit card per
    rater, queued in bulk, due at once. WeCom's limit of 30 messages a minute to one member
    is kept by the outbox sender (bot/sender.py), shared by every replica, so a rater with
    60 cards gets them over two minutes of real time, whatever the business clock does.

    A card is the same for every rater who sees the same thing but for its task id, so its
    JSON is rendered and stored once (an outbox body) and each rater's row holds only its task
    id (a province queues ~1.5 M cards at once: 1.7 GB of JSON otherwise). Submit cards
    likewise, per count. Callers pass whole units to `cards`: a look renders once per call.
    """

    def __init__(
        self, ctx: Ctx, box: BallotBox, round_id: int, *, key_suffix: str,
        render: Callable[[Hashable, str], dict[str, object] | None],
        task_ids: Callable[[Sequence[str]], list[str]],
        render_submit: Callable[[int, str], dict[str, object]],
        submit_task_id: Callable[[str], str],
    ) -> None:
        self.ctx, self.box, self.round_id = ctx, box, round_id
        self.key_suffix = key_suffix
        self._render, self._task_ids = render, task_ids  # render(look, task id) → card, or None: not sent
        self._render_submit, self._submit_task_id = render_submit, submit_task_id  # (count, task id)
        self.queued: Counter[str] = Counter()  # cards queued per rater
        # Random per sender, so no summary can contain it: where the task id goes.
        self._marker = f"task-{secrets.token_hex(16)}"

    async def cards(self, cards: Sequence[RoundCard]) -> None:
        looks = list(dict.fromkeys(card.look for card in cards))
        rendered = {look: self._cut(shown) for look in looks if (shown := self._render(look, self._marker)) is not None}
        ids = await self.ctx.store.outbox.add_bodies(list(rendered.values()))
        body_of = dict(zip(rendered, ids, strict=True))
        sent = [card for card in cards if card.look in body_of]
        pushes = []
        for card, task_id in zip(sent, self._task_ids([c.assignment_id for c in sent]), strict=True):
            self.queued[card.rater] += 1
            pushes.append(Push(
                self.box.card_key(card.assignment_id, self.key_suffix), card.rater, "template_card", task_id,
                self.ctx.now, body_of[card.look],
            ))
        await self.ctx.store.outbox.enqueue_many(pushes, self.ctx.now)

    async def submit_cards(self, totals: Mapping[str, int] | None = None) -> None:
        """To every rater queued here (`expect` adds one without cards); `totals`: the cards
        each holds in all (default: those queued here)."""
        totals = self.queued if totals is None else totals
        counts = sorted({totals[rater] for rater in self.queued})
        ids = await self.ctx.store.outbox.add_bodies([self._cut(self._render_submit(n, self._marker)) for n in counts])
        body_of = dict(zip(counts, ids, strict=True))
        await self.ctx.store.outbox.enqueue_many((
            Push(
                self.box.submit_key(self.round_id, rater, self.key_suffix), rater, "template_card",
                self._submit_task_id(submit_token(self.round_id, rater)), self.ctx.now, body_of[totals[rater]],
            )
            for rater in sorted(self.queued)
        ), self.ctx.now)

    def expect(self, rater: str) -> None:
        """`rater` gets a submit card even with no card queued (all of them answered)."""
        self.queued.setdefault(rater, 0)

    def _cut(self, card: dict[str, object]) -> tuple[str, str]:
        head, tail = json.dumps({"card": card}, ensure_ascii=False).split(self._marker)
        return head, tail


# ---- a rater's cards ----------------------------------------------------------------------


async def my_open_round(ctx: Ctx, kind: RoundKind[R], rater: str) -> tuple[R, list[Any]]:
    """The latest open round of `kind` in which this person holds cards, and the cards."""
    box = kind.box(ctx.store)
    for rnd in reversed(await kind.rounds(ctx.store, RoundStatus.open)):
        cards = await box.assignments_of(rnd.id, rater)
        if cards and is_open(rnd, ctx.now):
            return rnd, cards
    raise Refusal(kind.none_open)


async def answered_card(ctx: Ctx, kind: RoundKind[R], task_id: str) -> tuple[R, Any]:
    """The round and the card a tap on `task_id` answers: a card of an open round, sent to the
    one who tapped. Anything else (forged, replayed, another's, too late) changes nothing."""
    parsed = parse_task_id(task_id, kind.card_prefix)
    card = await kind.box(ctx.store).assignment(parsed[1]) if parsed else None
    rnd = await kind.by_id(ctx.store, card.round_id) if card else None
    if parsed is None or card is None or rnd is None or kind.round_key(rnd) != parsed[0]:
        raise Refusal(
            f"这张{kind.card_word}无法识别或已失效，未作任何更改。发送「{kind.command}」可重新收到您{kind.unfinished}的卡片。"
        )
    if card.rater != ctx.userid:
        raise Refusal(f"这张{kind.card_word}不是发给您的，未作任何更改。")
    if not is_open(rnd, ctx.now):
        raise Refusal(f"{kind.label(rnd)}已截止，这张卡片不能再使用，未作任何更改。")
    return rnd, card


# ---- who is who ---------------------------------------------------------------------------


def name_of(ctx: Ctx, userid: str | None) -> str:
    """A userid's name on the roster, or the userid itself when it has left."""
    person = ctx.directory.people.get(userid or "")
    return person.name if person else (userid or "")


def _person_order(ctx: Ctx, userid: str) -> tuple[object, ...]:
    person = ctx.directory.people.get(userid)
    return (0, roster_order(person)) if person is not None else (1, userid)


def _unit_order(ctx: Ctx, unit_id: int) -> tuple[object, ...]:
    unit = ctx.directory.units.get(unit_id)
    return (0, text_key(unit.name)) if unit is not None else (1, unit_id)


class _Card(Protocol):
    @property
    def ratee(self) -> str: ...


CardT = TypeVar("CardT", bound=_Card)
_NAME_UNIT = re.compile(r"^(.+?)[（(@](.+?)[)）]?$")


def split_name_unit(word: str) -> tuple[str, str | None]:
    """`张三（城关镇）`, `张三(城关镇)` or `张三@城关镇` → (name, unit); a bare name → (name, None)."""
    if match := _NAME_UNIT.match(word):
        return match[1], match[2]
    return word, None


def find_card(
    ctx: Ctx, person: Person, cards: Sequence[CardT], words: list[str], *, command: str, example: str,
) -> CardT:
    """`张三`, `张三 城关镇`, `张三（城关镇）` or `张三@城关镇` among the rater's own cards
    (`command` names the chat command: 评分, 测评)."""
    name, unit = words[0], " ".join(words[1:]) or None
    if unit is None:
        name, unit = split_name_unit(name)
    if name == person.name and not any(name_of(ctx, c.ratee) == name for c in cards):
        raise Refusal("不能给自己打分。")
    matches = [
        c for c in cards
        if name_of(ctx, c.ratee) == name
        and (unit is None or ctx.directory.people[c.ratee].unit.name == unit)
    ]
    if not matches:
        raise Refusal(f"「{name}」不在您本轮的{command}名单中，未作任何更改。发送「{command}」可收到您需要{command}的卡片。")
    if len(matches) > 1:
        units = "、".join(ctx.directory.people[c.ratee].unit.name for c in matches)
        first = ctx.directory.people[matches[0].ratee].unit.name
        raise Refusal(f"您的名单中有 {len(matches)} 位「{name}」（{units}），请写上单位，例如：{command} {name}@{first} {example}")
    return matches[0]


# ---- progress -----------------------------------------------------------------------------


async def progress_text(ctx: Ctx, kind: RoundKind[R], rnd: R) -> str:
    """Per unit, how many of its raters handed in, and who has not: never a score."""
    box = kind.box(ctx.store)
    lines = [f"📋 {kind.label(rnd)}进度（{status_zh(rnd)}，截止 {deadline_text(ctx, rnd.closes_at)}）"]
    for unit in sorted(await box.progress(rnd.id), key=lambda u: _unit_order(ctx, u.unit_id)):
        info = ctx.directory.units.get(unit.unit_id)
        share = f"{whole_percent(unit.handed_in, unit.raters)}%" if unit.raters else "—"
        lines.append(f"· {info.name if info else unit.unit_id}：{unit.raters} 位{kind.rater}中 {unit.handed_in} 位已提交（{share}）")
    raters = await box.raters(rnd.id)
    done = await box.handed_in(rnd.id)
    lines.append(f"合计：{len(raters)} 位{kind.rater}中 {len(done & raters)} 位已提交。")
    # Who has not handed in is no score (R-RATE-5 hides scores, not participation).
    todo = await box.todo(rnd.id)
    if todo:
        lines.append(f"【尚未提交的 {len(todo)} 人】（括号内为{kind.rated}人数）")
        by_unit: dict[str, list[str]] = {}
        for item in sorted(todo, key=lambda t: _person_order(ctx, t.rater)):
            person = ctx.directory.people.get(item.rater)
            place = person.unit.name if person is not None else "名册外"
            by_unit.setdefault(place, []).append(f"{name_of(ctx, item.rater)}（{item.answered}/{item.cards}）")
        lines += [f"· {unit}：{'、'.join(names)}" for unit, names in by_unit.items()]
        if kind.nudge_hint and is_open(rnd, ctx.now):
            lines.append(kind.nudge_hint)
    return "\n".join(lines)


# ---- scheduled work -----------------------------------------------------------------------


async def tell_admins(ctx: Ctx, key: str, text: str) -> None:
    admins = list(ctx.settings.admin.userids)
    if admins:
        await ctx.store.outbox.enqueue(key, admins, "text", {"content": text}, ctx.now)


async def open_due(ctx: Ctx, kind: RoundKind[R]) -> None:
    """The scheduled opening: the round that is due, if any, and the admins told (「（自动）…」)."""
    text = await kind.auto_open(ctx)
    if text is not None:
        await tell_admins(ctx, f"{kind.key}-auto-open:{ctx.today.isoformat()}", "（自动）" + text)


async def close_due(ctx: Ctx, kind: RoundKind[R]) -> None:
    """The scheduled close of every round past its deadline, each told to the admins."""
    for index, text in enumerate(await kind.auto_close(ctx)):
        await tell_admins(ctx, f"{kind.key}-auto-close:{ctx.now.isoformat()}:{index}", "（到期自动）" + text)

"""A quarter's rating round (R-RATE-1, R-RATE-7): open, score, hand in, close, publish.

Chat commands, the `shiji round` CLI and the scheduled jobs all call these functions, so a
round behaves the same whoever drives it. Every rule comes from `scoring/`; this module only
gathers the inputs, stores the outcome and words the replies. It is the round kernel's first
kind (`QUARTER`, handlers/services/rounds.py), the year's 民主测评 its second.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import cast

from handlers.base import Ctx, Refusal
from handlers.cards import SentCard, ballot_cards_to_update, queue_card_update
from handlers.dates import parse_quarter, quarter_label
from handlers.render.rating_cards import (
    RATE_PREFIX,
    handed_in_card,
    rate_task_ids,
    rating_card,
    submit_card,
    submit_task_id,
)
from handlers.services.golive import go_live_date
from handlers.services.jobs import Progress, no_progress
from handlers.services.log_rules import missing_by_person
from handlers.services.publish_guard import publish_when, window_guard
from handlers.services.roster_periods import placed_for_period
from handlers.services.rounds import (
    RoundCard,
    RoundCardSender,
    RoundKind,
    deadline_text,
    is_open,
    name_of,
    status_zh,
)
from scoring import (
    GROUP_ZH,
    RANK_ZH,
    Member,
    QuarterInput,
    Rank,
    RaterGroup,
    UnitCategory,
    assignments,
    check_ballot,
    high_cap,
    quarter_deduction,
    rank_within_levels,
    rank_within_units,
    rescore,
    round_score,
    score_quarters,
    weights_for,
)
from scoring.disclosure import (
    QuarterShown,
    count_zh,
    own_unit_place_shown,
    quarter_shown,
    short_of_raters_zh,
    withheld_zh,
)
from scoring.golive import owed_period
from scoring.grades import QuarterGrade, band_grade, quarter_grades
from scoring.handin import HandinCheck, check_handin
from scoring.logs import counting_start, logged_of_owed, overdue_days
from scoring.names import text_key
from scoring.rounds import (
    may_open_round,
    rater_reminder_due,
    round_closes_at,
    round_due,
)
from scoring.summary_window import SummaryPeriod
from scoring.types import ScoredCadre
from scoring.visibility import RankingView, ranking_view
from scoring.workdays import QuarterId
from storage.ballot_box import FIRST_SEND, RaterTodo
from storage.directory import listed_names
from storage.models_rating import QuarterPublication
from storage.rating_repo import NewCard
from storage.records import CadreQuarter, QuarterRound, RatingCard, RoundStatus
from storage.sql import bulk_inserts

# Assignments per bulk statement when a round opens: memory stays flat at province scale.
BULK_ROWS = 10_000



def quarter_of(rnd: QuarterRound) -> QuarterId:
    parsed = parse_quarter(rnd.quarter)
    assert parsed is not None
    return parsed


async def round_for(ctx: Ctx, args: str, *, default_status: tuple[RoundStatus, ...]) -> QuarterRound:
    """The round a command names (`2026Q4`), or the latest one in `default_status`."""
    text = args.strip()
    if text:
        quarter = parse_quarter(text, ctx.today)
        if quarter is None:
            raise Refusal(f"看不懂季度「{text}」。请写成 2026Q4（2026 年第 4 季度）、本季度或上季度。")
        rnd = await ctx.store.rating.round_by_quarter(str(quarter))
        if rnd is None:
            raise Refusal(f"{quarter_label(quarter)}还没有开启过评分。")
        return rnd
    candidates = [r for r in await ctx.store.rating.rounds() if r.status in default_status]
    if not candidates:
        raise Refusal("目前没有符合条件的评分轮次。可以在命令后写上季度，例如 2026Q4。")
    return candidates[-1]


# ---- opening ---------------------------------------------------------------------------


async def check_open(ctx: Ctx, quarter: QuarterId) -> None:
    """The refusals of `open_round` that cost nothing: said in the reply before a job is queued."""
    label = quarter_label(quarter)
    existing = await ctx.store.rating.round_by_quarter(str(quarter))
    if existing is not None and existing.status != RoundStatus.voided:
        raise Refusal(f"{label}的评分已经开启过（{status_zh(existing)}），不能重复开启。")
    if not may_open_round(quarter, ctx.today):
        raise Refusal(f"{label}到 {quarter.last_day.month}月{quarter.last_day.day}日才结束，季度结束后才能开启评分。")


async def open_round(ctx: Ctx, quarter: QuarterId, progress: Progress = no_progress) -> str:
    """Create the round, its cards for every rater, and queue the cards. Returns a summary.
    One unit of work: a job that dies midway leaves nothing, and its rerun starts afresh."""
    label = quarter_label(quarter)
    existing = await ctx.store.rating.round_by_quarter(str(quarter))
    if existing is not None and existing.status == RoundStatus.voided:
        # Only an admin's explicit 开启评分 reopens a voided quarter (auto_open never does).
        await ctx.store.rating.forget_voided(existing)
    await check_open(ctx, quarter)
    rating = ctx.settings.rating
    closes_at = round_closes_at(
        ctx.calendar, ctx.now, duration=rating.duration_working_days, close_at=rating.close_at
    )
    rnd = await ctx.store.rating.create_round(str(quarter), ctx.actor, ctx.now, closes_at)
    if rnd is None:
        raise Refusal(f"{label}的评分刚刚已被开启，不能重复开启。")

    extras = await ctx.store.rating.extra_raters()
    units = await _quarter_units(ctx, quarter)
    queue = _QuarterCards(ctx, rnd, quarter, await card_facts(ctx, quarter))
    with collector_paused():
        async with bulk_inserts(ctx.store.session):
            rows: list[tuple[str, str, int, str, int]] = []
            for done, (unit_id, members) in enumerate(units.items()):
                if done % PROGRESS_UNITS == 0:
                    await progress(done, len(units), "正在生成评分卡（按单位）")
                extra = {u for u in extras.get(unit_id, ()) if ctx.directory.get(u) is not None}
                cards = assignments(members, extra, ctx.cfg)
                # Someone who has left since is rated for the quarter they served, but gets no cards.
                rows += [(c.rater, c.ratee, unit_id, c.group.value, len(members)) for c in cards
                         if ctx.directory.get(c.rater) is not None]
                if len(rows) >= BULK_ROWS:  # whole units per statement, so a ratee's card renders once
                    await queue.cards(await ctx.store.rating.add_assignments(rnd.id, rows))
                    rows = []
            await queue.cards(await ctx.store.rating.add_assignments(rnd.id, rows))
            await queue.sender.submit_cards()
    queued = queue.sender.queued
    await ctx.audit("round.open", f"{quarter}: {len(queued)} raters, {queued.total()} cards")
    return (
        f"✅ 已开启{label}评分：{len(queued)} 位评分人、{queued.total()} 张评分卡已排队发送，"
        f"截止 {deadline_text(ctx, closes_at)}。发送「评分进度」查看各单位提交情况。"
    )


PROGRESS_UNITS = 50  # a job's progress is told every this many units


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a round's millions of short-lived rows are made:
    each full pass walks the whole heap (a province's roster and directory), and they took
    a quarter of the opening. Those rows hold no cycles; the collector resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _quarter_units(ctx: Ctx, quarter: QuarterId) -> dict[int, list[Member]]:
    """Each unit's cadres for the quarter, placed by the roster as it stood then (settings
    roster.quarter_rule), so a transfer or promotion dated inside the quarter counts as set."""
    placed = await placed_for_period(ctx.store, quarter.first_day, quarter.last_day, ctx.settings.roster.quarter_rule)
    units: defaultdict[int, list[Member]] = defaultdict(list)
    for userid, line in sorted(placed.items()):
        units[int(line.unit)].append(Member(userid, line.role))
    return dict(units)


@dataclass(frozen=True)
class CardFacts:
    workdays: int
    logs: dict[str, int]
    summaries: dict[str, str]
    leave_days: dict[str, int]  # working days of approved leave
    logs_on_leave: dict[str, int]

    def days(self, ratee: str) -> tuple[int, int]:
        """(days logged, days owed) of the quarter: approved leave is owed by no one."""
        return logged_of_owed(
            self.workdays, self.logs.get(ratee, 0), self.leave_days.get(ratee, 0), self.logs_on_leave.get(ratee, 0)
        )


async def card_facts(ctx: Ctx, quarter: QuarterId, only: str | None = None) -> CardFacts:
    """What the cards show: the quarter's logs against the days owed, and the quarterly summary.

    Everyone's at once when a round's cards go out; `only` one ratee's for a card update.
    Counts in SQL, never the logs themselves: a province's quarter is millions of them.
    """
    start = counting_start(quarter.first_day, go_live_date(ctx.settings, ctx.directory))
    workdays = sum(1 for _ in ctx.calendar.working_days(start, quarter.last_day))
    excused = await ctx.store.leave.excused_between(start, quarter.last_day)
    leave_days = {
        userid: sum(1 for day in days if ctx.calendar.is_working_day(day))
        for userid, days in excused.items() if only is None or userid == only
    }
    return CardFacts(
        workdays,
        await ctx.store.rating.log_counts(start, quarter.last_day, only),
        # One character more than a card quotes, so the card still knows to add "…".
        await ctx.store.rating.summaries("quarter", str(quarter), only,
                                         prefix_chars=ctx.settings.rating.card_summary_chars + 1),
        leave_days,
        await ctx.store.rating.logs_on_leave(start, quarter.last_day, only),
    )


def high_slots(ctx: Ctx, drafts: Mapping[str, int], cards: Sequence[RatingCard], card: RatingCard) -> tuple[int, int]:
    """90+ slots left and the cap on `card`'s unit ballot, from the rater's drafts now."""
    unit = {a.ratee for a in cards if a.unit_id == card.unit_id}
    ballot = check_ballot({r: s for r, s in drafts.items() if r in unit}, card.unit_size, ctx.cfg)
    return ballot.high_left, ballot.high_cap


class _QuarterCards:
    """A quarter's cards through the round kernel's `RoundCardSender`: a card shows its ratee
    (logs, summary), the unit's size and the rater's 90+ slots left; raters who see the same
    share one stored body."""

    def __init__(
        self, ctx: Ctx, rnd: QuarterRound, quarter: QuarterId, facts: CardFacts,
        *, key_suffix: str = FIRST_SEND,
        ballot: tuple[Mapping[str, int], Sequence[RatingCard]] | None = None,
    ) -> None:
        self.ctx, self.quarter, self.facts = ctx, quarter, facts
        # A resend's rater's drafts and all their cards: each card shows the 90+ slots left
        # now. Without it every ballot is still empty (a round just opened).
        self.ballot = ballot
        self._caps: dict[int, int] = {}  # unit size → its 90+ cap
        deadline = deadline_text(ctx, rnd.closes_at)
        self.sender = RoundCardSender(
            ctx, ctx.store.rating, rnd.id, key_suffix=key_suffix,
            render=self._render, task_ids=lambda ids: rate_task_ids(quarter, ids),
            render_submit=lambda count, task_id: submit_card(task_id=task_id, quarter=quarter, cards=count, deadline=deadline),
            submit_task_id=lambda token: submit_task_id(quarter, token),
        )

    async def cards(self, cards: Sequence[NewCard | RatingCard]) -> None:
        await self.sender.cards([RoundCard(card.id, card.rater, self._look(card)) for card in cards])

    def _look(self, card: NewCard | RatingCard) -> tuple[str, int, int]:
        """What a card shows beyond its task id: (ratee, unit size, 90+ slots left)."""
        if self.ballot is not None and isinstance(card, RatingCard):
            left, _cap = high_slots(self.ctx, self.ballot[0], self.ballot[1], card)
        else:
            left = self._high_cap(card.unit_size)
        return card.ratee, card.unit_size, left

    def _high_cap(self, unit_size: int) -> int:
        if (cap := self._caps.get(unit_size)) is None:
            cap = self._caps[unit_size] = high_cap(unit_size, self.ctx.cfg)
        return cap

    def _render(self, look: object, task_id: str) -> dict[str, object] | None:
        """The card of a look; None if the ratee left the roster."""
        userid, unit_size, left = cast(tuple[str, int, int], look)
        ctx, rating = self.ctx, self.ctx.settings.rating
        ratee = ctx.directory.people.get(userid)
        if ratee is None:
            return None
        logged, owed = self.facts.days(userid)
        return rating_card(
            task_id=task_id,
            quarter=self.quarter,
            ratee=ratee,
            logs=logged,
            workdays=owed,
            summary=self.facts.summaries.get(userid),
            summary_chars=rating.card_summary_chars,
            score=None,
            high_score=ctx.cfg.high_score,
            high_left=left,
            high_cap=self._high_cap(unit_size),
            card_scores=rating.card_scores,
        )


async def resend_unanswered(ctx: Ctx, rnd: QuarterRound, rater: str) -> int:
    """Fresh cards (new task ids) for the ratees this rater has not scored yet, and the
    submit card. They show the rater's 90+ slots left, so they are keyed where the ballot
    box finds them at hand-in (`next_resend`, `drop_traces`)."""
    drafts = await ctx.store.rating.drafts(rnd.id, rater)
    cards = await ctx.store.rating.assignments_of(rnd.id, rater)
    todo = [a for a in cards if a.ratee not in drafts]
    quarter = quarter_of(rnd)
    queue = _QuarterCards(ctx, rnd, quarter, await card_facts(ctx, quarter),
                          key_suffix=await ctx.store.rating.next_resend(rnd.id, rater),
                          ballot=(drafts, cards))
    await queue.cards(todo)
    queue.sender.expect(rater)  # the submit card goes even when every card is scored
    await queue.sender.submit_cards({rater: len(cards)})
    return len(todo)


async def check_rater(ctx: Ctx, rnd: QuarterRound, rater: str) -> tuple[HandinCheck[int], dict[str, int], list[RatingCard]]:
    cards = await ctx.store.rating.assignments_of(rnd.id, rater)
    drafts = await ctx.store.rating.drafts(rnd.id, rater)
    assigned: defaultdict[int, list[str]] = defaultdict(list)
    headcounts: dict[int, int] = {}
    for card in cards:
        assigned[card.unit_id].append(card.ratee)
        headcounts[card.unit_id] = card.unit_size
    check = check_handin(drafts, assigned, headcounts, ctx.cfg, rater=rater)
    return check, drafts, cards


def names_of(ctx: Ctx, userids: Iterable[str]) -> str:
    """「吴昊、王强（城关镇）、王强（区发展和改革局）」: people in the one order of lists
    (storage/directory.py roster_order); ids no longer on the roster last, as they are."""
    people = [p for u in userids if (p := ctx.directory.people.get(u)) is not None]
    gone = [u for u in userids if u not in ctx.directory.people]
    return "、".join([*listed_names(people), *sorted(gone)])


def problems_text(ctx: Ctx, check: HandinCheck[int], *, open_round: bool = True) -> list[str]:
    """What stops a hand-in; `open_round=False` after the close, when no card can be resent."""
    lines: list[str] = []
    for unit_id, ballot in check.ballots.items():
        unit = ctx.directory.units.get(unit_id) if unit_id is not None else None
        for violation in ballot.violations:
            where = name_of(ctx, violation.ratee) if violation.ratee else (unit.name if unit else "本单位")
            lines.append(f"· {where}：{violation.reason_zh}")
    if check.unanswered:
        names = names_of(ctx, check.unanswered)
        resend = "（发送「评分」可重新收到这些卡片）" if open_round else ""
        lines.append(f"· 还有 {len(check.unanswered)} 位未评分：{names}{resend}")
    return lines


async def seal(ctx: Ctx, rnd: QuarterRound, rater: str, drafts: dict[str, int], cards: list[RatingCard]) -> bool:
    group = {a.ratee: a.grp for a in cards}
    rows = [(ratee, group[ratee], score) for ratee, score in drafts.items()]
    return await ctx.store.rating.hand_in(rnd, rater, rows)


async def hand_in(ctx: Ctx, rnd: QuarterRound, rater: str) -> str:
    label = quarter_label(quarter_of(rnd))
    if await ctx.store.rating.has_handed_in(rnd.id, rater):
        raise Refusal(f"您已提交{label}的评分，提交后不能再修改。")
    if not is_open(rnd, ctx.now):
        raise Refusal(f"{label}评分已截止，无法再提交。")
    check, drafts, cards = await check_rater(ctx, rnd, rater)
    if not cards:
        raise Refusal(f"您在{label}评分中没有需要评分的同事。")
    if not check.ok:
        raise Refusal("未能提交，请先处理以下问题（评分均已保留）：\n" + "\n".join(problems_text(ctx, check)))
    # Asked before the seal, which drops the keys the cards went out under.
    held = await ballot_cards_to_update(ctx.store, ctx.store.rating, rnd.id, rater, ctx.now)
    if not await seal(ctx, rnd, rater, drafts, cards):
        raise Refusal(f"您已提交{label}的评分，提交后不能再修改。")
    await _show_handed_in(ctx, rnd, rater, held, cards)
    return f"✅ 已提交{label}评分，共 {len(drafts)} 人。评分已匿名保存（不记录评分人），聊天、报表和导出中都看不到您给了谁多少分。感谢参与！"


async def _show_handed_in(
    ctx: Ctx, rnd: QuarterRound, rater: str, held: list[tuple[SentCard, str | None]],
    cards: list[RatingCard],
) -> None:
    """Every card the rater holds, updated to say it is handed in (no scores: they are sealed)."""
    quarter = quarter_of(rnd)
    ratee_of = {card.id: card.ratee for card in cards}
    for sent, assignment_id in held:
        if assignment_id is None:
            card = submit_card(task_id=sent.task_id, quarter=quarter, cards=len(cards),
                               deadline=deadline_text(ctx, rnd.closes_at), done=True,
                               note=f"您已提交{quarter_label(quarter)}的评分，提交后不能再修改。")
        elif (ratee := ctx.directory.people.get(ratee_of.get(assignment_id, ""))) is not None:
            card = handed_in_card(task_id=sent.task_id, quarter=quarter, ratee=ratee)
        else:
            continue
        await queue_card_update(ctx.store, sent, card, ctx.now, handed_in=True)


# ---- closing ---------------------------------------------------------------------------


async def close_round(ctx: Ctx, rnd: QuarterRound) -> str:
    quarter = quarter_of(rnd)
    label = quarter_label(quarter)
    if rnd.status != RoundStatus.open:
        raise Refusal(f"{label}评分{status_zh(rnd)}，无需关闭。")
    if not await ctx.store.rating.set_status(rnd.id, RoundStatus.open, RoundStatus.closed, ctx.now):
        raise Refusal(f"{label}评分刚刚已被关闭。")
    auto = dropped = absent = 0
    for todo in await ctx.store.rating.todo(rnd.id):
        if todo.answered == 0:
            absent += 1
            continue
        check, drafts, cards = await check_rater(ctx, rnd, todo.rater)
        if check.ok:
            await seal(ctx, rnd, todo.rater, drafts, cards)
            auto += 1
            text = f"{label}评分已截止。您未点提交，但评分完整且符合规则，系统已按您的评分代为提交。"
        else:
            await ctx.store.rating.drop_traces(rnd, todo.rater)
            dropped += 1
            text = (
                f"{label}评分已截止。您的评分未提交，且存在以下问题，按规定作废：\n"
                + "\n".join(problems_text(ctx, check, open_round=False))
            )
        await ctx.store.outbox.enqueue(f"rate-closed:{rnd.id}:{todo.rater}", [todo.rater], "text", {"content": text}, ctx.now)
    await ctx.store.rating.reseal(rnd)
    ctx.store.erase_after_commit()
    handed = len(await ctx.store.rating.handed_in(rnd.id))
    await ctx.audit("round.close", f"{quarter}: {handed} handed in ({auto} by the system), {dropped} voided, {absent} absent")
    return (
        f"✅ {label}评分已关闭：{handed} 人提交（其中 {auto} 人由系统代为提交），"
        f"{dropped} 人的未完成评分作废，{absent} 人未参加。"
        + publish_when(ctx.settings, ctx.calendar, ctx.today,
                       SummaryPeriod("quarter", quarter.year, quarter.quarter), f"发布结果 {quarter}")
    )


# ---- voiding ----------------------------------------------------------------------------


async def void_round(ctx: Ctx, rnd: QuarterRound) -> str:
    """The admin's 作废评分: a round opened by mistake leaves nothing behind — no cards, drafts,
    hand-ins or scores, no pending pushes — and each rater who got cards is told once."""
    quarter = quarter_of(rnd)
    label = quarter_label(quarter)
    if rnd.status == RoundStatus.published:
        raise Refusal(f"{label}结果已经发布，不能作废（已发布的得分每人都已收到）。如需更正，请联系系统管理员。")
    if rnd.status == RoundStatus.voided:
        raise Refusal(f"{label}评分已经作废过了。")
    raters = await ctx.store.rating.void(rnd)
    if raters is None:
        raise Refusal(f"{label}评分刚刚已被发布或作废，未作改动。")
    for rater in sorted(raters):
        await ctx.store.outbox.enqueue(
            f"rate-void:{rnd.id}:{rater}", [rater], "text",
            {"content": f"{quarter} 评分已由考核办作废，无需再评分，之前收到的评分卡片不再有效。"}, ctx.now,
        )
    await ctx.audit("round.void", f"{quarter}: {len(raters)} raters told")
    return (
        f"✅ 已作废{label}评分：已删除全部评分卡、评分和提交记录，{len(raters)} 位评分人已收到作废通知。"
        f"如需重新评分，发送「开启评分 {quarter}」。"
    )


# ---- publishing ------------------------------------------------------------------------


def _d(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class _Owed:
    """What a quarter deducts as of today (R-LOG-6), for the cadres placed in it."""

    missing: dict[str, list[date]]  # overdue log days: closed for backfill, no log, no approved leave
    summary_missing: set[str]  # who owes the quarterly summary and has not written it
    backfillable: int  # cadres with a missing day still open for backfill (not deducted yet)


async def _owed(ctx: Ctx, quarter: QuarterId, userids: Sequence[str]) -> _Owed:
    go_live = go_live_date(ctx.settings, ctx.directory)
    writers = await ctx.store.summaries.writers("quarter", str(quarter))
    summary_owed = owed_period(quarter.last_day, go_live)
    people = [ctx.directory.people[userid] for userid in sorted(userids)]
    owed = await missing_by_person(
        ctx.store, ctx.calendar, people, counting_start(quarter.first_day, go_live), quarter.last_day,
        ctx.settings.logs.backfill_working_days,
    )
    return _Owed(
        {userid: overdue_days(days, ctx.today) for userid, days in owed.items()},
        {userid for userid in userids if summary_owed and userid not in writers},
        sum(1 for days in owed.values() if any(m.open_on(ctx.today) for m in days)),
    )


async def publish_round(ctx: Ctx, rnd: QuarterRound, *, force: bool = False) -> str:
    """Publish a closed round; `force` (强制发布) publishes a round nobody handed in, or while
    the quarter's summary window is open, saying what it deducted early."""
    quarter = quarter_of(rnd)
    label = quarter_label(quarter)
    if rnd.status == RoundStatus.voided:
        raise Refusal(f"{label}评分已作废，没有可发布的结果。")
    if rnd.status == RoundStatus.open:
        raise Refusal(f"{label}评分还在进行中，请先「关闭评分 {quarter}」再发布。")
    if rnd.status == RoundStatus.published:
        raise Refusal(
            f"{label}结果已经发布过了。如发布后补批了请假、出差等，需要按现在的情况重新计算扣减，"
            f"请发送「发布结果 {quarter} 重新发布」（命令行 shiji round publish {quarter} --republish）："
            "原版本保留，只通知结果有变化的人。"
        )
    scores = await ctx.store.rating.scores_by_ratee(rnd.id)
    placed = await placed_for_period(ctx.store, quarter.first_day, quarter.last_day, ctx.settings.roster.quarter_rule)
    owed = await _owed(ctx, quarter, list(placed))
    early = window_guard(
        ctx.settings, ctx.calendar, ctx.today, SummaryPeriod("quarter", quarter.year, quarter.quarter),
        force=force, command=f"发布结果 {quarter}",
        deducts=f"{len(owed.summary_missing)} 人按未交季度小结扣分，"
        f"{owed.backfillable} 人尚有可补录的缺交日志、发布后不再计入",
    )
    if not scores and not force:
        raise Refusal(
            f"{label}评分没有任何人提交，发布会给 {len(placed)} 人各发一条「无人评分」的结果，未发布。"
            f"确需发布，请发送「发布结果 {quarter} 强制发布」（命令行加 --force）。"
        )
    inputs: list[QuarterInput] = []
    for userid, line in sorted(placed.items()):
        assert line.rank is not None  # a serving line is never a superior leader's
        inputs.append(QuarterInput(
            userid=userid,
            unit=line.unit,
            unit_category=UnitCategory(ctx.directory.units[int(line.unit)].category),
            role=line.role,
            rank=line.rank,
            scores_by_group={RaterGroup(g): s for g, s in scores.get(userid, {}).items()},
            missing_log_days=len(owed.missing[userid]),
            missing_quarter_summary=userid in owed.summary_missing,
        ))
    results = score_quarters(inputs, ctx.cfg)
    rankings = rank_within_units(results)
    levels = rank_within_levels(results)
    rows = []
    for result in results:
        ranking = rankings[result.unit]
        rows.append(CadreQuarter(
            round_id=rnd.id,
            version=1,
            userid=result.userid,
            unit_id=int(result.unit),
            score=_d(result.score),
            raw=_d(result.raw_score),
            deduction=str(result.deduction),
            missing_log_days=len(owed.missing[result.userid]),
            missing_dates=_dates_text(owed.missing[result.userid]),
            summary_missing=result.userid in owed.summary_missing,
            rank_level=result.rank.value,
            rank_in_level=levels[result.rank].position_of(result.userid),
            level_ranked=levels[result.rank].size,
            rank_in_unit=ranking.position_of(result.userid),
            unit_ranked=ranking.size,
            group_means=json.dumps({g.value: str(v) for g, v in result.group_means_visible.items()}),
            rater_counts=json.dumps({g.value: n for g, n in result.rater_counts.items()}),
        ))
    rows = graded(ctx, rows)
    await ctx.store.rating.save_results(rows)
    await ctx.store.rating.drop_lines(rnd.id)  # the composite stays; a one-person group's line would not be anonymous
    if not await ctx.store.rating.set_status(rnd.id, RoundStatus.closed, RoundStatus.published, ctx.now):
        raise Refusal(f"{label}结果刚刚已被发布。")
    await ctx.store.rating.add_publication(
        QuarterPublication(round_id=rnd.id, version=1, published_by=ctx.actor, published_at=ctx.now)
    )
    ctx.store.erase_after_commit()  # again: whatever the close's erasure could not finish
    for row in rows:
        if ctx.directory.get(row.userid) is None:
            continue  # left since: the result is kept, no message goes out
        await ctx.store.outbox.enqueue(
            f"rate-result:{rnd.id}:{row.userid}", [row.userid], "text",
            {"content": f"📊 {label}实绩考核结果\n" + result_text(ctx, row)}, ctx.now,
        )
    rated = sum(1 for r in rows if r.score is not None)
    await ctx.audit("round.publish", f"{quarter}: {rated} scored, {len(rows) - rated} unrated"
                    + (", forced while the summary window was open" if early else ""))
    answer = f"✅ 已发布{label}结果：{rated} 人有得分，{len(rows) - rated} 人无人评分；每人已收到本人得分和单位排名。" + early
    short = sorted({
        ctx.directory.units[r.unit_id].name if r.unit_id in ctx.directory.units else str(r.unit_id)
        for r in rows if r.score is not None and not quarter_shown_of(ctx, r).score
    }, key=text_key)
    return answer + ("\n" + short_of_raters_zh(short, ctx.cfg.min_group_size) if short else "")


def graded(ctx: Ctx, rows: Sequence[CadreQuarter]) -> list[CadreQuarter]:
    """`rows` with their 平时考核 grades (scoring.grades.quarter_grades), unit by unit: the
    bands, then the unit's cap on 好, sized by everyone the unit placed in the quarter."""
    units: dict[int, list[CadreQuarter]] = defaultdict(list)
    for row in rows:
        units[row.unit_id].append(row)
    grades: dict[str, str] = {}
    for members in units.values():
        scores = {r.userid: Decimal(r.score) for r in members if r.score is not None}
        grades.update(quarter_grades(scores, ctx.settings.grades, headcount=len(members)))
    return [replace(row, grade=grades.get(row.userid)) for row in rows]


def _dates_text(days: Sequence[date]) -> str:
    return ",".join(day.isoformat() for day in days)


# ---- re-publishing -----------------------------------------------------------------------

# Changes listed in the admin's answer; the rest are counted (the version stores them all).
CHANGES_SHOWN = 200


async def republish_round(ctx: Ctx, rnd: QuarterRound) -> str:
    """The admin's 「发布结果 2026Q4 重新发布」 (issue 28): a published quarter recomputed with
    what it deducts today — log days excused by leave approved since, days whose backfill
    window has closed since, the quarterly summary — from each cadre's published weighted
    score, since the ballots were deleted at publishing (drop_lines, R-RATE-5). Who is in the
    quarter, in which unit and rank level, and the raters behind each score stay as published.

    A new version is stored only if a figure changed; the earlier ones stay. Only the cadres
    whose figures changed are told, old → new and why; the admin's answer counts them and says
    when a published year rests on the old figures."""
    quarter = quarter_of(rnd)
    label = quarter_label(quarter)
    if rnd.status != RoundStatus.published:
        next_step = {
            RoundStatus.closed: f"请发送「发布结果 {quarter}」发布。",
            RoundStatus.open: f"评分还在进行中，请先「关闭评分 {quarter}」再发布。",
        }.get(rnd.status, "")
        raise Refusal(f"{label}结果尚未发布，没有可重新发布的结果，未作任何更改。{next_step}")
    prior = (await ctx.store.rating.publications(rnd.id))[-1]
    version = prior.version + 1
    before = await ctx.store.results.round_results(rnd.id, prior.version)
    after = _rescored(ctx, before, await _owed(ctx, quarter, [r.userid for r in before]), version)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if _figures(old) != _figures(new)]
    if not changed:
        raise Refusal(
            f"按现在的缺记日志、请假、出差和季度小结重新计算，{label}结果与第 {prior.version} 版完全相同，"
            "未重新发布：没有保存新版本，也没有通知任何人。"
        )
    changes = "\n".join(_change_line(ctx, old, new) for old, new in changed)
    if not await ctx.store.rating.add_publication(QuarterPublication(
        round_id=rnd.id, version=version, published_by=ctx.actor, published_at=ctx.now, changes=changes,
    )):
        raise Refusal(f"{label}结果刚刚已被重新发布（第 {version} 版），未作任何更改。")
    await ctx.store.rating.save_results(after)
    told = 0
    for old, new in changed:
        notice = _notice(ctx, label, version, old, new)
        if notice is None or ctx.directory.get(new.userid) is None:
            continue  # nothing they can see changed, or left since: the row is kept, no message
        await ctx.store.outbox.enqueue(
            f"rate-result:{rnd.id}:v{version}:{new.userid}", [new.userid], "text", {"content": notice}, ctx.now,
        )
        told += 1
    await ctx.audit("round.republish", f"{quarter} version {version}: {len(changed)} changed, {told} notified")
    shown = changes.splitlines()
    listed = "\n".join(shown[:CHANGES_SHOWN]) + (
        f"\n……另有 {len(shown) - CHANGES_SHOWN} 人，完整名单：shiji round versions {quarter}"
        if len(shown) > CHANGES_SHOWN else ""
    )
    return (
        f"✅ 已重新发布{label}结果（第 {version} 版，第 {prior.version} 版保留备查）：{len(changed)} 人的结果有变化，"
        f"{told} 人已收到更正通知；其余 {len(after) - len(changed)} 人不变，未通知。\n与第 {prior.version} 版相比：\n"
        + listed + await _year_note(ctx, quarter, changed)
    )


def _rescored(ctx: Ctx, before: Sequence[CadreQuarter], owed: _Owed, version: int) -> list[CadreQuarter]:
    """`before` (a published version) with today's deductions and the places they give."""
    rows = []
    for old in before:
        days, summary = owed.missing[old.userid], old.userid in owed.summary_missing
        deduction, score = rescore(_decimal(old.raw), len(days), summary, ctx.cfg)
        if (len(days), summary) == (old.missing_log_days, old.summary_missing):
            deduction, score = Decimal(old.deduction), _decimal(old.score)  # untouched to the cent
        rows.append(replace(
            old, version=version, score=_d(score), deduction=str(deduction),
            missing_log_days=len(days), missing_dates=_dates_text(days), summary_missing=summary,
        ))
    # Who is ranked where stays as published: only the scores move. (A unit ranking reads no
    # level; a row published before levels were kept has no place in one.)
    units = rank_within_units(ScoredCadre(r.userid, str(r.unit_id), Rank.general, _decimal(r.score)) for r in rows)
    levels = rank_within_levels(
        ScoredCadre(r.userid, str(r.unit_id), Rank(r.rank_level), _decimal(r.score)) for r in rows if r.rank_level
    )
    return graded(ctx, [
        replace(
            row, rank_in_unit=units[str(row.unit_id)].position_of(row.userid),
            rank_in_level=levels[Rank(row.rank_level)].position_of(row.userid) if row.rank_level else row.rank_in_level,
        )
        for row in rows
    ])


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _figures(row: CadreQuarter) -> tuple[object, ...]:
    """What a re-publish compares: everything a reader of the row is shown that can change."""
    return (row.score, row.deduction, row.missing_dates, row.missing_log_days, row.summary_missing,
            row.rank_in_unit, row.rank_in_level, row.grade)


def _why(ctx: Ctx, old: CadreQuarter, new: CadreQuarter) -> list[str]:
    """Why a row changed, in the deduction's own terms; a place moved by others says so."""
    reasons = []
    was = {d for d in old.missing_dates.split(",") if d}
    now = {d for d in new.missing_dates.split(",") if d}
    if old.missing_log_days != new.missing_log_days or was != now:
        if old.missing_log_days == new.missing_log_days:
            text = f"缺记日志仍为 {new.missing_log_days} 天，日期有变化"
        else:
            verb = "减为" if new.missing_log_days < old.missing_log_days else "增为"
            text = f"缺记日志由 {old.missing_log_days} 天{verb} {new.missing_log_days} 天"
        if gone := sorted(was - now):
            text += f"；{_days_zh(gone)}已不计缺记（请假、出差已批准，或按更正后的名册无需记载）"
        if added := sorted(now - was):
            text += f"；{_days_zh(added)}计为缺记（已过补记期限，仍无日志和批准的请假）"
        reasons.append(text)
    if old.summary_missing != new.summary_missing:
        amount = round_score(quarter_deduction(0, True, ctx.cfg))
        reasons.append(f"季度小结已计入，不再扣 {amount} 分" if old.summary_missing
                       else f"季度小结按未交计，扣 {amount} 分")
    if not reasons:
        moved = [what for what, was, now in (
            ("名次", (old.rank_in_unit, old.rank_in_level), (new.rank_in_unit, new.rank_in_level)),
            ("平时考核等次", old.grade, new.grade),  # the unit's cap on 好 moves with others' scores
        ) if was != now]
        reasons.append(f"您的扣减没有变化；同单位或同职级其他干部的结果更正后，{'和'.join(moved) or '名次'}随之变化")
    return reasons


def _days_zh(days: Sequence[str]) -> str:
    return "、".join(f"{d.month}月{d.day}日" for d in map(date.fromisoformat, days))


def _seen(ctx: Ctx, row: CadreQuarter) -> list[tuple[str, str]]:
    """What the cadre reads of their own row that a re-publish can change, (label, value)."""
    seen = [("扣减", f"{row.deduction} 分")]
    if row.score is not None and quarter_shown_of(ctx, row).score:
        seen.insert(0, ("得分", f"{row.score} 分"))
    if row.grade is not None:
        seen.append(("平时考核", row.grade))
    for place in own_places(ctx, row):
        seen.append((f"在{place.where}的名次", f"第 {place.position} 名（共 {place.size} 人）"))
    return seen


def _notice(ctx: Ctx, label: str, version: int, old: CadreQuarter, new: CadreQuarter) -> str | None:
    """The changed cadre's message: what they see, old → new, why, then the corrected result;
    None when nothing they can see changed (a place behind a withheld score)."""
    was = dict(_seen(ctx, old))
    lines = [f"{name}：{was.get(name, '无')} → {value}" for name, value in _seen(ctx, new) if was.get(name) != value]
    if not lines:
        return None
    return (
        f"📊 {label}实绩考核结果已更正（第 {version} 版）\n" + "\n".join(lines)
        + "\n原因：" + "；".join(_why(ctx, old, new)) + "。\n【更正后的结果】\n" + result_text(ctx, new)
    )


def _change_line(ctx: Ctx, old: CadreQuarter, new: CadreQuarter) -> str:
    """One cadre in the admins' list (and the version's stored changes): what changed, old →
    new, with a withheld score and its places left out as they are everywhere else."""
    parts = []
    if quarter_shown_of(ctx, new).score:
        if old.score != new.score:
            parts.append(f"得分 {old.score} → {new.score}")
        if old.rank_in_unit != new.rank_in_unit:
            parts.append(f"本单位第 {old.rank_in_unit} → {new.rank_in_unit} 名")
        if old.rank_in_level != new.rank_in_level:
            parts.append(f"同职级第 {old.rank_in_level} → {new.rank_in_level} 名")
    elif old.score != new.score or old.rank_in_unit != new.rank_in_unit or old.rank_in_level != new.rank_in_level:
        parts.append(f"得分和名次有变化（评分人不足 {ctx.cfg.min_group_size} 人，不公布）")
    if old.deduction != new.deduction:
        parts.append(f"扣减 {old.deduction} → {new.deduction}")
    if old.missing_log_days != new.missing_log_days or old.missing_dates != new.missing_dates:
        parts.append(f"缺记日志 {old.missing_log_days} → {new.missing_log_days} 天")
    if old.summary_missing != new.summary_missing:
        parts.append("季度小结 " + ("未交 → 已计入" if old.summary_missing else "已计入 → 未交"))
    if old.grade != new.grade:
        parts.append(f"平时考核 {grade_zh(old)} → {grade_zh(new)}")
    person = ctx.directory.people.get(new.userid)
    who = f"{person.name}（{person.unit.name}）" if person else new.userid
    return f"· {who}：" + "，".join(parts)


async def _year_note(ctx: Ctx, quarter: QuarterId, changed: Sequence[tuple[CadreQuarter, CadreQuarter]]) -> str:
    """When the quarter's year is already published and counts a changed score: it now differs,
    and re-publishing the year (its own explicit correction) brings it in line."""
    year = await ctx.store.year.published(quarter.year)
    if year is None:
        return ""
    counted = [
        new.userid for old, new in changed
        if old.score != new.score and (row := year.of(new.userid)) is not None
        and str(quarter.quarter) in row.quarters.split(",")
    ]
    if not counted:
        return f"\n{quarter.year} 年度结果（第 {year.version} 版）不受影响：变化的得分都不计入年度季度平均。"
    return (
        f"\n⚠️ {quarter.year} 年度结果（第 {year.version} 版）是按本季度原来的得分计算的，其中 {len(counted)} 人的"
        f"季度平均随之改变，年度结果现已与本季度结果不一致。请发送「发布年度结果 {quarter.year} 重新发布」"
        f"（命令行 shiji year publish {quarter.year} --republish）：系统重新计算年度结果，保留原版本，只通知结果有变化的人。"
    )


def quarter_shown_of(ctx: Ctx, row: CadreQuarter, *, viewer_may_be_rater: bool = False) -> QuarterShown:
    """What of a published quarter row may be shown (scoring.disclosure); `viewer_may_be_rater`
    for a cadre looking at someone else's row."""
    counts = {RaterGroup(g): n for g, n in json.loads(row.rater_counts).items()}
    return quarter_shown(counts, ctx.cfg.min_group_size, viewer_may_be_rater=viewer_may_be_rater)


@dataclass(frozen=True)
class Place:
    where: str  # 本单位 / 全区副科级
    position: int
    size: int


def own_places(ctx: Ctx, row: CadreQuarter) -> list[Place]:
    """The places a cadre is told of their own quarter (scoring.disclosure): in the unit unless
    a withheld score would show through the unit's list they also see; in the rank level."""
    places = []
    person = ctx.directory.get(row.userid)
    sees_unit_list = person is not None and ranking_view(person, False, person.unit.id) is RankingView.whole
    if row.rank_in_unit is not None and own_unit_place_shown(quarter_shown_of(ctx, row).score, sees_unit_list):
        places.append(Place("本单位", row.rank_in_unit, row.unit_ranked))
    if row.rank_in_level is not None and row.rank_level:
        places.append(Place(f"全区{RANK_ZH[Rank(row.rank_level)]}", row.rank_in_level, row.level_ranked))
    return places


def result_text(ctx: Ctx, row: CadreQuarter, *, filed: bool = False) -> str:
    """A cadre's published quarter and how it was made: groups and weights, each deduction,
    the result and the places (「在本单位 12 人中排第 4 名，在全区副科级 387 人中排第 120 名」).

    A score resting on fewer than `min_group_size` raters is withheld (scoring.disclosure);
    its places stay for the cadre themself. `filed`: the text goes into the archive, filed
    with everyone else's, so a withheld score's places go with it, and it speaks as a form
    does (third person, no chat commands) rather than to the cadre.
    """
    k = ctx.cfg.min_group_size
    counts = {RaterGroup(g): n for g, n in json.loads(row.rater_counts).items()}
    deduction = _deduction_lines(ctx, row)
    if row.score is None:
        lines = ["本季度无评分人，无得分。" if filed else "本季度无人为您评分，暂无得分。"]
        if deduction:
            lines.append("自动扣减（有得分时从中扣除）：" + "；".join(deduction))
        return "\n".join(lines if filed else [*lines, "发送「我的得分」可随时查看。"])
    shown = quarter_shown_of(ctx, row)
    places = [f"在{p.where} {p.size} 人中排第 {p.position} 名" for p in own_places(ctx, row)]
    score_label = "季度得分" if filed else "您的得分"
    grade = grade_line(ctx, row)
    if not shown.score:
        lines = [f"{score_label}：{withheld_zh(k)}（得分照常计算，用于排名和评优）。", grade]
        if not filed and places:
            lines.append("，".join(places) + "。")
        advice = "" if filed else "本单位可由主要领导发送「增加参评」提议增加参评人员。"
        lines.append(f"评分人：{count_zh(sum(counts.values()), k)}。{advice}")
        if deduction:
            lines.append(f"自动扣减 {row.deduction} 分（已从得分中扣除）：" + "；".join(deduction))
        if not filed:
            lines.append("发送「我的得分」可随时查看。")
        return "\n".join(lines)
    lines = [f"{score_label}：{row.score} 分，{'，'.join(places)}。", grade]
    lines.append("得分构成：" if filed else "怎么算的：")
    unit = ctx.directory.units.get(row.unit_id)
    present = [g for g in RaterGroup if counts.get(g)]
    weights = weights_for(unit.category, present, ctx.cfg) if unit else None
    raters = "、".join(f"{GROUP_ZH[g]} {count_zh(counts[g], k)}" for g in present)
    if weights:
        shares = "、".join(f"{GROUP_ZH[g]} {_percent(weights[g])}" for g in present)
        empty = [GROUP_ZH[g] for g in RaterGroup if not counts.get(g)]
        moved = f"（{'、'.join(empty)}无人评分，其权重按比例分给其余各组）" if empty else ""
        lines.append(f"① 评分人：{raters}；权重：{shares}{moved}")
    else:
        lines.append(f"① 评分人：{raters}")
    means = json.loads(row.group_means)
    if means and shown.group_means:
        lines.append("② 各组平均分：" + "，".join(f"{GROUP_ZH[RaterGroup(g)]} {v}" for g, v in means.items())
                     + f"；加权得 {row.raw} 分")
    else:
        lines.append(f"② 加权得 {row.raw} 分（有评分组不足 {k} 人，为保护匿名只公布总分）")
    if deduction:
        lines.append(f"③ 扣减 {row.deduction} 分：" + "；".join(deduction))
        lines.append(f"= {row.raw} − {row.deduction} = {row.score} 分")
    else:
        lines.append("③ 无扣减：日志和季度小结均按时完成。" if filed else "③ 无扣减：日志和季度小结都按时完成。")
    if not filed:
        lines.append("发送「我的得分」可随时查看。")
    return "\n".join(lines)


def grade_zh(row: CadreQuarter) -> str:
    """A published quarter's 平时考核 grade as a reader sees it."""
    if row.grade is not None:
        return row.grade
    return "无得分，不评定" if row.score is None else "未评定（本功能上线前发布）"


def grade_line(ctx: Ctx, row: CadreQuarter) -> str:
    """「平时考核：较好」, saying why when the score's band was 好 but the unit's cap was full
    (公务员平时考核办法（试行）; bands and cap in [grades])."""
    line = f"平时考核：{grade_zh(row)}"
    rules = ctx.settings.grades
    if row.grade == QuarterGrade.fairly_good and row.score is not None and band_grade(Decimal(row.score), rules) is QuarterGrade.good:
        line += f"（得分达到「好」的分数段，但本单位「好」不超过 {_percent(Fraction(rules.good_share))}，名额已满，按得分评为「较好」）"
    return line + "。"


def _percent(share: Fraction) -> str:
    return f"{float(share * 100):.4g}%"


def _deduction_lines(ctx: Ctx, row: CadreQuarter) -> list[str]:
    """Each automatic deduction (R-LOG-6) with what caused it, by the rule that made it."""
    lines = []
    if row.missing_log_days:
        amount = round_score(quarter_deduction(row.missing_log_days, False, ctx.cfg))
        days = [date.fromisoformat(d) for d in row.missing_dates.split(",") if d]
        which = f"（{'、'.join(f'{d.month}月{d.day}日' for d in days)}）" if days else ""
        capped = f"，每季度最多扣 {ctx.cfg.log_deduction_cap} 分" if amount == ctx.cfg.log_deduction_cap else ""
        lines.append(
            f"缺记日志 {row.missing_log_days} 天 × {ctx.cfg.log_deduction_per_day} 分 = {amount} 分{capped}{which}"
        )
    if row.summary_missing:
        lines.append(f"未交季度小结 {round_score(quarter_deduction(0, True, ctx.cfg))} 分")
    return lines


# ---- progress --------------------------------------------------------------------------


# ---- scheduled work --------------------------------------------------------------------


async def auto_open(ctx: Ctx) -> str | None:
    """Open last quarter's round when it is due (scoring.rounds.round_due) and not open yet."""
    rating = ctx.settings.rating
    quarter = round_due(
        ctx.calendar, ctx.now, open_after=rating.open_after_working_days,
        duration=rating.duration_working_days, open_at=rating.open_at,
    )
    if quarter is None:
        return None
    if await ctx.store.rating.round_by_quarter(str(quarter)) is not None:
        return None  # open, closed, published or voided: never reopened by itself
    if not owed_period(quarter.last_day, go_live_date(ctx.settings, ctx.directory)):
        return None  # a quarter that ended before go-live has no round
    return await open_round(ctx, quarter)


async def auto_close(ctx: Ctx) -> list[str]:
    done = []
    for rnd in await ctx.store.rating.rounds(RoundStatus.open):
        if ctx.now >= rnd.closes_at:
            done.append(await close_round(ctx, rnd))
    return done


async def remind(ctx: Ctx) -> int:
    """Once a day per round and rater (outbox key), to raters who have not handed in."""
    sent = 0
    for rnd in await ctx.store.rating.rounds(RoundStatus.open):
        if not rater_reminder_due(rnd.status, rnd.opened_at, rnd.closes_at, ctx.now):
            continue
        todos = {todo.rater: todo for todo in await ctx.store.rating.todo(rnd.id)}

        def key(rater: str, rnd_id: int = rnd.id) -> str:
            return f"rate-remind:{rnd_id}:{ctx.today.isoformat()}:{rater}"

        # Claimed first: once a day per round and rater, within each rater's daily budget.
        for rater in await ctx.store.reminders.claim(
            f"rate:{rnd.id}", ctx.today, list(todos), key, ctx.now, budget=ctx.settings.reminders.daily_budget
        ):
            if await ctx.store.outbox.enqueue(
                key(rater), [rater], "text", {"content": "⏰ " + _reminder(ctx, rnd, todos[rater])}, ctx.now,
            ):
                sent += 1
    return sent


def _reminder(ctx: Ctx, rnd: QuarterRound, todo: RaterTodo) -> str:
    label, deadline = quarter_label(quarter_of(rnd)), deadline_text(ctx, rnd.closes_at)
    left = todo.cards - todo.answered
    if left:
        return (
            f"{label}评分提醒：您还有 {left} 位同事未评分（已评 {todo.answered}/{todo.cards}），"
            f"截止 {deadline}。发送「评分」可重新收到未评的卡片。"
        )
    return (
        f"{label}评分提醒：您已评完 {todo.cards} 人，还差最后一步——"
        f"请点「提交评分」或发送「评分 提交」，截止 {deadline}。"
    )


async def nudge(ctx: Ctx, rnd: QuarterRound) -> list[str]:
    """The admin's 催交评分: remind every rater who has not handed in, now. Returns their
    userids; a second nudge in the same minute (a double tap) sends nothing again."""
    label = quarter_label(quarter_of(rnd))
    if not is_open(rnd, ctx.now):
        raise Refusal(f"{label}评分{status_zh(rnd)}，不能再催交。")
    nudged = []
    for todo in await ctx.store.rating.todo(rnd.id):
        # Worded apart from the daily reminder: WeCom drops an identical text within 30 min.
        if await ctx.store.outbox.enqueue(
            f"rate-nudge:{rnd.id}:{ctx.now:%Y%m%d%H%M}:{todo.rater}", [todo.rater], "text",
            {"content": "📣 考核办提醒：" + _reminder(ctx, rnd, todo)}, ctx.now,
        ):
            nudged.append(todo.rater)
    if nudged:
        await ctx.audit("round.nudge", f"{quarter_of(rnd)}: {len(nudged)} raters reminded")
    return nudged


# ---- results afterwards ----------------------------------------------------------------


async def published_round(ctx: Ctx, args: str) -> QuarterRound:
    if not args.strip() and not await ctx.store.rating.rounds(RoundStatus.published):
        raise Refusal("还没有发布过季度考核结果。考核办发布后，您会收到本人得分，也可发送「我的得分」查看。")
    rnd = await round_for(ctx, args, default_status=(RoundStatus.published,))
    if rnd.status != RoundStatus.published:
        raise Refusal(f"{quarter_label(quarter_of(rnd))}结果尚未发布，发布后即可查看。")
    return rnd



QUARTER: RoundKind[QuarterRound] = RoundKind(
    name="rating", key="rate", card_prefix=RATE_PREFIX,
    label=lambda rnd: f"{quarter_label(quarter_of(rnd))}评分", round_key=lambda rnd: rnd.quarter,
    command="评分", card_word="评分卡片", unfinished="未评",
    none_open="目前没有进行中的季度评分。评分开启后，您会在聊天中收到评分卡片。",
    rater="评分人", rated="已评", nudge_hint="发送「催交评分」可立即提醒他们。",
    box=lambda store: store.rating, rounds=lambda store, status: store.rating.rounds(status),
    by_id=lambda store, round_id: store.rating.round_by_id(round_id),
    auto_open=auto_open, auto_close=auto_close, remind=remind,
    open_at=lambda s: s.rating.open_at, remind_at=lambda s: s.rating.remind_at, close_at=lambda s: s.rating.close_at,
)

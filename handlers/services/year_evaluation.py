"""民主测评 (R-YEAR-1): open, mark, hand in, close, remind — the year's evaluation round.

The round kernel's second kind (`YEAR`, handlers/services/rounds.py; the quarter's rating is
the first): the deadline wording, queuing the cards, the submit token, the progress report and the
scheduled jobs are the kernel's, and underneath is the same anonymous ballot box
(storage/ballot_box.py). Chat commands, `shiji year …` and the scheduled jobs all call these
functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import cast

from handlers.base import Ctx, Refusal
from handlers.cards import SentCard, ballot_cards_to_update, queue_card_update
from handlers.render.year_cards import (
    EVAL_PREFIX,
    FINISHED,
    eval_task_id,
    evaluation_card,
    handed_in_card,
    submit_card,
    submit_task_id,
    year_label,
)
from handlers.services.golive import go_live_date
from handlers.services.publish_guard import publish_when
from handlers.services.rounds import (
    RoundCard,
    RoundCardSender,
    RoundKind,
    deadline_text,
    is_open,
    name_of,
    status_zh,
)
from handlers.services.year_imports import missing_units
from handlers.services.year_publish import year_people
from scoring.golive import owed_period
from scoring.rounds import may_open_round, rater_reminder_due, round_closes_at
from scoring.summary_window import SummaryPeriod
from scoring.types import DIMENSIONS_ZH, Member, Role
from scoring.workdays import QuarterId
from scoring.year_end import ALL_PAIRS, evaluation_assignments, evaluation_due, unfinished_lines
from storage.ballot_box import FIRST_SEND
from storage.models_year import MARK_COLUMNS
from storage.records import EvaluationCard, RoundStatus, YearRound


def _pairs(ctx: Ctx) -> frozenset[tuple[Role, Role]]:
    given = ctx.settings.year.evaluators
    if not given:
        return ALL_PAIRS
    return frozenset((Role(a), Role(b)) for a, _, b in (pair.partition(":") for pair in given))


async def evaluation_for(ctx: Ctx, args: str, *, statuses: tuple[RoundStatus, ...]) -> YearRound:
    """The evaluation a command names (`2026`), or the latest one in `statuses`."""
    text = args.strip().removesuffix("年度").removesuffix("年")
    if text:
        if not (text.isdigit() and len(text) == 4):
            raise Refusal(f"看不懂年份「{args.strip()}」。请写成 2026 这样的四位年份。")
        found = await ctx.store.year.evaluation.by_year(int(text))
        if found is None:
            raise Refusal(f"{year_label(int(text))}还没有开启过。")
        return found
    rounds = [r for r in await ctx.store.year.evaluation.rounds() if r.status in statuses]
    if not rounds:
        raise Refusal("目前没有符合条件的民主测评。可以在命令后写上年份，例如 2026。")
    return rounds[-1]


# ---- opening ---------------------------------------------------------------------------


async def open_evaluation(ctx: Ctx, year: int, opened_by: str) -> str:
    """Create the year's evaluation, its cards for every evaluator, and queue them."""
    label = year_label(year)
    if await ctx.store.year.evaluation.by_year(year) is not None:
        raise Refusal(f"{label}已经开启过，不能重复开启。")
    if not may_open_round(QuarterId(year, 4), ctx.today):  # the year is over with its Q4
        raise Refusal(f"{year} 年到 12月31日才结束，年度结束后才能开启{label}。")
    rating = ctx.settings.rating
    closes_at = round_closes_at(ctx.calendar, ctx.now, duration=rating.duration_working_days, close_at=rating.close_at)
    ev = await ctx.store.year.evaluation.create(year, opened_by, ctx.now, closes_at)
    if ev is None:
        raise Refusal(f"{label}刚刚已被开启，不能重复开启。")
    extras = await ctx.store.rating.extra_raters()
    pairs = _pairs(ctx)
    # Colleagues are those of the unit the year ranks each cadre in (roster.year_rule); someone
    # who has left since is evaluated for the year they served but evaluates nobody.
    units: defaultdict[int, list[Member]] = defaultdict(list)
    for person in (await year_people(ctx, year)).values():
        units[person.unit.id].append(Member(person.userid, person.role))
    rows: list[tuple[str, str, int]] = []
    for unit_id, members in sorted(units.items()):
        extra = {u for u in extras.get(unit_id, ()) if ctx.directory.get(u) is not None}
        found = evaluation_assignments(members, extra, ctx.cfg, pairs)
        rows += [(rater, ratee, unit_id) for rater, ratee in found if ctx.directory.get(rater) is not None]
    made = await ctx.store.year.evaluation.add_assignments(ev.id, rows)
    await queue_cards(ctx, ev, made, key_suffix=FIRST_SEND)
    raters = {a.rater for a in made}
    await ctx.audit("year_eval.open", f"{year}: {len(raters)} raters, {len(made)} cards")
    return (
        f"✅ 已开启{label}：{len(raters)} 位测评人、{len(made)} 张测评卡已排队发送，"
        f"截止 {deadline_text(ctx, closes_at)}。发送「测评进度」查看各单位提交情况。"
    )


async def queue_cards(
    ctx: Ctx, ev: YearRound, cards: Sequence[EvaluationCard], *, key_suffix: str,
    totals: dict[str, int] | None = None, drafts: dict[str, dict[int, int]] | None = None,
) -> None:
    """One card per colleague (showing `drafts`' marks), then the rater's submit card saying
    how many colleagues they evaluate in all (`totals`, default: these cards), by
    the round kernel's `RoundCardSender`; a rater in `totals` gets the submit card even without
    cards. Keyed by the ballot box, which finds them again at hand-in (`drop_traces`)."""
    scores, year = ctx.settings.year.card_scores, ev.year
    deadline = deadline_text(ctx, ev.closes_at)

    def render(look: object, task_id: str) -> dict[str, object] | None:
        userid, marks = cast(tuple[str, tuple[tuple[int, int], ...]], look)
        ratee = ctx.directory.people.get(userid)
        if ratee is None:  # left the roster since: evaluated for the year served, no card
            return None
        return evaluation_card(task_id=task_id, year=year, ratee=ratee, marks=dict(marks), step=0, card_scores=scores)

    sender = RoundCardSender(
        ctx, ctx.store.year.evaluation, ev.id, key_suffix=key_suffix, render=render,
        task_ids=lambda ids: [eval_task_id(year, card_id) for card_id in ids],
        render_submit=lambda count, task_id: submit_card(task_id=task_id, year=year, cards=count, deadline=deadline),
        submit_task_id=lambda token: submit_task_id(year, token),
    )
    marks = drafts or {}
    await sender.cards([
        RoundCard(card.id, card.rater, (card.ratee, tuple(sorted(marks.get(card.ratee, {}).items()))))
        for card in cards
    ])
    for rater in totals or {}:
        sender.expect(rater)
    await sender.submit_cards({**sender.queued, **(totals or {})})


# ---- marks and hand-in -----------------------------------------------------------------


async def refuse_if_handed_in(ctx: Ctx, ev: YearRound, rater: str) -> None:
    if await ctx.store.year.evaluation.has_handed_in(ev.id, rater):
        raise Refusal(f"您已提交{year_label(ev.year)}，提交后不能再修改。")


def unfinished_text(ctx: Ctx, unfinished: dict[str, tuple[int, ...]]) -> str:
    return "\n".join(
        f"· {name_of(ctx, ratee)}：还缺{'、'.join(DIMENSIONS_ZH[i] for i in dims)}"
        for ratee, dims in unfinished.items()
    )


async def _seal(ctx: Ctx, ev: YearRound, rater: str) -> tuple[bool, dict[str, tuple[int, ...]], int]:
    """Hand in a complete ballot; (sealed, what is unfinished, lines)."""
    box = ctx.store.year.evaluation
    cards = await box.assignments_of(ev.id, rater)
    drafts = await box.drafts(ev.id, rater)
    unfinished = unfinished_lines(drafts, [c.ratee for c in cards])
    if unfinished:
        return False, unfinished, len(cards)
    lines = [
        {"ratee": c.ratee, **{col: drafts[c.ratee][i] for i, col in enumerate(MARK_COLUMNS)}}
        for c in cards
    ]
    return await box.seal(ev, rater, lines), {}, len(cards)


async def show_marks(ctx: Ctx, ev: YearRound, card: EvaluationCard, marks: dict[int, int]) -> bool:
    """Marks given by text, shown on the colleague's cards the rater holds (each card can be
    updated once, within WeCom's time: handlers/cards.py). False if none could be."""
    ratee = ctx.directory.people.get(card.ratee)
    sent = await ballot_cards_to_update(
        ctx.store, ctx.store.year.evaluation, ev.id, card.rater, ctx.now, [card.id], submit=False,
    )
    if ratee is None or not sent:
        return False
    step = FINISHED if len(marks) == len(DIMENSIONS_ZH) else 0
    for each, _ in sent:
        await queue_card_update(ctx.store, each, evaluation_card(
            task_id=each.task_id, year=ev.year, ratee=ratee, marks=marks, step=step,
            card_scores=ctx.settings.year.card_scores,
        ), ctx.now)
    return True


async def hand_in(ctx: Ctx, ev: YearRound, rater: str) -> str:
    label = year_label(ev.year)
    await refuse_if_handed_in(ctx, ev, rater)
    if not is_open(ev, ctx.now):
        raise Refusal(f"{label}已截止，无法再提交。")
    # Asked before the seal, which drops the keys the cards went out under.
    held = await ballot_cards_to_update(ctx.store, ctx.store.year.evaluation, ev.id, rater, ctx.now)
    sealed, unfinished, count = await _seal(ctx, ev, rater)
    if count == 0:
        raise Refusal(f"您在{label}中没有需要测评的同事。")
    if unfinished:
        raise Refusal(
            f"未能提交，还有 {len(unfinished)} 位同事的测评不完整（已填的分数均已保留）：\n"
            + unfinished_text(ctx, unfinished) + "\n发送「测评」可重新收到这些卡片。"
        )
    if not sealed:
        raise Refusal(f"您已提交{label}，提交后不能再修改。")
    await _show_handed_in(ctx, ev, rater, held, count)
    return (
        f"✅ 已提交{label}，共 {count} 人。测评已匿名保存（不记录测评人），"
        "聊天、报表和导出中都看不到您给了谁多少分。感谢参与！"
    )


async def _show_handed_in(
    ctx: Ctx, ev: YearRound, rater: str, held: list[tuple[SentCard, str | None]], count: int,
) -> None:
    """Every card the rater holds, updated to say it is handed in (no marks: they are sealed)."""
    cards = {c.id: c for c in await ctx.store.year.evaluation.assignments_of(ev.id, rater)}
    for sent, assignment_id in held:
        if assignment_id is None:
            card = submit_card(task_id=sent.task_id, year=ev.year, cards=count,
                               deadline=deadline_text(ctx, ev.closes_at), done=True,
                               note=f"您已提交{year_label(ev.year)}，提交后不能再修改。")
        elif assignment_id in cards and (ratee := ctx.directory.people.get(cards[assignment_id].ratee)):
            card = handed_in_card(task_id=sent.task_id, year=ev.year, ratee=ratee)
        else:
            continue
        await queue_card_update(ctx.store, sent, card, ctx.now, handed_in=True)


# ---- closing, reminders, progress ------------------------------------------------------


async def close_evaluation(ctx: Ctx, ev: YearRound) -> str:
    """Hand in complete unsubmitted ballots for their raters, drop the rest, reseal."""
    label = year_label(ev.year)
    box = ctx.store.year.evaluation
    if ev.status != RoundStatus.open:
        raise Refusal(f"{label}{status_zh(ev)}，无需关闭。")
    if not await box.close(ev.id, ctx.now):
        raise Refusal(f"{label}刚刚已被关闭。")
    auto = dropped = absent = 0
    for todo in await box.todo(ev.id):
        if todo.answered == 0:
            absent += 1
            continue
        sealed, unfinished, _count = await _seal(ctx, ev, todo.rater)
        if sealed:
            auto += 1
            text = f"{label}已截止。您未点提交，但测评已完整，系统已按您的测评代为提交。"
        else:
            await box.drop_traces(ev, todo.rater)
            dropped += 1
            text = f"{label}已截止。您的测评未提交且不完整，按规定作废：\n" + unfinished_text(ctx, unfinished)
        await ctx.store.outbox.enqueue(f"dem-closed:{ev.id}:{todo.rater}", [todo.rater], "text", {"content": text}, ctx.now)
    await box.reseal(ev)
    ctx.store.erase_after_commit()
    handed = len(await box.handed_in(ev.id))
    await ctx.audit("year_eval.close", f"{ev.year}: {handed} handed in ({auto} by the system), {dropped} voided, {absent} absent")
    missing = await missing_units(ctx, ev.year)
    return (
        f"✅ {label}已关闭：{handed} 人提交（其中 {auto} 人由系统代为提交），"
        f"{dropped} 人的未完成测评作废，{absent} 人未参加。"
        + (f"下一步：导入尚缺的 {len(missing)} 个单位的年度考核结果（shiji year import-unit-results {ev.year} 文件）；"
           if missing else "")
        + publish_when(ctx.settings, ctx.calendar, ctx.today, SummaryPeriod("year", ev.year), f"发布年度结果 {ev.year}")
    )


async def remind(ctx: Ctx) -> int:
    """Once a day per evaluation and rater (outbox key), to raters who have not handed in."""
    sent = 0
    for ev in await ctx.store.year.evaluation.rounds(RoundStatus.open):
        if not rater_reminder_due(ev.status, ev.opened_at, ev.closes_at, ctx.now):
            continue
        todos = {todo.rater: todo for todo in await ctx.store.year.evaluation.todo(ev.id)}

        def key(rater: str, ev_id: int = ev.id) -> str:
            return f"dem-remind:{ev_id}:{ctx.today.isoformat()}:{rater}"

        # Claimed first: once a day per evaluation and rater, within each rater's daily budget.
        for rater in await ctx.store.reminders.claim(
            f"dem:{ev.id}", ctx.today, list(todos), key, ctx.now, budget=ctx.settings.reminders.daily_budget
        ):
            todo = todos[rater]
            text = (
                f"⏰ {year_label(ev.year)}提醒：您需测评 {todo.cards} 位同事，尚未提交"
                f"（截止 {deadline_text(ctx, ev.closes_at)}）。发送「测评」可重新收到未完成的卡片，"
                "全部完成后发送「测评 提交」。"
            )
            if await ctx.store.outbox.enqueue(key(rater), [rater], "text", {"content": text}, ctx.now):
                sent += 1
    return sent


async def auto_open(ctx: Ctx) -> str | None:
    """Open last year's evaluation on the configured working day (settings [year])."""
    rating = ctx.settings.rating
    year = evaluation_due(
        ctx.calendar, ctx.now, open_after=ctx.settings.year.open_after_working_days,
        duration=rating.duration_working_days, open_at=rating.open_at,
    )
    if year is None or await ctx.store.year.evaluation.by_year(year) is not None:
        return None
    if not owed_period(date(year, 12, 31), go_live_date(ctx.settings, ctx.directory)):
        return None  # a year that ended before go-live is not evaluated by itself
    return await open_evaluation(ctx, year, "auto")


async def auto_close(ctx: Ctx) -> list[str]:
    return [
        await close_evaluation(ctx, ev)
        for ev in await ctx.store.year.evaluation.rounds(RoundStatus.open)
        if ctx.now >= ev.closes_at
    ]



YEAR: RoundKind[YearRound] = RoundKind(
    name="year-eval", key="dem", card_prefix=EVAL_PREFIX,
    label=lambda ev: year_label(ev.year), round_key=lambda ev: str(ev.year),
    command="测评", card_word="测评卡片", unfinished="未完成",
    none_open="目前没有进行中的民主测评。测评开启后，您会在聊天中收到测评卡片。",
    rater="测评人", rated="已测评", nudge_hint=None,
    box=lambda store: store.year.evaluation, rounds=lambda store, status: store.year.evaluation.rounds(status),
    by_id=lambda store, round_id: store.year.evaluation.by_id(round_id),
    auto_open=auto_open, auto_close=auto_close, remind=remind,
    open_at=lambda s: s.rating.open_at, remind_at=lambda s: s.rating.remind_at, close_at=lambda s: s.rating.close_at,
)

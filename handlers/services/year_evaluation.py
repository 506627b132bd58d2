"""民主测评 (R-YEAR-1): open, mark, hand in, close, remind — the year's evaluation round.

It runs like a quarterly rating round and reuses its pieces: the unit-of-work env, the
closing moment and deadline wording, the card waves, the submit token, the progress report
and, underneath, the same anonymous ballot box (storage/ballot_box.py). Chat commands,
`shiji year …` and the scheduled jobs all call these functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from handlers.base import Refusal
from handlers.cards import SentCard, ballot_cards_to_update, queue_card_update
from handlers.render.year_cards import (
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
from handlers.services.rating import (
    CARDS_PER_MINUTE,
    RatingEnv,
    box_progress_text,
    deadline_text,
    is_open,
    submit_token,
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
from storage.models_year import MARK_COLUMNS, YearEval, YearEvalAssignment

STATUS_ZH = {"open": "进行中", "closed": "已关闭"}


def _pairs(env: RatingEnv) -> frozenset[tuple[Role, Role]]:
    given = env.settings.year.evaluators
    if not given:
        return ALL_PAIRS
    return frozenset((Role(a), Role(b)) for a, _, b in (pair.partition(":") for pair in given))


def name_of(env: RatingEnv, userid: str) -> str:
    person = env.directory.people.get(userid)
    return person.name if person else userid


async def evaluation_for(env: RatingEnv, args: str, *, statuses: tuple[str, ...]) -> YearEval:
    """The evaluation a command names (`2026`), or the latest one in `statuses`."""
    text = args.strip().removesuffix("年度").removesuffix("年")
    if text:
        if not (text.isdigit() and len(text) == 4):
            raise Refusal(f"看不懂年份「{args.strip()}」。请写成 2026 这样的四位年份。")
        found = await env.store.year.evaluation.by_year(int(text))
        if found is None:
            raise Refusal(f"{year_label(int(text))}还没有开启过。")
        return found
    rounds = [r for r in await env.store.year.evaluation.rounds() if r.status in statuses]
    if not rounds:
        raise Refusal("目前没有符合条件的民主测评。可以在命令后写上年份，例如 2026。")
    return rounds[-1]


# ---- opening ---------------------------------------------------------------------------


async def open_evaluation(env: RatingEnv, year: int, opened_by: str) -> str:
    """Create the year's evaluation, its cards for every evaluator, and queue them."""
    label = year_label(year)
    if await env.store.year.evaluation.by_year(year) is not None:
        raise Refusal(f"{label}已经开启过，不能重复开启。")
    if not may_open_round(QuarterId(year, 4), env.today):  # the year is over with its Q4
        raise Refusal(f"{year} 年到 12月31日才结束，年度结束后才能开启{label}。")
    rating = env.settings.rating
    closes_at = round_closes_at(env.calendar, env.now, duration=rating.duration_working_days, close_at=rating.close_at)
    ev = await env.store.year.evaluation.create(year, opened_by, env.now, closes_at)
    if ev is None or ev.id is None:
        raise Refusal(f"{label}刚刚已被开启，不能重复开启。")
    extras = await env.store.rating.extra_raters()
    pairs = _pairs(env)
    # Colleagues are those of the unit the year ranks each cadre in (roster.year_rule); someone
    # who has left since is evaluated for the year they served but evaluates nobody.
    units: defaultdict[int, list[Member]] = defaultdict(list)
    for person in (await year_people(env, year)).values():
        units[person.unit.id].append(Member(person.userid, person.role))
    rows: list[tuple[str, str, int]] = []
    for unit_id, members in sorted(units.items()):
        extra = {u for u in extras.get(unit_id, ()) if env.directory.get(u) is not None}
        found = evaluation_assignments(members, extra, env.cfg, pairs)
        rows += [(rater, ratee, unit_id) for rater, ratee in found if env.directory.get(rater) is not None]
    made = await env.store.year.evaluation.add_assignments(ev.id, rows)
    await queue_cards(env, ev, made, key_suffix=FIRST_SEND)
    raters = {a.rater for a in made}
    await env.audit("year_eval.open", f"{year}: {len(raters)} raters, {len(made)} cards")
    return (
        f"✅ 已开启{label}：{len(raters)} 位测评人、{len(made)} 张测评卡已排队发送，"
        f"截止 {deadline_text(env, closes_at)}。发送「测评进度」查看各单位提交情况。"
    )


async def queue_cards(
    env: RatingEnv, ev: YearEval, cards: Sequence[YearEvalAssignment], *, key_suffix: str,
    totals: dict[str, int] | None = None, drafts: dict[str, dict[int, int]] | None = None,
) -> None:
    """One card per colleague (showing `drafts`' marks), then the rater's submit card saying
    how many colleagues they evaluate in all (`totals`, default: these cards), in waves; a
    rater in `totals` gets the submit card even without cards. Keyed by the ballot box, which
    finds them again at hand-in (`drop_traces`)."""
    assert ev.id is not None
    box = env.store.year.evaluation
    per_rater: defaultdict[str, list[YearEvalAssignment]] = defaultdict(list)
    for card in cards:
        per_rater[card.rater].append(card)
    scores = env.settings.year.card_scores
    for rater in sorted(set(per_rater) | set(totals or {})):
        own = per_rater[rater]
        for index, card in enumerate(own):
            ratee = env.directory.people.get(card.ratee)
            if ratee is None:
                continue
            payload = evaluation_card(
                task_id=eval_task_id(ev.year, card.id), year=ev.year, ratee=ratee,
                marks=(drafts or {}).get(card.ratee, {}), step=0, card_scores=scores,
            )
            await env.store.outbox.enqueue(
                box.card_key(card.id, key_suffix), [rater], "template_card", {"card": payload},
                env.now, not_before=env.now + timedelta(minutes=index // CARDS_PER_MINUTE),
            )
        payload = submit_card(
            task_id=submit_task_id(ev.year, submit_token(ev.id, rater)), year=ev.year,
            cards=(totals or {}).get(rater, len(own)), deadline=deadline_text(env, ev.closes_at),
        )
        await env.store.outbox.enqueue(
            box.submit_key(ev.id, rater, key_suffix), [rater], "template_card", {"card": payload},
            env.now, not_before=env.now + timedelta(minutes=len(own) // CARDS_PER_MINUTE),
        )


# ---- marks and hand-in -----------------------------------------------------------------


async def my_open_evaluation(env: RatingEnv, rater: str) -> tuple[YearEval, list[YearEvalAssignment]]:
    """The latest open evaluation in which this person has cards."""
    for ev in reversed(await env.store.year.evaluation.rounds("open")):
        assert ev.id is not None
        cards = await env.store.year.evaluation.assignments_of(ev.id, rater)
        if cards and is_open(ev, env.now):
            return ev, cards
    raise Refusal("目前没有进行中的民主测评。测评开启后，您会在聊天中收到测评卡片。")


async def refuse_if_handed_in(env: RatingEnv, ev: YearEval, rater: str) -> None:
    assert ev.id is not None
    if await env.store.year.evaluation.has_handed_in(ev.id, rater):
        raise Refusal(f"您已提交{year_label(ev.year)}，提交后不能再修改。")


def unfinished_text(env: RatingEnv, unfinished: dict[str, tuple[int, ...]]) -> str:
    return "\n".join(
        f"· {name_of(env, ratee)}：还缺{'、'.join(DIMENSIONS_ZH[i] for i in dims)}"
        for ratee, dims in unfinished.items()
    )


async def _seal(env: RatingEnv, ev: YearEval, rater: str) -> tuple[bool, dict[str, tuple[int, ...]], int]:
    """Hand in a complete ballot; (sealed, what is unfinished, lines)."""
    assert ev.id is not None
    box = env.store.year.evaluation
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


async def show_marks(env: RatingEnv, ev: YearEval, card: YearEvalAssignment, marks: dict[int, int]) -> bool:
    """Marks given by text, shown on the colleague's cards the rater holds (each card can be
    updated once, within WeCom's time: handlers/cards.py). False if none could be."""
    assert ev.id is not None
    ratee = env.directory.people.get(card.ratee)
    sent = await ballot_cards_to_update(
        env.store, env.store.year.evaluation, ev.id, card.rater, env.now, [card.id], submit=False,
    )
    if ratee is None or not sent:
        return False
    step = FINISHED if len(marks) == len(DIMENSIONS_ZH) else 0
    for each, _ in sent:
        await queue_card_update(env.store, each, evaluation_card(
            task_id=each.task_id, year=ev.year, ratee=ratee, marks=marks, step=step,
            card_scores=env.settings.year.card_scores,
        ), env.now)
    return True


async def hand_in(env: RatingEnv, ev: YearEval, rater: str) -> str:
    label = year_label(ev.year)
    await refuse_if_handed_in(env, ev, rater)
    if not is_open(ev, env.now):
        raise Refusal(f"{label}已截止，无法再提交。")
    assert ev.id is not None
    # Asked before the seal, which drops the keys the cards went out under.
    held = await ballot_cards_to_update(env.store, env.store.year.evaluation, ev.id, rater, env.now)
    sealed, unfinished, count = await _seal(env, ev, rater)
    if count == 0:
        raise Refusal(f"您在{label}中没有需要测评的同事。")
    if unfinished:
        raise Refusal(
            f"未能提交，还有 {len(unfinished)} 位同事的测评不完整（已填的分数均已保留）：\n"
            + unfinished_text(env, unfinished) + "\n发送「测评」可重新收到这些卡片。"
        )
    if not sealed:
        raise Refusal(f"您已提交{label}，提交后不能再修改。")
    await _show_handed_in(env, ev, rater, held, count)
    return (
        f"✅ 已提交{label}，共 {count} 人。测评已匿名保存（不记录测评人），"
        "聊天、报表和导出中都看不到您给了谁多少分。感谢参与！"
    )


async def _show_handed_in(
    env: RatingEnv, ev: YearEval, rater: str, held: list[tuple[SentCard, str | None]], count: int,
) -> None:
    """Every card the rater holds, updated to say it is handed in (no marks: they are sealed)."""
    assert ev.id is not None
    cards = {c.id: c for c in await env.store.year.evaluation.assignments_of(ev.id, rater)}
    for sent, assignment_id in held:
        if assignment_id is None:
            card = submit_card(task_id=sent.task_id, year=ev.year, cards=count,
                               deadline=deadline_text(env, ev.closes_at), done=True,
                               note=f"您已提交{year_label(ev.year)}，提交后不能再修改。")
        elif assignment_id in cards and (ratee := env.directory.people.get(cards[assignment_id].ratee)):
            card = handed_in_card(task_id=sent.task_id, year=ev.year, ratee=ratee)
        else:
            continue
        await queue_card_update(env.store, sent, card, env.now, handed_in=True)


# ---- closing, reminders, progress ------------------------------------------------------


async def close_evaluation(env: RatingEnv, ev: YearEval) -> str:
    """Hand in complete unsubmitted ballots for their raters, drop the rest, reseal."""
    assert ev.id is not None
    label = year_label(ev.year)
    box = env.store.year.evaluation
    if ev.status != "open":
        raise Refusal(f"{label}{STATUS_ZH.get(ev.status, ev.status)}，无需关闭。")
    if not await box.close(ev.id, env.now):
        raise Refusal(f"{label}刚刚已被关闭。")
    auto = dropped = absent = 0
    for todo in await box.todo(ev.id):
        if todo.answered == 0:
            absent += 1
            continue
        sealed, unfinished, _count = await _seal(env, ev, todo.rater)
        if sealed:
            auto += 1
            text = f"{label}已截止。您未点提交，但测评已完整，系统已按您的测评代为提交。"
        else:
            await box.drop_traces(ev, todo.rater)
            dropped += 1
            text = f"{label}已截止。您的测评未提交且不完整，按规定作废：\n" + unfinished_text(env, unfinished)
        await env.store.outbox.enqueue(f"dem-closed:{ev.id}:{todo.rater}", [todo.rater], "text", {"content": text}, env.now)
    await box.reseal(ev)
    env.store.erase_after_commit()
    handed = len(await box.handed_in(ev.id))
    await env.audit("year_eval.close", f"{ev.year}: {handed} handed in ({auto} by the system), {dropped} voided, {absent} absent")
    missing = await missing_units(env, ev.year)
    return (
        f"✅ {label}已关闭：{handed} 人提交（其中 {auto} 人由系统代为提交），"
        f"{dropped} 人的未完成测评作废，{absent} 人未参加。"
        + (f"下一步：导入尚缺的 {len(missing)} 个单位的年度考核结果（shiji year import-unit-results {ev.year} 文件）；"
           if missing else "")
        + publish_when(env.settings, env.calendar, env.today, SummaryPeriod("year", ev.year), f"发布年度结果 {ev.year}")
    )


async def progress_text(env: RatingEnv, ev: YearEval) -> str:
    assert ev.id is not None
    title = (
        f"📋 {year_label(ev.year)}进度（{STATUS_ZH.get(ev.status, ev.status)}，"
        f"截止 {deadline_text(env, ev.closes_at)}）"
    )
    return await box_progress_text(env, env.store.year.evaluation, ev.id, title, rater="测评人", rated="已测评")


async def remind(env: RatingEnv) -> int:
    """Once a day per evaluation and rater (outbox key), to raters who have not handed in."""
    sent = 0
    for ev in await env.store.year.evaluation.rounds("open"):
        assert ev.id is not None
        if not rater_reminder_due(ev.status, ev.opened_at, ev.closes_at, env.now):
            continue
        todos = {todo.rater: todo for todo in await env.store.year.evaluation.todo(ev.id)}

        def key(rater: str, ev_id: int = ev.id) -> str:
            return f"dem-remind:{ev_id}:{env.today.isoformat()}:{rater}"

        # Claimed first: once a day per evaluation and rater, within each rater's daily budget.
        for rater in await env.store.reminders.claim(
            f"dem:{ev.id}", env.today, list(todos), key, env.now, budget=env.settings.reminders.daily_budget
        ):
            todo = todos[rater]
            text = (
                f"⏰ {year_label(ev.year)}提醒：您需测评 {todo.cards} 位同事，尚未提交"
                f"（截止 {deadline_text(env, ev.closes_at)}）。发送「测评」可重新收到未完成的卡片，"
                "全部完成后发送「测评 提交」。"
            )
            if await env.store.outbox.enqueue(key(rater), [rater], "text", {"content": text}, env.now):
                sent += 1
    return sent


async def auto_open(env: RatingEnv) -> str | None:
    """Open last year's evaluation on the configured working day (settings [year])."""
    rating = env.settings.rating
    year = evaluation_due(
        env.calendar, env.now, open_after=env.settings.year.open_after_working_days,
        duration=rating.duration_working_days, open_at=rating.open_at,
    )
    if year is None or await env.store.year.evaluation.by_year(year) is not None:
        return None
    if not owed_period(date(year, 12, 31), go_live_date(env.settings, env.directory)):
        return None  # a year that ended before go-live is not evaluated by itself
    return await open_evaluation(env, year, "auto")


async def auto_close(env: RatingEnv) -> list[str]:
    return [
        await close_evaluation(env, ev)
        for ev in await env.store.year.evaluation.rounds("open")
        if env.now >= ev.closes_at
    ]


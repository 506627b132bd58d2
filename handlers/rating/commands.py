"""考实绩 in chat: rating cards and 评分, hand-in, one's progress, extra raters, admin round commands."""

from __future__ import annotations

import re
from datetime import datetime

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Refusal, Reply
from handlers.cards import ballot_cards_to_update, chosen, queue_card_update, update_sent_card
from handlers.dates import parse_quarter, quarter_label
from handlers.render.rating_cards import (
    OK_KEY,
    PROPOSAL_PREFIX,
    RATE_PREFIX,
    SCORE_KEY,
    SUBMIT_PREFIX,
    handed_in_card,
    proposal_card,
    proposal_task_id,
    rating_card,
    submit_card,
)
from handlers.render.round_cards import parse_task_id
from handlers.router import Router
from handlers.services.jobs import runs_as_job, start_job
from handlers.services.publish_guard import split_force, split_republish
from handlers.services.rating import (
    QUARTER,
    card_facts,
    check_open,
    close_round,
    hand_in,
    high_slots,
    names_of,
    nudge,
    open_round,
    publish_round,
    quarter_of,
    republish_round,
    resend_unanswered,
    round_for,
    void_round,
)
from handlers.services.rounds import (
    answered_card,
    deadline_text,
    find_card,
    is_open,
    my_open_round,
    name_of,
    progress_text,
    split_name_unit,
    submit_token,
)
from handlers.services.year_evaluation import YEAR
from handlers.text import fold
from scoring import check_score
from scoring.groups import may_have_extra_raters
from scoring.numbers import whole_number
from scoring.types import DIMENSIONS_ZH
from scoring.workdays import QuarterId
from storage.directory import Person, roster_order
from storage.models_rating import RatingExtraProposal
from storage.records import QuarterRound, RatingCard, RoundStatus

router = Router()


SECTION = "评分"
_SPLIT = re.compile(r"[\s,，、;；]+")


async def _refuse_if_handed_in(ctx: Ctx, rnd: QuarterRound, rater: str) -> None:
    if await ctx.store.rating.has_handed_in(rnd.id, rater):
        raise Refusal(f"您已提交{quarter_label(quarter_of(rnd))}的评分，提交后不能再修改。")


async def _score(
    ctx: Ctx, rnd: QuarterRound, rater: str, card: RatingCard, cards: list[RatingCard], raw: str
) -> tuple[bool, str, int | None, int, int]:
    """Check and record one score. Returns (accepted, message, current score, 90+ left, cap)."""
    allowed = {a.ratee for a in cards if a.unit_id == card.unit_id}
    drafts = await ctx.store.rating.drafts(rnd.id, rater)
    unit_draft = {ratee: score for ratee, score in drafts.items() if ratee in allowed}
    check = check_score(unit_draft, card.ratee, raw, card.unit_size, ctx.cfg, rater=rater, allowed_ratees=allowed)
    name = name_of(ctx, card.ratee)
    if not check.accepted:
        return False, f"未记录 {name} 的分数：{check.violations[0].reason_zh}", drafts.get(card.ratee), check.high_left, check.high_cap
    assert check.score is not None
    await ctx.store.rating.put_draft(rnd.id, rater, card.ratee, check.score)
    answered = len(set(drafts) | {card.ratee})
    tail = (
        "全部评完了，请点「提交评分」或发送「评分 提交」。"
        if answered == len(cards)
        else f"已评 {answered}/{len(cards)} 人。"
    )
    message = (
        f"已记录：{name} {check.score} 分。本单位 {ctx.cfg.high_score} 分以上还可给 "
        f"{check.high_left} 人。{tail}提交前可随时修改。"
    )
    return True, message, check.score, check.high_left, check.high_cap


# ---- cards -------------------------------------------------------------------------------


@router.card(RATE_PREFIX)
async def rating_card_answer(answer: CardAnswer, ctx: Ctx) -> Reply:
    task_id = answer.task_id
    rnd, card = await answered_card(ctx, QUARTER, task_id)
    label = quarter_label(quarter_of(rnd))
    if await ctx.store.rating.has_handed_in(rnd.id, ctx.userid):  # a card the hand-in could not update
        return Reply(
            f"您已提交{label}的评分，提交后不能再修改。",
            card_update=handed_in_card(task_id=task_id, quarter=quarter_of(rnd), ratee=ctx.directory.people[card.ratee]),
        )
    cards = await ctx.store.rating.assignments_of(rnd.id, ctx.userid)
    score = chosen(answer, SCORE_KEY)
    if answer.event_key != OK_KEY or score is None:
        drafts = await ctx.store.rating.drafts(rnd.id, ctx.userid)
        current = drafts.get(card.ratee)
        left, cap = high_slots(ctx, drafts, cards, card)
        note = f"未记录分数：请先在下拉框中选择分数，再点「{'确定' if current is None else '改为所选分数'}」。"
        return Reply(note, card_update=await _card(ctx, rnd, card, task_id, current, left, cap, note))
    accepted, message, current, left, cap = await _score(ctx, rnd, ctx.userid, card, cards, score)
    note = message if accepted else f"⚠️ {message}"
    return Reply(message, card_update=await _card(ctx, rnd, card, task_id, current, left, cap, note))


async def _card(
    ctx: Ctx, rnd: QuarterRound, card: RatingCard, task_id: str,
    score: int | None, left: int, cap: int, note: str,
) -> dict[str, object]:
    quarter = quarter_of(rnd)
    ratee = ctx.directory.people[card.ratee]
    facts = await card_facts(ctx, quarter, only=card.ratee)
    logged, owed = facts.days(card.ratee)
    return rating_card(
        task_id=task_id, quarter=quarter, ratee=ratee, logs=logged,
        workdays=owed, summary=facts.summaries.get(card.ratee),
        summary_chars=ctx.settings.rating.card_summary_chars, score=score,
        high_score=ctx.cfg.high_score, high_left=left, high_cap=cap,
        card_scores=ctx.settings.rating.card_scores, note=note,
    )


@router.card(SUBMIT_PREFIX)
async def submit_card_answer(answer: CardAnswer, ctx: Ctx) -> Reply:
    task_id = answer.task_id
    parsed = parse_task_id(task_id, SUBMIT_PREFIX)
    quarter = parse_quarter(parsed[0]) if parsed else None
    rnd = await ctx.store.rating.round_by_quarter(str(quarter)) if quarter else None
    if parsed is None or rnd is None:
        raise Refusal("这张卡片无法识别或已失效，未作任何更改。发送「评分 提交」也可以提交评分。")
    if parsed[1] != submit_token(rnd.id, ctx.userid):
        raise Refusal("这张提交卡片不是发给您的，未作任何更改。")
    if await ctx.store.rating.has_handed_in(rnd.id, ctx.userid):  # the card shows it now
        text = f"您已提交{quarter_label(quarter_of(rnd))}的评分，提交后不能再修改。"
    else:
        text = await hand_in(ctx, rnd, ctx.userid)
    cards = len(await ctx.store.rating.assignments_of(rnd.id, ctx.userid))
    done = submit_card(
        task_id=task_id, quarter=quarter_of(rnd), cards=cards,
        deadline=deadline_text(ctx, rnd.closes_at), note=text, done=True,
    )
    return Reply(text, card_update=done)


# ---- 评分 by text --------------------------------------------------------------------------


@router.command(
    "评分", "打分",
    usage="评分 / 评分 张三 92 / 评分 提交",
    summary="重新收到未评的卡片；按姓名给任意整数分；评完后提交（提交后不能修改）",
    audience=Audience.rostered, section=SECTION,
)
async def rate_by_text(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_person()
    rnd, cards = await my_open_round(ctx, QUARTER, person.userid)
    words = [w for w in _SPLIT.split(fold(args).strip()) if w]
    if words in (["提交"], ["交卷"], ["submit"]):
        return Reply(await hand_in(ctx, rnd, person.userid))
    await _refuse_if_handed_in(ctx, rnd, person.userid)
    if not words:
        drafts = await ctx.store.rating.drafts(rnd.id, person.userid)
        count = await resend_unanswered(ctx, rnd, person.userid)
        label = quarter_label(quarter_of(rnd))
        if count == 0:
            return Reply(f"{label}评分：{len(cards)} 人已全部评完，请点「提交评分」或发送「评分 提交」。已重新发送提交卡片。")
        return Reply(
            f"{label}评分：共 {len(cards)} 人，已评 {len(drafts)} 人，未评的 {count} 张卡片已重新发送。"
            f"截止 {deadline_text(ctx, rnd.closes_at)}。"
        )
    if len(words) < 2:
        raise Refusal("请写成「评分 姓名 分数」，例如：评分 张三 92。只发「评分」可重新收到未评的卡片。")
    raw = words[-1]
    card = find_card(ctx, person, cards, words[:-1], command="评分", example="90")
    accepted, message, current, left, cap = await _score(ctx, rnd, person.userid, card, cards, raw)
    if not accepted:
        raise Refusal(message)
    held = await ballot_cards_to_update(ctx.store, ctx.store.rating, rnd.id, person.userid, ctx.now, [card.id], submit=False)
    for sent, _ in held:
        await queue_card_update(ctx.store, sent, await _card(ctx, rnd, card, sent.task_id, current, left, cap, message), ctx.now)
    if held:
        return Reply(message + "卡片已同步更新。")
    return Reply(message + "（卡片上的显示未能同步更新，以这条记录为准。）")


# ---- extra raters of small units (R-RATE-6) ---------------------------------------------


@router.command(
    "增加参评",
    usage="增加参评 姓名1 姓名2 … / 增加参评 组名",
    summary="小单位（不足 8 人）主要领导提议增加参评人员，经考核办批准后下一轮起生效",
    audience=Audience.main_leader, section=SECTION,
)
async def propose_extra(args: str, ctx: Ctx) -> Reply:
    """The leader's answer depends only on what was typed and on the leader's own unit, never
    on who exists elsewhere in the district: names are matched to the roster for the admin,
    who sees the ones no single cadre answers to and decides (README, "Security")."""
    person = ctx.require_cadre()
    unit = person.unit
    members = ctx.directory.members(unit.id)
    limit = ctx.settings.rating.small_unit_below
    if not may_have_extra_raters(len(members), limit):
        raise Refusal(f"{unit.name}有 {len(members)} 名干部，不足 {limit} 人的单位才需要增加参评人员。")
    words = [w for w in _SPLIT.split(args.strip()) if w]
    if not words:
        raise Refusal("请写上拟增加的人员姓名或考核办定义的组名，例如：增加参评 赵建华 吴昊。")
    admins = list(ctx.settings.admin.userids)
    if not admins:
        raise Refusal("系统未设置考核办管理员，无法审批。请联系考核办。")
    own_names = {m.name for m in members}
    chosen: dict[str, Person] = {}
    unmatched: list[str] = []
    own: list[str] = []
    for word in words:
        group = await ctx.store.rating.role_group(word)
        if group:
            for userid in group:
                member = ctx.directory.get(userid)
                if member is not None and member.unit.id != unit.id:
                    chosen[userid] = member
            continue
        name, unit_name = split_name_unit(word)
        if name in own_names and unit_name in (None, unit.name):
            own.append(name)  # the leader's own unit: visible to them, so it may be named
            continue
        found = [
            p for p in ctx.directory.named(name)
            if p.unit.id != unit.id and (unit_name is None or p.unit.name == unit_name)
        ]
        if len(found) == 1:
            chosen[found[0].userid] = found[0]
        else:
            unmatched.append(word)
    if own:
        raise Refusal(
            "未提交，请修改后重发：\n" + "\n".join(f"· {name} 是本单位成员，本来就参加评分" for name in own)
            + f"\n如指其他单位的同名人员，请写成 {own[0]}@单位。"
        )
    proposal = await ctx.store.rating.propose_extra(
        unit.id, person.userid, sorted(chosen), unmatched, ctx.now
    )
    assert proposal.id is not None
    card = proposal_card(
        task_id=proposal_task_id(proposal.id), number=proposal.id, unit=unit.name, proposer=person.name,
        names=[p.label for p in sorted(chosen.values(), key=roster_order)], unmatched=unmatched,
    )
    await ctx.store.outbox.enqueue(f"rate-proposal:{proposal.id}", admins, "template_card", {"card": card}, ctx.now)
    return Reply(
        f"已提交考核办审批（编号 {proposal.id}）：您写的 {len(words)} 个姓名或组名，由考核办对照名册核对后决定。"
        "批准后从下一轮评分起生效，结果会通知您。"
    )


def _unmatched(proposal: RatingExtraProposal) -> list[str]:
    return [w for w in proposal.unmatched.split("|") if w]


_DECISIONS = {"approve": "approved", "reject": "rejected"}
_VERDICTS = {"approved": "已批准", "rejected": "已驳回"}


async def _decide_proposal(
    ctx: Ctx, proposal_id: int, decision: str | None
) -> tuple[RatingExtraProposal, str, bool]:
    """Record an admin's decision (None: only look); returns the proposal, the answer and
    whether this call decided it."""
    ctx.require(Audience.admin, "审批增加参评人员")  # the card's buttons: the router checks the text commands
    proposal = await ctx.store.rating.proposal(proposal_id)
    if proposal is None or proposal.id is None:
        raise Refusal(f"没有编号为 {proposal_id} 的参评申请，未作任何更改。发送「待批参评」查看编号。")
    unit = ctx.directory.units[proposal.unit_id]
    userids = [u for u in proposal.userids.split("|") if u]
    if proposal.status != "pending":
        who = name_of(ctx, proposal.decided_by) if proposal.decided_by in ctx.directory.people else "考核办"
        return proposal, f"这条申请（{unit.name}）已由{who}{_VERDICTS[proposal.status][1:]}，无需重复处理。", False
    if decision is None:
        raise Refusal("请点「批准」或「驳回」。")
    if not await ctx.store.rating.decide_proposal(proposal.id, decision, ctx.userid, ctx.now):
        raise Refusal("这张申请已由其他管理员处理过了，未作任何更改。")
    await ctx.store.session.refresh(proposal)
    await ctx.audit(f"extra_raters.{'approve' if decision == 'approved' else 'reject'}", f"proposal {proposal.id}: {unit.name}, {len(userids)} people")
    if decision == "approved":
        await ctx.store.rating.approve_extra(proposal.unit_id, userids, ctx.now, f"proposal:{proposal.id}")
        outcome = "已批准，从下一轮评分起生效"
    else:
        outcome = "未获批准"
    await ctx.store.outbox.enqueue(
        f"rate-proposal-result:{proposal.id}", [proposal.proposed_by], "text",
        # Names nobody: who the roster matched is the admin's to tell, not the bot's.
        {"content": f"您为{unit.name}提议增加参评人员的申请（编号 {proposal.id}）{outcome}。"},
        ctx.now,
    )
    answer = f"{_VERDICTS[decision]}：{unit.name} 增加 {len(userids)} 位参评人员。"
    if (unmatched := _unmatched(proposal)) and decision == "approved":
        answer += (f"名册中未能确定的「{'」「'.join(unmatched)}」未计入；"
                   "如需加入，请用 shiji raters import 按账号导入。")
    return proposal, answer, True


def _decided_proposal_card(ctx: Ctx, proposal: RatingExtraProposal, task_id: str) -> dict[str, object]:
    assert proposal.id is not None
    names = [ctx.directory.people[u].label if u in ctx.directory.people else u for u in proposal.userids.split("|") if u]
    return proposal_card(
        task_id=task_id, number=proposal.id, unit=ctx.directory.units[proposal.unit_id].name,
        proposer=name_of(ctx, proposal.proposed_by), names=names, unmatched=_unmatched(proposal),
        decided=_VERDICTS.get(proposal.status),
    )


@router.card(PROPOSAL_PREFIX)
async def decide_proposal(answer: CardAnswer, ctx: Ctx) -> Reply:
    number = whole_number(answer.task_id[len(PROPOSAL_PREFIX):].split("-")[0])
    if number is None:
        raise Refusal("这张审批卡片无法识别，未作任何更改。")
    proposal, text, _decided = await _decide_proposal(ctx, number, _DECISIONS.get(answer.event_key))
    return Reply(text, card_update=_decided_proposal_card(ctx, proposal, answer.task_id))


async def _decide_proposal_by_text(args: str, ctx: Ctx, decision: str) -> Reply:
    number = whole_number(fold(args).strip().lstrip("#"))
    if number is None:
        raise Refusal(f"请写上申请编号，例如「{'批准' if decision == 'approved' else '驳回'}参评 3」。发送「待批参评」查看编号。")
    proposal, text, decided = await _decide_proposal(ctx, number, decision)
    if decided:
        await update_sent_card(
            ctx, f"rate-proposal:{proposal.id}", f"rate-proposal-update:{proposal.id}",
            lambda task_id: _decided_proposal_card(ctx, proposal, task_id),
        )
    return Reply(text)


@router.command("批准参评", usage="批准参评 编号", summary="批准小单位增加参评人员的申请", audience=Audience.admin, section=SECTION)
async def approve_extra_text(args: str, ctx: Ctx) -> Reply:
    return await _decide_proposal_by_text(args, ctx, "approved")


@router.command("驳回参评", usage="驳回参评 编号", summary="驳回小单位增加参评人员的申请", audience=Audience.admin, section=SECTION)
async def reject_extra_text(args: str, ctx: Ctx) -> Reply:
    return await _decide_proposal_by_text(args, ctx, "rejected")


@router.command("待批参评", usage="待批参评", summary="列出等待审批的增加参评人员申请及编号", audience=Audience.admin, section=SECTION)
async def pending_extra(args: str, ctx: Ctx) -> Reply:
    pending = await ctx.store.rating.pending_proposals()
    if not pending:
        return Reply("目前没有等待审批的增加参评人员申请。")
    lines = [f"等待审批的增加参评人员申请（{len(pending)} 条）："]
    for proposal in pending:
        names = names_of(ctx, [u for u in proposal.userids.split("|") if u]) or "（无）"
        unmatched = _unmatched(proposal)
        doubt = f"；名册中未能确定：「{'」「'.join(unmatched)}」" if unmatched else ""
        lines.append(
            f"· 编号 {proposal.id}：{ctx.directory.units[proposal.unit_id].name}"
            f"（{name_of(ctx, proposal.proposed_by)}提议）拟增加 {names}{doubt}"
        )
    lines.append("回复「批准参评 编号」或「驳回参评 编号」。")
    return Reply("\n".join(lines))


@router.command(
    "我的评分进度",
    usage="我的评分进度",
    summary="自己在进行中的季度评分和民主测评里已评几人、还差几人、是否已提交（不显示分数）",
    audience=Audience.rostered, section=SECTION,
)
async def my_rating_progress(args: str, ctx: Ctx) -> Reply:
    """How far the asker is in each open round they hold cards in: counts only, never a score."""
    rater = ctx.require_person().userid
    lines = []
    for rnd in await ctx.store.rating.rounds(RoundStatus.open):
        cards = await ctx.store.rating.assignments_of(rnd.id, rater)
        if cards and is_open(rnd, ctx.now):
            drafts = await ctx.store.rating.drafts(rnd.id, rater)
            lines.append(_rater_line(
                ctx, QUARTER.label(rnd), rnd.closes_at, len(cards), sum(1 for c in cards if c.ratee in drafts),
                await ctx.store.rating.has_handed_in(rnd.id, rater), ("评分", "已评", "未评", "提交评分"),
            ))
    box = ctx.store.year.evaluation
    for ev in await box.rounds(RoundStatus.open):
        marked = await box.assignments_of(ev.id, rater)
        if marked and is_open(ev, ctx.now):
            marks = await box.drafts(ev.id, rater)
            complete = sum(1 for c in marked if len(marks.get(c.ratee, {})) == len(DIMENSIONS_ZH))
            lines.append(_rater_line(
                ctx, YEAR.label(ev), ev.closes_at, len(marked), complete,
                await box.has_handed_in(ev.id, rater), ("测评", "已完成", "未完成", "提交测评"),
            ))
    if not lines:
        return Reply("目前没有进行中的季度评分或民主测评需要您参加。评分或测评开启后，您会在聊天中收到卡片。")
    return Reply("\n".join(["📋 您的评分进度", *lines]))


def _rater_line(
    ctx: Ctx, label: str, closes_at: datetime, cards: int, done: int, handed_in: bool, words: tuple[str, str, str, str],
) -> str:
    command, done_word, todo_word, button = words
    deadline = deadline_text(ctx, closes_at)
    if handed_in:
        return f"· {label}：已提交（共 {cards} 人），不能再修改。"
    if done == cards:
        return f"· {label}：共 {cards} 人，已全部评完，还差最后一步：请点「{button}」或发送「{command} 提交」，截止 {deadline}。"
    return (
        f"· {label}：共 {cards} 人，{done_word} {done} 人，还差 {cards - done} 人，截止 {deadline}。"
        f"发送「{command}」可重新收到{todo_word}的卡片，完成后发送「{command} 提交」。"
    )


# ---- admin round commands ----------------------------------------------------------------


@router.command("开启评分", usage="开启评分 2026Q4", summary="开启某季度的评分（默认上一季度），向评分人发送卡片", audience=Audience.admin, section=SECTION)
async def admin_open(args: str, ctx: Ctx) -> Reply:
    quarter = parse_quarter(args, ctx.today) if args.strip() else QuarterId.of(ctx.today).previous()
    if quarter is None:
        raise Refusal(f"看不懂季度「{args}」。请写成 2026Q4 这样的形式。")
    if runs_as_job(ctx):
        await check_open(ctx, quarter)
        return await start_job(ctx, "round.open", {"quarter": str(quarter)}, f"开启{quarter_label(quarter)}评分")
    return Reply(await open_round(ctx, quarter))


@router.command("关闭评分", usage="关闭评分 2026Q4", summary="提前关闭评分：未提交的合规评分自动提交，其余作废", audience=Audience.admin, section=SECTION)
async def admin_close(args: str, ctx: Ctx) -> Reply:
    return Reply(await close_round(ctx, await round_for(ctx, args, default_status=(RoundStatus.open,))))


@router.command(
    "发布结果", usage="发布结果 2026Q4 / 发布结果 2026Q4 重新发布",
    summary="计算季度得分（含自动扣减）并发给每位干部；发布后更正须写「重新发布」，原版本保留",
    audience=Audience.admin, section=SECTION,
)
async def admin_publish(args: str, ctx: Ctx) -> Reply:
    force, words = split_force(fold(args).split())
    republish, words = split_republish(words)
    if republish:  # 强制发布 has nothing to force here: a published quarter takes no summary
        return Reply(await republish_round(ctx, await round_for(ctx, " ".join(words), default_status=(RoundStatus.published,))))
    rnd = await round_for(ctx, " ".join(words), default_status=(RoundStatus.closed,))
    return Reply(await publish_round(ctx, rnd, force=force))


@router.command("作废评分", usage="作废评分 2026Q4", summary="作废误开的、尚未发布的季度评分：删除全部评分卡和评分，通知评分人一次", audience=Audience.admin, section=SECTION)
async def admin_void(args: str, ctx: Ctx) -> Reply:
    if not args.strip():  # never a default: voiding the wrong round cannot be undone
        raise Refusal("请写明要作废的季度，例如「作废评分 2026Q4」。")
    return Reply(await void_round(ctx, await round_for(ctx, args, default_status=())))


@router.command(
    "催交评分", "提醒评分", usage="催交评分 / 催交评分 2026Q4",
    summary="立即提醒所有尚未提交评分的人", audience=Audience.admin, section=SECTION,
)
async def admin_nudge(args: str, ctx: Ctx) -> Reply:
    rnd = await round_for(ctx, args, default_status=(RoundStatus.open,))
    nudged = await nudge(ctx, rnd)
    label = quarter_label(quarter_of(rnd))
    if not nudged:
        return Reply(f"{label}评分：没有需要提醒的人（都已提交，或刚刚已提醒过）。")
    names = names_of(ctx, nudged)
    return Reply(f"✅ 已向 {len(nudged)} 位尚未提交{label}评分的人发送提醒：{names}。")


@router.command("评分进度", usage="评分进度 2026Q4", summary="各单位提交评分的人数和尚未提交的人（不含任何分数）", audience=Audience.admin, section=SECTION)
async def admin_progress(args: str, ctx: Ctx) -> Reply:
    return Reply(await progress_text(ctx, QUARTER, await round_for(ctx, args, default_status=(RoundStatus.open, RoundStatus.closed, RoundStatus.published))))

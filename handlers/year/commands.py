"""用实绩 in chat: the democratic evaluation's cards and 测评, and the admin's year-end commands.

Each admin action is one function of handlers/services/ (year_evaluation.py, year_imports.py,
year_publish.py, year_ties.py); the commands
here only parse and check who may ask.
"""

from __future__ import annotations

import re

from handlers.audience import Audience
from handlers.base import CardAnswer, Ctx, Refusal, Reply
from handlers.cards import chosen
from handlers.render.round_cards import parse_task_id
from handlers.render.year_cards import (
    DIMENSION_KEYS,
    EDIT_KEY,
    EVAL_PREFIX,
    FINISHED,
    STEP_KEYS,
    STEPS,
    SUBMIT_PREFIX,
    evaluation_card,
    handed_in_card,
    marks_text,
    submit_card,
    year_label,
)
from handlers.router import Router
from handlers.services.jobs import runs_as_job, start_job
from handlers.services.publish_guard import split_force, split_republish
from handlers.services.rounds import (
    answered_card,
    deadline_text,
    find_card,
    my_open_round,
    name_of,
    progress_text,
    submit_token,
)
from handlers.services.year_evaluation import (
    YEAR,
    close_evaluation,
    evaluation_for,
    hand_in,
    open_evaluation,
    queue_cards,
    refuse_if_handed_in,
    show_marks,
)
from handlers.services.year_imports import (
    import_unit_results,
    unit_results_example,
    unit_results_text,
)
from handlers.services.year_publish import check_publish, publish_year
from handlers.services.year_ties import decide_tie
from handlers.text import fold
from handlers.year import decisions
from scoring.types import DIMENSIONS_ZH
from scoring.year_end import check_evaluation, check_marks
from storage.records import EvaluationCard, RoundStatus, YearRound

router = Router()

SECTION = "年度"
_SPLIT = re.compile(r"[\s,，、;；/]+")


def _year_arg(ctx: Ctx, args: str, *, default_last: bool = True) -> int:
    """`2026`, `2026年`, `2026年度`; nothing = last year."""
    word = fold(args).strip().removesuffix("年度").removesuffix("年")
    if not word and default_last:
        return ctx.today.year - 1
    if not (word.isdigit() and len(word) == 4):
        raise Refusal(f"看不懂年份「{args.strip()}」。请写成 2026 这样的四位年份。")
    return int(word)


# ---- the card ----------------------------------------------------------------------------


async def _card_context(ctx: Ctx, answer: CardAnswer, userid: str) -> tuple[YearRound, EvaluationCard, list[EvaluationCard]]:
    ev, card = await answered_card(ctx, YEAR, answer.task_id)
    return ev, card, await ctx.store.year.evaluation.assignments_of(ev.id, userid)


@router.card(EVAL_PREFIX)
async def evaluation_card_answer(answer: CardAnswer, ctx: Ctx) -> Reply:
    """One step of a colleague's card: 德能勤, then 绩廉; each tap stores what it carries."""
    ev, card, cards = await _card_context(ctx, answer, ctx.userid)
    box = ctx.store.year.evaluation
    ratee = ctx.directory.people[card.ratee]
    if await box.has_handed_in(ev.id, ctx.userid):  # a card the hand-in could not update
        text = f"您已提交{year_label(ev.year)}，提交后不能再修改。"
        return Reply(text, card_update=handed_in_card(task_id=answer.task_id, year=ev.year, ratee=ratee))
    scores = ctx.settings.year.card_scores
    drafts = await box.drafts(ev.id, ctx.userid)
    marks = drafts.get(card.ratee, {})

    def shown(step: int, note: str | None = None, chosen: dict[int, int] | None = None) -> dict[str, object]:
        return evaluation_card(task_id=answer.task_id, year=ev.year, ratee=ratee, marks=marks, step=step,
                               card_scores=scores, note=note, chosen=chosen)

    step = STEP_KEYS.index(answer.event_key) if answer.event_key in STEP_KEYS else 0
    picked = {i: chosen(answer, DIMENSION_KEYS[i]) for i in STEPS[step]}
    # What the tap carried, kept on the card whether or not it is recorded.
    kept = {i: int(value) for i, value in picked.items() if value is not None and value.isdecimal()}
    if answer.event_key == EDIT_KEY:
        return Reply(f"修改 {ratee.name} 的测评：第 1/2 步。", card_update=shown(0, "修改：第 1/2 步，德、能、勤", kept))
    unchosen = [DIMENSIONS_ZH[i] for i, value in picked.items() if value is None]
    if unchosen:
        note = f"请为{'、'.join(unchosen)}选择分数后再点按钮"
        return Reply(note, card_update=shown(step, note, kept))
    check = check_marks({i: value for i, value in picked.items() if value is not None}, ctx.cfg)
    if not check.ok:
        note = "⚠️ 未记录：" + "；".join(check.reasons_zh)
        return Reply(note, card_update=shown(step, note, kept))
    await box.put_marks(ev.id, ctx.userid, card.ratee, dict(check.marks))
    marks = {**marks, **check.marks}
    complete = len(marks) == len(DIMENSIONS_ZH)
    if step == 0 or not complete:
        message = f"已记录 {ratee.name}：{marks_text(marks)}。请继续选择{'绩、廉' if step == 0 else '德、能、勤'}。"
        return Reply(message, card_update=shown(1 - step))
    drafts[card.ratee] = marks
    done = sum(1 for c in cards if len(drafts.get(c.ratee, {})) == len(DIMENSIONS_ZH))
    tail = "全部测评完毕，请点「提交测评」或发送「测评 提交」。" if done == len(cards) else f"已完成 {done}/{len(cards)} 人。"
    message = f"已记录 {ratee.name}：{marks_text(marks)}。{tail}提交前可修改。"
    return Reply(message, card_update=shown(FINISHED))


@router.card(SUBMIT_PREFIX)
async def submit_card_answer(answer: CardAnswer, ctx: Ctx) -> Reply:
    parsed = parse_task_id(answer.task_id, SUBMIT_PREFIX)
    ev = await ctx.store.year.evaluation.by_year(int(parsed[0])) if parsed and parsed[0].isdigit() else None
    if parsed is None or ev is None:
        raise Refusal("这张卡片无法识别或已失效，未作任何更改。发送「测评 提交」也可以提交测评。")
    if parsed[1] != submit_token(ev.id, ctx.userid):
        raise Refusal("这张提交卡片不是发给您的，未作任何更改。")
    if await ctx.store.year.evaluation.has_handed_in(ev.id, ctx.userid):  # the card shows it now
        text = f"您已提交{year_label(ev.year)}，提交后不能再修改。"
    else:
        text = await hand_in(ctx, ev, ctx.userid)
    cards = len(await ctx.store.year.evaluation.assignments_of(ev.id, ctx.userid))
    done = submit_card(task_id=answer.task_id, year=ev.year, cards=cards,
                       deadline=deadline_text(ctx, ev.closes_at), note=text, done=True)
    return Reply(text, card_update=done)


# ---- 测评 by text --------------------------------------------------------------------------


@router.command(
    "测评", "民主测评",
    usage="测评 / 测评 张三 90 88 92 85 95 / 测评 提交",
    summary="年度民主测评：重新收到未完成的卡片；按姓名依次给德、能、勤、绩、廉打分；完成后提交",
    audience=Audience.cadre, section=SECTION,
)
async def evaluate_by_text(args: str, ctx: Ctx) -> Reply:
    words = [w for w in _SPLIT.split(fold(args).strip()) if w]
    person = ctx.require_cadre()
    ev, cards = await my_open_round(ctx, YEAR, person.userid)
    if words in (["提交"], ["交卷"], ["submit"]):
        return Reply(await hand_in(ctx, ev, person.userid))
    await refuse_if_handed_in(ctx, ev, person.userid)
    box = ctx.store.year.evaluation
    drafts = await box.drafts(ev.id, person.userid)
    if not words:
        todo = [c for c in cards if len(drafts.get(c.ratee, {})) < len(DIMENSIONS_ZH)]
        await queue_cards(ctx, ev, todo, key_suffix=await box.next_resend(ev.id, person.userid),
                          totals={person.userid: len(cards)}, drafts=drafts)
        label = year_label(ev.year)
        if not todo:
            return Reply(f"{label}：{len(cards)} 人已全部测评，请点「提交测评」或发送「测评 提交」。已重新发送提交卡片。")
        return Reply(
            f"{label}：共 {len(cards)} 人，已完成 {len(cards) - len(todo)} 人，未完成的 {len(todo)} 张卡片已重新发送。"
            f"截止 {deadline_text(ctx, ev.closes_at)}。"
        )
    first_mark = next((i for i, w in enumerate(words) if w.lstrip("+-").isdecimal() or w[:1].isdigit()), len(words))
    if first_mark == 0:
        raise Refusal("请写成「测评 姓名 德 能 勤 绩 廉」，例如：测评 张三 90 88 92 85 95。只发「测评」可重新收到未完成的卡片。")
    card = find_card(ctx, person, cards, words[:first_mark], command="测评", example="90 88 92 85 95")
    check = check_evaluation(words[first_mark:], ctx.cfg)
    name = name_of(ctx, card.ratee)
    if not check.ok:
        raise Refusal(f"未记录 {name} 的测评：" + "；".join(check.reasons_zh) + "。例如：测评 张三 90 88 92 85 95。")
    await box.put_marks(ev.id, person.userid, card.ratee, dict(check.marks))
    await show_marks(ctx, ev, card, {**drafts.get(card.ratee, {}), **check.marks})
    done = sum(1 for c in cards if c.ratee == card.ratee or len(drafts.get(c.ratee, {})) == len(DIMENSIONS_ZH))
    tail = "全部测评完毕，请发送「测评 提交」。" if done == len(cards) else f"已完成 {done}/{len(cards)} 人。"
    return Reply(f"已记录 {name}：{marks_text(check.marks)}。{tail}提交前可修改。")


# ---- admin commands ------------------------------------------------------------------------


@router.command("测评进度", "测评 进度", usage="测评进度 2026", summary="各单位提交民主测评的人数（不含任何分数）",
                audience=Audience.admin, section=SECTION)
async def evaluation_progress(args: str, ctx: Ctx) -> Reply:
    return Reply(await progress_text(ctx, YEAR, await evaluation_for(ctx, args, statuses=(RoundStatus.open, RoundStatus.closed))))


@router.command("开启测评", usage="开启测评 2026", summary="开启某年度的民主测评（默认上一年），向测评人发送卡片",
                audience=Audience.admin, section=SECTION)
async def open_year_evaluation(args: str, ctx: Ctx) -> Reply:
    return Reply(await open_evaluation(ctx, _year_arg(ctx, args), ctx.userid))


@router.command("关闭测评", usage="关闭测评 2026", summary="提前关闭民主测评：未提交的完整测评自动提交，其余作废",
                audience=Audience.admin, section=SECTION)
async def close_year_evaluation(args: str, ctx: Ctx) -> Reply:
    return Reply(await close_evaluation(ctx, await evaluation_for(ctx, args, statuses=(RoundStatus.open,))))


@router.command("单位结果", usage="单位结果 2026 / 单位结果 2026 城关镇 92.5 团区委 88",
                summary="查看已导入的单位年度综合考核结果和尚缺的单位；写上各单位名称和得分即导入（替换该年此前导入的结果）",
                audience=Audience.admin, section=SECTION)
async def year_unit_results(args: str, ctx: Ctx) -> Reply:
    words = [w for w in _SPLIT.split(fold(args).strip()) if w]
    first = words[0].removesuffix("年度").removesuffix("年") if words else ""
    dated = first.isdigit() and len(first) == 4  # no year: last year's, as 单位结果 alone
    year = _year_arg(ctx, words[0] if dated else "")
    pairs = words[1:] if dated else words
    if not pairs:
        return Reply(await unit_results_text(ctx, year))
    if len(pairs) % 2:
        raise Refusal(
            f"未导入：单位名称和得分要成对写，收到 {len(pairs)} 项。例如：{unit_results_example(ctx, year)}"
        )
    typed = [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    records = [{"unit": name, "score": score} for name, score in typed]
    return Reply(await import_unit_results(ctx, year, records, where=lambda i: f"「{typed[i][0]} {typed[i][1]}」"))


@router.command("发布年度结果", usage="发布年度结果 2026 / 发布年度结果 2026 重新发布",
                summary="计算并发布年度考核结果（缺数据时列出缺什么）；更正须写「重新发布」，原版本保留",
                audience=Audience.admin, section=SECTION)
async def publish_annual(args: str, ctx: Ctx) -> Reply:
    force, words = split_force(fold(args).split())
    republish, words = split_republish(words)
    year = _year_arg(ctx, " ".join(words))
    if runs_as_job(ctx):
        await check_publish(ctx, year, republish=republish)
        title = f"发布年度结果 {year}" + ("（重新发布）" if republish else "")
        return await start_job(ctx, "year.publish", {"year": year, "republish": republish, "force": force}, title)
    return Reply(await publish_year(ctx, year, ctx.userid, republish=republish, force=force))


_YEAR_IN_TEXT = re.compile(r"(?<![0-9A-Za-z_])(\d{4})(?:年度|年)?(?![0-9A-Za-z_])")


def _year_and_who(ctx: Ctx, args: str) -> tuple[int, str]:
    """`2026 张三`, `张三 2026年`, `2026张三`, `张三` (last year); `张三@城关镇` or `张三 城关镇`."""
    text = fold(args).strip()
    years = _YEAR_IN_TEXT.findall(text)
    who = "@".join(_YEAR_IN_TEXT.sub(" ", text).split(None, 1)).replace(" ", "")
    if len(years) > 1 or not who:
        raise Refusal("请写成「评定优秀 2026 张三」（同名时写 张三@城关镇）。")
    return _year_arg(ctx, years[0] if years else ""), who


@router.command("评定优秀", "评为优秀", usage="评定优秀 2026 张三",
                summary="年度优秀名额边界同分待定的人员：评为优秀（不超出名额），发布新版本并通知本人",
                audience=Audience.admin, section=SECTION)
async def grant_excellent(args: str, ctx: Ctx) -> Reply:
    year, who = _year_and_who(ctx, args)
    return Reply(await decide_tie(ctx, year, who, True, ctx.userid))


@router.command("不评优秀", "不评为优秀", usage="不评优秀 2026 张三",
                summary="年度优秀名额边界同分待定的人员：不评为优秀，发布新版本并通知本人",
                audience=Audience.admin, section=SECTION)
async def refuse_excellent(args: str, ctx: Ctx) -> Reply:
    year, who = _year_and_who(ctx, args)
    return Reply(await decide_tie(ctx, year, who, False, ctx.userid))


# ---- using the results -------------------------------------------------------------------


@router.command("能否提拔", usage="能否提拔 张三 / 能否提拔 张三@城关镇",
                summary="是否符合提拔的实绩条件及理由（主要领导问本单位，分管领导问分管单位）",
                audience=Audience.leader, section=SECTION)
async def ask_promotion(args: str, ctx: Ctx) -> Reply:
    return Reply(await decisions.can_promote(ctx, fold(args)))


@router.command("提拔名单", usage="提拔名单 正科级", summary="符合提拔实绩条件的同职级干部",
                audience=Audience.leader, section=SECTION)
async def list_promotion(args: str, ctx: Ctx) -> Reply:
    return Reply(await decisions.promotion_list(ctx, fold(args)))


@router.command("评先名单", usage="评先名单 正科级", summary="年度总分列全区同职级前 1/2、可推荐评先评优的干部",
                audience=Audience.leader, section=SECTION)
async def list_commendation(args: str, ctx: Ctx) -> Reply:
    return Reply(await decisions.commendation_list(ctx, fold(args)))


@router.command("末位名单", usage="末位名单 2026", summary="本单位末位及提醒谈话、诫勉谈话、组织处理",
                audience=Audience.leader, section=SECTION)
async def list_last_place(args: str, ctx: Ctx) -> Reply:
    return Reply(await decisions.last_place_list(ctx, fold(args)))

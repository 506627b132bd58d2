"""The written notice of the final year and 本人意见 (issue 24 item 6; 公务员法 第三十六条: the
result is given to the person in writing).

When the year becomes final (handlers/services/year_notice.py `finalize_if_due`) every cadre of
the final version still on the roster gets a result card (handlers/render/notice_cards.py):
grade, score and places, withheld where the disclosure rules say (scoring.disclosure, as
`year_publish.breakdown_text`), with 「确认」 and 「有异议」. 有异议 asks for the cadre's own
opinion by text (`本人意见 内容`); the answer and the opinion are kept with their times, as the
paper 年度考核登记表 keeps 本人意见 and a signature, and the archive PDF shows them. Those who
have not answered after `[notice] answer_remind_working_days` are reminded once.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from handlers.base import CardAnswer, Ctx, Refusal, Reply
from handlers.render.notice_cards import CONFIRM_KEY, OBJECT_KEY, notice_card, notice_task_id
from handlers.services.year_publish import grade_name, row_shown
from scoring.disclosure import own_unit_place_shown
from scoring.grades import AnnualGrade
from scoring.types import RANK_ZH, Rank, Role
from storage.models_year import AnnualResult
from storage.models_year_notice import YearNoticeReply

CONFIRMED, OBJECTED = "confirmed", "objected"
MAX_OPINION_CHARS = 1000


def annual_grade(row: AnnualResult | SimpleNamespace) -> AnnualGrade:
    """The one place 公示, the notice and 复核 read a cadre's grade: the published 等次; a year
    published before grades existed, 优秀 or else 称职."""
    if row.grade is not None:
        return AnnualGrade(row.grade)
    return AnnualGrade.excellent if row.excellent else AnnualGrade.competent


def is_excellent(row: AnnualResult | SimpleNamespace) -> bool:
    return annual_grade(row) is AnnualGrade.excellent


def grade_zh(row: AnnualResult) -> str:
    """The grade the notice states: the 等次 by the cadre's 人员类别 (year_publish.grade_name)."""
    return grade_name(row)


def facts(row: AnnualResult, quarter_raters: dict[int, int], k: int) -> list[tuple[str, str]]:
    """What the card states, each at most 30 characters: a withheld score stays withheld, and
    so does a unit place that would reveal it (a main leader sees the unit's list)."""
    shown = row_shown(row, quarter_raters, k)
    out = [("等次", grade_zh(row))]
    out.append(("年度得分", f"{row.annual} 分" if shown.composite else f"评分人不足 {k} 人，不公布"))
    if own_unit_place_shown(shown.composite, Role(row.role) is Role.main_leader):
        out.append(("单位排名", f"{row.unit_size} 人中第 {row.unit_rank} 名"))
    out.append(("同职级", f"全区{RANK_ZH[Rank(row.rank_level)]} {row.level_size} 人中第 {row.level_rank} 名"))
    return out


def _time(ctx: Ctx, moment: datetime) -> str:
    local = moment.astimezone(ctx.now.tzinfo)
    return f"{local:%Y-%m-%d %H:%M}"


async def send_notices(ctx: Ctx, year: int, version: int) -> int:
    """Queue every cadre's result card of the final `version`; the number sent."""
    published = await ctx.store.year.published(year, version=version)
    assert published is not None
    raters = await ctx.store.results.quarter_raters(year)
    k = ctx.cfg.min_group_size
    rows = [r for r in published.rows if ctx.directory.get(r.userid) is not None]
    replies = [YearNoticeReply(year=year, userid=r.userid, version=version, task_id=notice_task_id(year), sent_at=ctx.now)
               for r in rows]
    await ctx.store.notice.add_replies(replies)
    for row, reply in zip(rows, replies, strict=True):
        card = notice_card(task_id=reply.task_id, year=year, unit_name=row.unit_name,
                           facts=facts(row, raters.get(row.userid, {}), k))
        await ctx.store.outbox.enqueue(f"year-notice:{year}:{row.userid}", [row.userid], "template_card", {"card": card}, ctx.now)
    await ctx.audit("year.notice.send", f"{year} version {version}: {len(rows)} people")
    return len(rows)


def _state(ctx: Ctx, reply: YearNoticeReply) -> str | None:
    """What the card shows once answered."""
    if reply.answer == CONFIRMED and reply.answered_at is not None:
        return f"已确认（{_time(ctx, reply.answered_at)}）"
    if reply.answer == OBJECTED:
        return "已记录本人意见" if reply.opinion else "有异议：请发送「本人意见 您的意见」"
    return None


async def answer_card(ctx: Ctx, answer: CardAnswer) -> Reply:
    reply = await ctx.store.notice.reply_by_task(answer.task_id)
    if reply is None or reply.userid != ctx.userid:
        raise Refusal("这张卡片无法识别或不是发给您的，未作任何更改。")
    if answer.event_key not in (CONFIRM_KEY, OBJECT_KEY):
        raise Refusal("无法识别的按钮，未作任何更改。请点「确认」或「有异议」。")
    text = await _answer(ctx, reply, confirm=answer.event_key == CONFIRM_KEY)
    published = await ctx.store.year.published(reply.year, version=reply.version, userid=reply.userid)
    row = published.rows[0] if published is not None and published.rows else None
    raters = await ctx.store.results.quarter_raters(reply.year, reply.userid)
    card = notice_card(
        task_id=reply.task_id, year=reply.year, unit_name=row.unit_name if row else "",
        facts=facts(row, raters.get(reply.userid, {}), ctx.cfg.min_group_size) if row else [("等次", "—")],
        answered=_state(ctx, reply),
    )
    return Reply(text, card_update=card)


async def confirm_by_text(ctx: Ctx) -> str:
    return await _answer(ctx, await _my_reply(ctx), confirm=True)


async def _answer(ctx: Ctx, reply: YearNoticeReply, *, confirm: bool) -> str:
    if reply.answer == CONFIRMED:
        return f"您已于 {_time(ctx, reply.answered_at or ctx.now)} 确认{reply.year}年度考核结果，未作更改。"
    if reply.answer == OBJECTED:
        if reply.opinion:
            return f"您的本人意见已于 {_time(ctx, reply.opinion_at or ctx.now)} 记录，未作更改。如需补充，请联系考核办。"
        return "请发送「本人意见 您的意见」，意见将记入年度考核登记表。"
    reply.answer, reply.answered_at = (CONFIRMED if confirm else OBJECTED), ctx.now
    await ctx.audit(f"year.notice.{reply.answer}", f"{reply.year} {reply.userid}")
    if confirm:
        return f"已确认{reply.year}年度考核结果（{_time(ctx, ctx.now)}），记入年度考核登记表。"
    return (f"已记录您对{reply.year}年度考核结果有异议。请发送「本人意见 您的意见」，意见将记入年度考核登记表。"
)


async def _my_reply(ctx: Ctx) -> YearNoticeReply:
    reply = await ctx.store.notice.reply_of(ctx.userid)
    if reply is None:
        raise Refusal("您还没有收到年度考核结果通知：公示期满、结果确定后才会发出。")
    return reply


async def record_opinion(ctx: Ctx, text: str) -> str:
    """`本人意见 内容`: the cadre's own opinion on the result, kept with its time."""
    reply = await _my_reply(ctx)
    opinion = text.strip()
    if len(opinion) < 2:
        raise Refusal("请在「本人意见」后写上您的意见，例如：本人意见 对年度得分有异议，第三季度得分未计入加班情况。")
    if len(opinion) > MAX_OPINION_CHARS:
        raise Refusal(f"意见超过 {MAX_OPINION_CHARS} 字，请精简后重发，未记录。")
    if reply.opinion:
        raise Refusal(f"您的本人意见已于 {_time(ctx, reply.opinion_at or ctx.now)} 记录，不能修改。如需补充，请联系考核办。")
    if reply.answer == CONFIRMED:
        raise Refusal(f"您已于 {_time(ctx, reply.answered_at or ctx.now)} 确认结果，不能再提出异议。如有新情况，请联系考核办。")
    if reply.answer == "":
        reply.answer, reply.answered_at = OBJECTED, ctx.now
    reply.opinion, reply.opinion_at = opinion, ctx.now
    await ctx.audit("year.notice.opinion", f"{reply.year} {reply.userid}")
    admins = list(ctx.settings.admin.userids)
    if admins:
        person = ctx.directory.people.get(reply.userid)
        who = person.label if person is not None else reply.userid
        await ctx.store.outbox.enqueue(f"year-opinion:{reply.year}:{reply.userid}", admins, "text", {
            "content": f"📝 {who}对{reply.year}年度考核结果有异议，本人意见：{opinion}"}, ctx.now)
    return f"已记录您的本人意见（{_time(ctx, ctx.now)}），记入{reply.year}年度考核登记表，并已转给考核办。"


async def remind_unanswered(ctx: Ctx) -> None:
    """Once, to each cadre who has not answered `answer_remind_working_days` working days
    after the notice (outbox key per year and cadre: once across replicas)."""
    days = ctx.settings.notice.answer_remind_working_days
    for year in await ctx.store.notice.unanswered_years():
        for reply in await ctx.store.notice.replies(year):
            sent = reply.sent_at.astimezone(ctx.now.tzinfo).date()
            if reply.answer or reply.reminded_at is not None or ctx.calendar.add_working_days(sent, days) > ctx.today:
                continue
            if ctx.directory.get(reply.userid) is None:
                continue
            reply.reminded_at = ctx.now
            await ctx.store.outbox.enqueue(f"year-notice-remind:{year}:{reply.userid}", [reply.userid], "text", {
                "content": (f"⏰ 您还没有回复{year}年度考核结果通知。请在结果卡片上点「确认」或「有异议」，"
                            "也可以发送「确认结果」，或「本人意见 您的意见」。")}, ctx.now)


async def notice_lines(ctx: Ctx, year: int) -> dict[str, list[str]]:
    """The archive's 本人意见 record per cadre (the 年度考核登记表's last box)."""
    out: dict[str, list[str]] = {}
    for reply in await ctx.store.notice.replies(year):
        lines = [f"结果通知：{_time(ctx, reply.sent_at)} 送达（第 {reply.version} 版）"]
        if reply.answer == CONFIRMED and reply.answered_at is not None:
            lines.append(f"本人意见：确认（{_time(ctx, reply.answered_at)}）")
        elif reply.answer == OBJECTED:
            opinion = f"{reply.opinion}（{_time(ctx, reply.opinion_at)}）" if reply.opinion and reply.opinion_at else "尚未填写"
            lines.append(f"本人意见：有异议。{opinion}")
        else:
            lines.append("本人意见：尚未回复")
        out[reply.userid] = lines
    return out

"""复核 and 申诉 of the year's grade on their statutory clocks (issue 24 item 7; 公务员法 第九十五条、
第九十六条).

A cadre whose grade is in `[notice] review_grades` (default 不称职) may request 复核
(`申请复核 理由`) within `[grades] review_request_days` of the written notice; the 考核办 is told
and reminded, and decides within `review_decision_days` (`复核决定 编号 维持|变更 … 理由`), a
written decision sent to the cadre. A 变更 re-publishes only what changed as a new version of the
year (earlier versions kept). After the decision the cadre may record a 申诉 to the higher
authority (`申诉 理由`) within `appeal_request_days`; the admin enters the outside decision
(`申诉结果 编号 内容`). The result stays in force meanwhile (执行不停止). Every step is audited.
"""

from __future__ import annotations

from datetime import date

from handlers.base import Ctx, Refusal, day_label
from handlers.services.year_publish import compute_outcome, gather_complete, publish_version
from handlers.services.year_result_notice import annual_grade
from handlers.services.year_ties import DECIDED_FIELDS
from scoring.grades import (
    GRADE_ZH,
    AnnualGrade,
    StaffCategory,
    appeal_due,
    review_decision_due,
    review_request_due,
)
from scoring.year_end import Change
from storage.models_year_notice import YearReview

KEEP, CHANGE = "upheld", "changed"
DECISION_ZH = {KEEP: "维持原等次", CHANGE: "变更等次"}
# What a 变更 can give today: the published year carries 优秀 or not (grades24 adds the rest).
CHANGEABLE = {"优秀": AnnualGrade.excellent}
MIN_REASON_CHARS = 5


def grade_name(grade: str) -> str:
    return GRADE_ZH[StaffCategory.civil_servant].get(AnnualGrade(grade), grade)


def _name(ctx: Ctx, userid: str) -> str:
    person = ctx.directory.people.get(userid)
    return person.label if person is not None else userid


def _date(ctx: Ctx, day: date) -> str:
    return f"{day.year}年{day_label(day)}" if day.year != ctx.today.year else day_label(day)


async def _push(ctx: Ctx, key: str, to: list[str], text: str) -> None:
    if to:
        await ctx.store.outbox.enqueue(key, to, "text", {"content": text}, ctx.now)


async def request_review(ctx: Ctx, reason: str) -> str:
    """`申请复核 理由`: against the grade of the cadre's last written notice."""
    reply = await ctx.store.notice.reply_of(ctx.userid)
    if reply is None:
        raise Refusal("您还没有收到年度考核结果书面通知：结果确定、通知送达后才能申请复核。")
    year = reply.year
    notified = reply.sent_at.astimezone(ctx.now.tzinfo).date()
    due = review_request_due(notified, ctx.settings.grades)
    if ctx.today > due:
        raise Refusal(f"申请复核的期限已过：{year}年度结果于 {_date(ctx, notified)}通知，须在 {_date(ctx, due)}前申请"
                      f"（《公务员法》第九十五条，{ctx.settings.grades.review_request_days} 日）。未记录。")
    existing = await ctx.store.notice.review_of(year, ctx.userid)
    if existing is not None:
        raise Refusal(f"您已于 {_date(ctx, existing.requested_at.astimezone(ctx.now.tzinfo).date())}申请复核（编号 {existing.id}），"
                      "同一年度只能申请一次。未作更改。")
    published = await ctx.store.year.published(year, userid=ctx.userid)
    if published is None or not published.rows:
        raise Refusal(f"没有找到您的{year}年度考核结果，未记录。请联系考核办。")
    grade = annual_grade(published.rows[0])
    if grade.value not in ctx.settings.notice.review_grades:
        allowed = "、".join(grade_name(g) for g in ctx.settings.notice.review_grades)
        raise Refusal(f"按规定，等次为{allowed}的可以申请复核；您{year}年度的等次是「{grade_name(grade)}」，不在其列。"
                      "对结果有意见，可发送「本人意见 您的意见」记入年度考核登记表。")
    text = reason.strip()
    if len(text) < MIN_REASON_CHARS:
        raise Refusal(f"请写明申请复核的理由（至少 {MIN_REASON_CHARS} 个字），例如：申请复核 第三季度得分未计入……。未记录。")
    decision_due = review_decision_due(ctx.today, ctx.settings.grades)
    number = await ctx.store.notice.add_review(YearReview(
        year=year, userid=ctx.userid, grade=grade.value, reason=text, requested_at=ctx.now, decision_due=decision_due,
    ))
    await ctx.audit("year.review.request", f"{year} #{number} {ctx.userid}")
    await _push(ctx, f"year-review:{number}", list(ctx.settings.admin.userids), (
        f"📮 {_name(ctx, ctx.userid)}申请复核{year}年度考核等次（编号 {number}，现为「{grade_name(grade)}」）。\n理由：{text}\n"
        f"请在 {_date(ctx, decision_due)}前作出书面复核决定（《公务员法》第九十六条）："
        f"「复核决定 {number} 维持 理由」或「复核决定 {number} 变更 优秀 理由」。"
    ))
    return (f"已收到您的复核申请（编号 {number}）。考核办须在 {_date(ctx, decision_due)}前作出书面决定并通知您；"
            "复核期间原结果不停止执行。")


async def decide_review(ctx: Ctx, number: int, change: bool, to: str | None, reason: str, by: str) -> str:
    """`复核决定 编号 维持 理由` / `复核决定 编号 变更 优秀 理由`."""
    store = ctx.store.notice
    review = await store.review(number)
    if review is None:
        raise Refusal(f"没有编号为 {number} 的复核申请。发送「复核列表」查看。")
    if review.decision:
        raise Refusal(f"复核 {number} 已于此前决定（{DECISION_ZH[review.decision]}），未作更改。")
    if len(reason.strip()) < 2:
        raise Refusal(f"请写上复核决定的理由，例如：复核决定 {number} 维持 经复核，原结果计算无误。")
    if change and to not in CHANGEABLE:
        raise Refusal(f"请写明变更后的等次，目前可变更为：{'、'.join(CHANGEABLE)}。例如：复核决定 {number} 变更 优秀 理由。")
    review.decision, review.decision_reason = (CHANGE if change else KEEP), reason.strip()
    review.decided_by, review.decided_at = by, ctx.now
    review.changed_to = CHANGEABLE[to].value if change and to else None
    review.appeal_due = appeal_due(ctx.today, ctx.settings.grades)
    await ctx.store.session.flush()
    await ctx.audit(f"year.review.{review.decision}", f"{review.year} #{number} {review.userid}")
    answer = f"复核 {number}（{_name(ctx, review.userid)}）：{DECISION_ZH[review.decision]}，已书面通知本人。"
    if change:
        answer += "\n" + await _republish(ctx, review, number, by)
    verdict = f"变更为「{grade_name(review.changed_to or '')}」" if change else "维持原等次"
    await _push(ctx, f"year-review-decided:{number}", [review.userid], (
        f"📄 {review.year}年度考核复核决定书（编号 {number}）\n决定：{verdict}。\n理由：{reason.strip()}\n"
        f"决定日期：{_date(ctx, ctx.today)}。如不服，可在 {_date(ctx, review.appeal_due)}前向上级机关提出申诉"
        f"（《公务员法》第九十五条），并发送「申诉 理由」记录；申诉期间本决定不停止执行。"
    ))
    return answer


async def _republish(ctx: Ctx, review: YearReview, number: int, by: str) -> str:
    prior = await ctx.store.year.latest_version(review.year)
    assert prior is not None
    gathered = await gather_complete(ctx, review.year)
    outcome = await compute_outcome(ctx, review.year, gathered, await ctx.store.year.excellent_decisions(review.year))

    def only_theirs(change: Change) -> bool:
        return change.userid == review.userid and change.field in DECIDED_FIELDS

    return await publish_version(
        ctx, review.year, by, prior, gathered, outcome,
        why=f"复核 {number} 决定变更：{_name(ctx, review.userid)}", note="复核决定变更", may_change=only_theirs,
    )


async def appeal(ctx: Ctx, reason: str) -> str:
    """`申诉 理由`: recorded and tracked; the higher authority decides outside the system."""
    reviews = [r for r in await ctx.store.notice.reviews() if r.userid == ctx.userid]
    review = reviews[-1] if reviews else None
    if review is None or not review.decision or review.appeal_due is None:
        raise Refusal("申诉在复核决定作出后提出：请先「申请复核 理由」，收到复核决定后再申诉。未记录。")
    if review.appealed_at is not None:
        raise Refusal(f"您已于 {_date(ctx, review.appealed_at.astimezone(ctx.now.tzinfo).date())}记录申诉，未作更改。")
    if ctx.today > review.appeal_due:
        raise Refusal(f"申诉期限已过：须在复核决定后 {ctx.settings.grades.appeal_request_days} 日内、即 {_date(ctx, review.appeal_due)}前提出"
                      "（《公务员法》第九十五条）。未记录。")
    text = reason.strip()
    if len(text) < MIN_REASON_CHARS:
        raise Refusal(f"请写明申诉理由（至少 {MIN_REASON_CHARS} 个字），例如：申诉 对复核决定不服，理由是……。未记录。")
    review.appeal_reason, review.appealed_at = text, ctx.now
    await ctx.audit("year.appeal.request", f"{review.year} #{review.id} {review.userid}")
    await _push(ctx, f"year-appeal:{review.id}", list(ctx.settings.admin.userids), (
        f"📮 {_name(ctx, review.userid)}对{review.year}年度复核决定（编号 {review.id}）提出申诉：{text}\n"
        f"申诉由上级机关受理；作出决定后请发送「申诉结果 {review.id} 决定内容」记录。原结果在此期间不停止执行。"
    ))
    return (f"已记录您的申诉（复核编号 {review.id}），并告知考核办。申诉请同时按规定向上级机关提交书面材料；"
            "处理期间原结果不停止执行。")


async def enter_appeal_outcome(ctx: Ctx, number: int, outcome: str, by: str) -> str:
    review = await ctx.store.notice.review(number)
    if review is None or review.appealed_at is None:
        raise Refusal(f"编号 {number} 没有记录申诉。发送「复核列表」查看。")
    if review.appeal_outcome:
        raise Refusal(f"申诉 {number} 的结果已于此前记录：{review.appeal_outcome}。未作更改。")
    if len(outcome.strip()) < 2:
        raise Refusal(f"请写上申诉决定的内容，例如：申诉结果 {number} 维持原复核决定。")
    review.appeal_outcome, review.appeal_entered_by, review.appeal_entered_at = outcome.strip(), by, ctx.now
    await ctx.audit("year.appeal.result", f"{review.year} #{number} {review.userid}")
    await _push(ctx, f"year-appeal-result:{number}", [review.userid],
                f"📄 您对{review.year}年度复核决定的申诉，上级机关的决定已记录：{outcome.strip()}")
    return f"已记录申诉 {number}（{_name(ctx, review.userid)}）的结果：{outcome.strip()}。"


async def reviews_text(ctx: Ctx) -> str:
    found = await ctx.store.notice.reviews()
    if not found:
        return "没有复核申请。"
    lines = [f"📋 复核与申诉 {len(found)} 件"]
    for r in found:
        state = f"待决定，{_date(ctx, r.decision_due)}前" if not r.decision else DECISION_ZH[r.decision]
        if r.appealed_at is not None:
            state += "；已申诉" + (f"，结果：{r.appeal_outcome}" if r.appeal_outcome else "，待录入结果")
        lines.append(f"{r.id}. {r.year}年度 {_name(ctx, r.userid)}（{grade_name(r.grade)}）：{r.reason}【{state}】")
    return "\n".join(lines)


async def remind_reviews(ctx: Ctx) -> None:
    """Each working day from `remind_working_days_before_end` working days before a 复核 is
    due (and after, while overdue): one reminder per day to the 考核办 (per-day outbox key)."""
    before = ctx.settings.notice.remind_working_days_before_end
    admins = list(ctx.settings.admin.userids)
    for review in await ctx.store.notice.open_reviews():
        if ctx.calendar.add_working_days(ctx.today, before - 1) < review.decision_due or not admins:
            continue
        late = "已逾期" if ctx.today > review.decision_due else f"须在 {_date(ctx, review.decision_due)}前作出决定"
        await ctx.store.outbox.enqueue(f"year-review-remind:{review.id}:{ctx.today.isoformat()}", admins, "text", {
            "content": f"⏰ {_name(ctx, review.userid)}的复核申请（编号 {review.id}）尚未决定，{late}"
                       f"（《公务员法》第九十六条）。发送「复核决定 {review.id} 维持 理由」或「复核决定 {review.id} 变更 优秀 理由」。"},
            ctx.now)


def review_lines(ctx: Ctx, review: YearReview) -> list[str]:
    """The archive's record of a cadre's 复核 and 申诉, with dates."""
    def when(moment: object) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else ""

    lines = [f"复核申请（编号 {review.id}）：{when(review.requested_at.astimezone(ctx.now.tzinfo))}，理由：{review.reason}"]
    if review.decision and review.decided_at is not None:
        to = f"，变更为「{grade_name(review.changed_to)}」" if review.changed_to else ""
        lines.append(f"复核决定：{DECISION_ZH[review.decision]}{to}（{when(review.decided_at.astimezone(ctx.now.tzinfo))}），理由：{review.decision_reason}")
    if review.appealed_at is not None:
        lines.append(f"申诉：{when(review.appealed_at.astimezone(ctx.now.tzinfo))}，理由：{review.appeal_reason}")
    if review.appeal_outcome and review.appeal_entered_at is not None:
        lines.append(f"申诉结果：{review.appeal_outcome}（{when(review.appeal_entered_at.astimezone(ctx.now.tzinfo))} 录入）")
    return lines

"""「今天不提醒」: a cadre mutes today's log nudge (issue 26, item 8). The nudge job leaves out
whoever muted (scheduler/reminder_plan.py); the backfill-deadline warning still goes, since
missing it costs points."""

from __future__ import annotations

from handlers.audience import Audience
from handlers.base import Ctx, Reply, day_label
from handlers.router import Router
from scoring.workdays import UnknownCalendarYear

router = Router()

DAILY = "daily"  # the claim kind of today's log nudge (scheduler/reminder_plan.py)


@router.command(
    "今天不提醒", "今日不提醒", "今天别提醒",
    usage="今天不提醒",
    summary="今天不再收到「记日志」提醒（补记截止提醒照常），明天起恢复",
    audience=Audience.cadre,
)
async def mute_today(args: str, ctx: Ctx) -> Reply:
    person = ctx.require_cadre()
    today = day_label(ctx.today)
    try:
        working = ctx.calendar.is_working_day(ctx.today)
    except UnknownCalendarYear:
        working = True  # muting is harmless either way
    if not working:
        return Reply(f"今天 {today}不是工作日，本来就不发记日志提醒，无需设置。")
    if await ctx.store.logs.get(person.userid, ctx.today) is not None:
        return Reply(f"您今天 {today}的日志已经记载，今天不会再收到记日志提醒。")
    if await ctx.store.reminders.reminded(DAILY, ctx.today, person.userid):
        return Reply(f"今天 {today}的记日志提醒已经发给您了，今天不会再发。日志仍可随时发送。")
    await ctx.store.reminders.mute(person.userid, ctx.today, ctx.now)
    window = ctx.settings.logs.backfill_working_days
    return Reply(
        f"🔕 好的，今天 {today}不再提醒您记日志，明天起照常提醒。"
        f"日志仍可随时发送；今天来不及的，{window} 个工作日内可以「补记」。"
    )

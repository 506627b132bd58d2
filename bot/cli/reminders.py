"""`shiji remind now --kind daily|last-day`: one reminder pass at once."""

from __future__ import annotations

from bot.cli.ops import cli_actor
from bot.clock import clock_from_start
from bot.runtime import Runtime
from bot.settings import Settings
from bot.startup_check import RUNTIME, refuse_unsafe
from scheduler.log_jobs import remind
from storage.repos import Store


async def remind_now(settings: Settings, kind: str) -> int:
    """One reminder pass now, then deliver it; claims keep it from repeating a scheduled one."""
    if refuse_unsafe(settings, "shiji remind now", RUNTIME):
        return 2
    runtime = Runtime.build(settings, clock_from_start(settings.clock.start))
    runtime.background = False  # no scheduler, no sender loop: this pass only
    await runtime.start()
    try:
        outcome = await remind(runtime.jobs, kind.replace("-", "_"), runtime.clock.now())
        attempted = await runtime.sender.drain_once()
        async with runtime.sessions() as session, session.begin():
            await Store(session).audit.record(cli_actor(), "reminders.run_now", kind, runtime.clock.now())
    finally:
        await runtime.close()
    if outcome is None:
        print("今天不是工作日（或缺少节假日安排），没有发送提醒。")
        return 0
    print(
        f"{outcome.day}：应提醒 {outcome.due} 人，新发 {outcome.queued} 人"
        f"（其余此前已提醒），{outcome.batches} 批；本次投递 {attempted} 条消息。"
    )
    return 0

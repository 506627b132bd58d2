"""The APScheduler wiring registers the expected jobs and triggers (the only APScheduler test:
everything else calls the jobs directly on a driven clock)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.clock import SHANGHAI
from bot.settings import load_settings
from scheduler.jobs import due_between, last_instant
from scheduler.log_jobs import LOG_JOBS
from scheduler.registry import all_jobs
from scheduler.wiring import ShiftedTrigger, build_scheduler
from tests.conftest import SAMPLE_ROSTER, at
from tests.harness import running_bot


def cron_fields(trigger: CronTrigger) -> dict[str, str]:
    return {f.name: str(f) for f in trigger.fields if f.name in ("hour", "minute", "second")}


async def test_wiring_registers_every_job_with_its_trigger(sqlite_url, clock):
    async with running_bot(
        sqlite_url, clock, SAMPLE_ROSTER, reminders={"daily_at": "17:35", "grace_minutes": 45}
    ) as h:
        scheduler = build_scheduler(h.runtime.jobs)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        expected = {"remind-daily", "remind-last-day", "rating-open", "rating-remind", "rating-close",
                    "year-eval-open", "year-eval-remind", "year-eval-close", "reminders-after-quiet",
                    "check-copied-logs", "weekly-digest", "prune-inbound", "calendar-warn", "year-notice-check"}
        assert set(jobs) == expected == {j.id for j in all_jobs()}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 45 * 60
        # The test clock is not the system clock, so the cron runs shifted onto it.
        daily = jobs["remind-daily"].trigger
        assert isinstance(daily, ShiftedTrigger) and isinstance(daily.inner, CronTrigger)
        assert str(daily.inner.timezone) == "Asia/Shanghai"
        assert cron_fields(daily.inner) == {"hour": "17", "minute": "35", "second": "0"}
        assert cron_fields(jobs["remind-last-day"].trigger.inner) == {"hour": "10", "minute": "0", "second": "0"}


def test_shifted_trigger_fires_at_the_injected_clocks_time():
    offset = timedelta(days=400, hours=3)  # the injected clock runs this far ahead
    cron = CronTrigger(hour=17, minute=30, timezone=SHANGHAI)
    system_now = datetime(2025, 1, 6, 9, 0, tzinfo=SHANGHAI)
    fire = ShiftedTrigger(cron, offset).get_next_fire_time(None, system_now)
    assert fire is not None
    injected = fire + offset
    assert (injected.hour, injected.minute) == (17, 30) and injected >= system_now + offset


def test_last_instant_is_today_after_the_time_and_yesterday_before():
    settings = type("S", (), {"reminders": type("R", (), {"daily_at": time(17, 30), "last_day_at": time(10)})})()
    daily = LOG_JOBS[0]
    assert last_instant(daily, settings, at("2026-11-23 17:30")) == at("2026-11-23 17:30")  # type: ignore[arg-type]
    assert last_instant(daily, settings, at("2026-11-23 17:29")) == at("2026-11-22 17:30")  # type: ignore[arg-type]


def test_due_between_lists_every_instant_a_moved_clock_passes_in_order() -> None:
    settings = load_settings(None).rules
    due = due_between(all_jobs(), settings, at("2026-11-23 17:00"), at("2026-11-24 17:30"))
    seen = [(instant.strftime("%d %H:%M"), job.id) for instant, job in due]
    assert seen == sorted(seen, key=lambda pair: pair[0])  # oldest first
    assert ("23 17:30", "remind-daily") in seen and ("24 17:30", "remind-daily") in seen
    assert ("24 10:00", "remind-last-day") in seen
    assert not any(when == "23 10:00" for when, _ in seen)  # before the start: not again

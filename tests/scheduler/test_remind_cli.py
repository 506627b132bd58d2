"""`shiji remind now`: an operator's pass goes through the same claims as the scheduled one."""

from __future__ import annotations

from bot.cli.reminders import remind_now
from bot.cli.roster import import_roster
from tests.conftest import SAMPLE_ROSTER
from tests.harness import harness_settings, start_test_standin


async def test_remind_now_sends_once_however_often_it_is_run(db_url, capsys):
    runner, api_base, standin = await start_test_standin()
    try:
        settings = harness_settings(db_url, api_base, clock={"start": "2026-11-23T17:31:00+08:00"})
        assert await import_roster(settings, SAMPLE_ROSTER) == 0
        assert await remind_now(settings, "daily") == 0
        assert await remind_now(settings, "daily") == 0
        assert await remind_now(settings, "last-day") == 0
    finally:
        await runner.cleanup()
    out = capsys.readouterr().out
    assert "应提醒 24 人，新发 24 人" in out and "应提醒 24 人，新发 0 人" in out
    reached = [u for d in standin.sent for u in d.recipients if (d.text or "").startswith("📝")]
    assert sorted(reached) == sorted(set(reached)) and len(reached) == 24
    assert "qw_kongdeming" not in reached  # superior leaders are never reminded

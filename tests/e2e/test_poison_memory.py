"""A message whose work fails is answered once with the failure and never run again: WeCom's
retries of it get the same answer (the same 编号 to quote), on this replica, on another, and
after a restart, which once each started from an empty memory and ran it again."""

from __future__ import annotations

from typing import NoReturn

import pytest

from bot.clock import ManualClock
from tests.conftest import SAMPLE_ROSTER
from tests.e2e.test_daily_logs import WU
from tests.harness import running_bot


@pytest.fixture
def broken_help(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """帮助 hits a bug: every run of it raises (and is counted)."""
    runs: list[str] = []

    def help_text(*_: object) -> NoReturn:
        runs.append("帮助")
        raise RuntimeError("a bug in 帮助")

    monkeypatch.setattr("handlers.help.help_text", help_text)
    return runs


async def test_a_failed_message_retried_after_a_restart_gets_its_answer_without_running_again(
    db_url: str, clock: ManualClock, broken_help: list[str],
) -> None:
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        poison = h.text(WU, "帮助")
        _, first = await h.post(poison)
        answer = h.reply_content(first)
        assert "系统暂时出错（编号" in answer
        runs = len(broken_help)
        _, again = await h.post(poison)  # WeCom's retry, same replica
        assert h.reply_content(again) == answer
    async with running_bot(db_url, clock, None) as restarted:  # or another replica
        _, after_restart = await restarted.post(poison)
        assert restarted.reply_content(after_restart) == answer  # the same 编号 to quote
        assert len(broken_help) == runs  # not run again
        assert "系统暂时出错" in await restarted.say(WU, "帮助")  # sent anew: a new message, run again
        assert len(broken_help) > runs

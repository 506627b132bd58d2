"""What may not be published yet (issue 28): a quarter's or the year's result counts the
period's missing summaries, so it waits until the summary window has closed, unless the
admin forces it knowing what it will deduct; a round nobody handed in is not published by
accident; and a published result is corrected only by an explicit 重新发布."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.base import Refusal, day_label
from scoring.rule_settings import RuleSettings
from scoring.summary_window import SummaryPeriod, summary_deadline
from scoring.workdays import WorkCalendar

FORCE_WORDS = ("强制发布", "force", "--force")
# A published quarter or year is corrected only when the admin says so.
REPUBLISH_WORDS = ("重新发布", "更正", "republish", "--republish")


def split_force(words: Sequence[str]) -> tuple[bool, list[str]]:
    """(whether 强制发布 was written, the other words)."""
    return any(w in FORCE_WORDS for w in words), [w for w in words if w not in FORCE_WORDS]


def split_republish(words: Sequence[str]) -> tuple[bool, list[str]]:
    """(whether 重新发布 was written, the other words)."""
    return any(w in REPUBLISH_WORDS for w in words), [w for w in words if w not in REPUBLISH_WORDS]


def publish_when(
    settings: RuleSettings, calendar: WorkCalendar, today: date, period: SummaryPeriod, command: str,
) -> str:
    """The sentence that tells the admin when `command` may publish `period`: at once, or after
    its summary window closes (the guard below refuses before then)."""
    deadline = summary_deadline(calendar, period, settings.summaries.close_after_end_working_days)
    if deadline is None or today > deadline:
        return f"发送「{command}」计算并发布。"
    return (
        f"{_summary_name(period)}{day_label(deadline, today)}截止，截止后发送「{command}」计算并发布"
        f"（提前发布会提前定下未交{_summary_word(period)}的扣分）。"
    )


def _summary_word(period: SummaryPeriod) -> str:
    return "小结" if period.kind == "quarter" else "总结"


def _summary_name(period: SummaryPeriod) -> str:
    return f"{period.label}{_summary_word(period)}"  # 2026年第4季度小结 / 2026年度总结


def window_guard(
    settings: RuleSettings, calendar: WorkCalendar, today: date, period: SummaryPeriod, *,
    force: bool, command: str, deducts: str,
) -> str:
    """Refuse to publish `period` while its summary window is still open; forced, the note
    for the admin's answer saying what was deducted early ('' once the window has closed).
    `deducts` says what publishing now would deduct; `command` is the chat command to force it."""
    deadline = summary_deadline(calendar, period, settings.summaries.close_after_end_working_days)
    if deadline is not None and today > deadline:
        return ""
    name = _summary_name(period)
    closes = f"{day_label(deadline, today)}截止" if deadline else "尚未截止"
    if force:
        return f"\n⚠️ 已强制发布：{name}{closes}，仍在填写期内；{deducts}。"
    raise Refusal(
        f"{name}{closes}，现在发布会提前定下扣分：{deducts}。未发布；"
        f"请在截止后再发布，确需现在发布请发送「{command} 强制发布」（命令行加 --force）。"
    )

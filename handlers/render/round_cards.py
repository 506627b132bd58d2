"""What every round card has in common, the quarter's (rating_cards.py) and the year's
(year_cards.py): the header naming the round and the ratee, the submit card's footer button,
and the shape of the task ids the round's cards carry."""

from __future__ import annotations

from typing import Any

from handlers.cards import task_parts
from storage.directory import Person

SUBMIT_KEY = "submit"


def card_source(round_label: str) -> dict[str, str]:
    """The line above every round card's title: 「实绩考核 · 2026年第4季度评分」."""
    return {"desc": f"实绩考核 · {round_label}"}


def ratee_title(ratee: Person) -> str:
    """The ratee as a card's main title reads: 「张三（副镇长）」, cut to WeCom's 36 characters."""
    title = f"{ratee.name}（{ratee.position}）" if ratee.position else ratee.name
    return title[:36]


def submit_buttons(label: str, done: bool) -> list[dict[str, Any]]:
    """The submit card's one button: 「提交评分」/「提交测评」, greyed to 「已提交」 once handed in."""
    return [{"text": "已提交" if done else label, "style": 2 if done else 1, "key": SUBMIT_KEY}]


def submit_card(
    *, task_id: str, round_label: str, title: str, deadline: str, text: str, button: str, done: bool,
) -> dict[str, Any]:
    """The card a rater hands in with, after their round's cards."""
    return {
        "card_type": "button_interaction",
        "source": card_source(round_label),
        "main_title": {"title": title, "desc": f"截止 {deadline}"},
        "sub_title_text": text,
        "task_id": task_id,
        "button_list": submit_buttons(button, done),
    }


def parse_task_id(task_id: str, prefix: str) -> tuple[str, str] | None:
    """`rate-2026Q4-<id>-<random>` → ("2026Q4", "<id>"); None if it is not that shape."""
    parts = task_parts(task_id, prefix, 2)
    return (parts[0], parts[1]) if parts else None

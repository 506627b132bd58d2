"""The democratic evaluation's cards (R-YEAR-1), as WeCom message/send JSON.

Design (phones first): one `multiple_interaction` card per colleague, filled in two steps,
because the card holds at most three drop-downs: 德、能、勤, then 绩、廉. A tap on the first
step's button replaces the card with the second step; a tap there shows all five marks
recorded, with the first step offered again to change them until hand-in. Every drop-down's
first option is 「请选择分数」, not a mark (handlers/cards.py: WeCom preselects the first option
when none is chosen, so an untouched drop-down must not read as a score). Other integers go
by text, `测评 姓名 90 88 92 85 95`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.cards import drop_down, new_task_id
from scoring.types import DIMENSIONS_ZH
from storage.directory import Person

EVAL_PREFIX = "dem-"
SUBMIT_PREFIX = "dsub-"
STEP_KEYS = ("step1", "step2")
# Question keys of the five dimensions, in ballot order, and which step asks which.
DIMENSION_KEYS = ("de", "neng", "qin", "ji", "lian")
STEPS: tuple[tuple[int, ...], tuple[int, ...]] = ((0, 1, 2), (3, 4))


def year_label(year: int) -> str:
    return f"{year}年度民主测评"


def eval_task_id(year: int, assignment_id: str) -> str:
    return new_task_id(EVAL_PREFIX, year, assignment_id)


def submit_task_id(year: int, token: str) -> str:
    return new_task_id(SUBMIT_PREFIX, year, token)


def marks_text(marks: Mapping[int, int]) -> str:
    """德 90 能 88 勤 — 绩 — 廉 — : what is recorded so far."""
    return " ".join(f"{DIMENSIONS_ZH[i]} {marks.get(i, '—')}" for i in range(len(DIMENSIONS_ZH)))


def evaluation_card(
    *,
    task_id: str,
    year: int,
    ratee: Person,
    marks: Mapping[int, int],
    step: int,
    card_scores: tuple[int, ...],
    note: str | None = None,
) -> dict[str, Any]:
    """The card at `step` (0: 德能勤, 1: 绩廉), preselecting the marks already given."""
    title = f"{ratee.name}（{ratee.position}）" if ratee.position else ratee.name
    complete = len(marks) == len(DIMENSIONS_ZH)
    if note is None:
        note = ("已记录 " + marks_text(marks) + "，提交前可修改") if complete else (
            f"第 {step + 1}/2 步" + ("，已记录 " + marks_text(marks) if marks else "")
        )
    options = [(str(value), f"{value} 分") for value in card_scores]
    selects = [
        drop_down(DIMENSION_KEYS[i], DIMENSIONS_ZH[i], "请选择分数", options, str(marks.get(i)))
        for i in STEPS[step]
    ]
    return {
        "card_type": "multiple_interaction",
        "source": {"desc": f"实绩考核 · {year_label(year)}"},
        "main_title": {"title": title[:36], "desc": f"{ratee.unit.name} · {note}"[:120]},
        "task_id": task_id,
        "select_list": selects,
        "submit_button": {"text": "下一步：绩、廉" if step == 0 else "确定", "key": STEP_KEYS[step]},
    }


def submit_card(*, task_id: str, year: int, cards: int, deadline: str, note: str | None = None,
                done: bool = False) -> dict[str, Any]:
    text = note or (
        f"您需为 {cards} 位同事测评德、能、勤、绩、廉。全部测评后点「提交测评」（或发送「测评 提交」），"
        f"提交后不能再修改。截止 {deadline}；届时未提交但已完整的测评将自动提交。"
    )
    return {
        "card_type": "button_interaction",
        "source": {"desc": f"实绩考核 · {year_label(year)}"},
        "main_title": {"title": f"提交{year_label(year)}", "desc": f"截止 {deadline}"},
        "sub_title_text": text,
        "task_id": task_id,
        "button_list": [{"text": "已提交" if done else "提交测评", "style": 2 if done else 1, "key": "submit"}],
    }

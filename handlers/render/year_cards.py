"""The democratic evaluation's cards (R-YEAR-1), as WeCom message/send JSON.

Design (phones first): one `multiple_interaction` card per colleague, filled in two steps,
because the card holds at most three drop-downs: 德、能、勤, then 绩、廉. A tap on the first
step's button replaces the card with the second step; a tap there shows the card finished,
all five marks recorded, with a 「修改」 button that opens the first step again until hand-in.
A step tapped with a drop-down left unchosen comes back with the others as they were chosen.
Every drop-down's first option is 「请选择分数」, not a mark (handlers/cards.py: WeCom preselects
the first option when none is chosen, so an untouched drop-down must not read as a score).
Other integers go by text, `测评 姓名 90 88 92 85 95`. Once handed in, a card shows only that
(`handed_in_card`): no mark is kept where the rater's name is (storage/ballot_box.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.cards import drop_down, fit_desc, new_task_id
from handlers.render.round_cards import card_source, ratee_title
from handlers.render.round_cards import submit_card as round_submit_card
from scoring.types import DIMENSIONS_ZH
from storage.directory import Person

EVAL_PREFIX = "dem-"
SUBMIT_PREFIX = "dsub-"
STEP_KEYS = ("step1", "step2")
EDIT_KEY = "edit"  # the finished card's 「修改」: back to the first step, nothing recorded
HANDED_IN_KEY = "handed_in"
FINISHED = 2  # the `step` of a card whose five marks are all recorded
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
    chosen: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """The card at `step` (0: 德能勤, 1: 绩廉, FINISHED: all five recorded, with 「修改」),
    its drop-downs showing `chosen` (what the tap carried, kept though not recorded) or else
    the marks already given."""
    if step == FINISHED:
        note = note or "已完成 " + marks_text(marks)
    elif note is None:
        asks = "、".join(DIMENSIONS_ZH[i] for i in STEPS[step])
        note = f"第 {step + 1}/2 步" + (f"，已记录 {_some_marks(marks)}" if marks else f"：{asks}")
    options = [(str(value), f"{value} 分") for value in card_scores]
    shown = {**marks, **(chosen or {})}
    selects = [
        drop_down(DIMENSION_KEYS[i], DIMENSIONS_ZH[i], "请选择分数", options, str(shown.get(i)))
        for i in STEPS[0 if step == FINISHED else step]
    ]
    button = {0: ("下一步：绩、廉", STEP_KEYS[0]), 1: ("确定", STEP_KEYS[1]), FINISHED: ("修改", EDIT_KEY)}[step]
    return {
        "card_type": "multiple_interaction",
        "source": card_source(year_label(year)),
        "main_title": {"title": ratee_title(ratee), "desc": fit_desc(ratee.unit.name, note)},
        "task_id": task_id,
        "select_list": selects,
        "submit_button": {"text": button[0], "key": button[1]},
    }


def _some_marks(marks: Mapping[int, int]) -> str:
    return " ".join(f"{DIMENSIONS_ZH[i]} {value}" for i, value in sorted(marks.items()))


def handed_in_card(*, task_id: str, year: int, ratee: Person) -> dict[str, Any]:
    """A colleague's card once the rater handed in: no marks (they are sealed without the
    rater), one drop-down that offers nothing to choose, and no step to go to."""
    return {
        "card_type": "multiple_interaction",
        "source": card_source(year_label(year)),
        "main_title": {"title": ratee_title(ratee), "desc": fit_desc(ratee.unit.name, "已提交，测评已匿名保存，不能再修改")},
        "task_id": task_id,
        "select_list": [drop_down("done", "测评", "已提交", [], None)],
        "submit_button": {"text": "已提交", "key": HANDED_IN_KEY},
    }


def submit_card(*, task_id: str, year: int, cards: int, deadline: str, note: str | None = None,
                done: bool = False) -> dict[str, Any]:
    text = note or (
        f"您需为 {cards} 位同事测评德、能、勤、绩、廉。全部测评后点「提交测评」（或发送「测评 提交」），"
        f"提交后不能再修改。截止 {deadline}；届时未提交但已完整的测评将自动提交。"
    )
    return round_submit_card(
        task_id=task_id, round_label=year_label(year), title=f"提交{year_label(year)}", deadline=deadline,
        text=text, button="提交测评", done=done,
    )

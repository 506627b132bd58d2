"""`shiji chat` shows cards as numbered text and answers them like a tap on the phone."""

from __future__ import annotations

import pytest

from bot.cli.chat import CardCommandError, card_answer, card_text
from handlers.render.rating_cards import rating_card
from scoring.types import Rank, Role, UnitCategory
from scoring.workdays import QuarterId
from storage.directory import Person, UnitInfo

WUHAO = Person("chengguan_wuhao", "吴昊", UnitInfo(1, "城关镇", UnitCategory.township), Role.staff, Rank.general, "党政办科员", True)
CARD = rating_card(
    task_id="rate-2026Q4-a1-0f", quarter=QuarterId(2026, 4), ratee=WUHAO, logs=40, workdays=42,
    summary=None, summary_chars=60, score=None, high_score=90, high_left=3, high_cap=3,
    card_scores=(98, 95, 92, 90, 88),
)


def test_a_rating_card_reads_as_text_with_its_number_and_choices() -> None:
    text = card_text({"card_no": 2, "card": CARD})
    assert text.splitlines()[0] == "[卡片 2] 实绩考核 · 2026年第4季度评分"
    assert "分数：▸请选择分数｜98 分｜95 分｜92 分｜90 分｜88 分" in text
    assert "90分以上：本单位还可给 3 人（共 3 人）" in text
    assert "回复「/卡片 2 选 88 确定」作答" in text


def test_choosing_from_the_drop_down_taps_the_only_button() -> None:
    assert card_answer(CARD, "选 95") == ("ok", {"score": ["95"]})
    assert card_answer(CARD, "选 95 确定") == ("ok", {"score": ["95"]})
    # Untouched, the drop-down submits what it shows: the prompt, which records nothing.
    assert card_answer(CARD, "") == ("ok", {"score": ["none"]})


@pytest.mark.parametrize(("words", "why"), [
    ("选 83", "「83」不在下拉框里"),
    ("选", "「选」后面请写要选的项"),
    ("选 95 选 90", "只有 1 个下拉框"),
    ("选 95 驳回", "没有这个按钮"),
])
def test_a_card_command_that_does_not_fit_says_why(words: str, why: str) -> None:
    with pytest.raises(CardCommandError, match=why):
        card_answer(CARD, words)

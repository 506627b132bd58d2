"""The written notice of the year's final result (issue 24 item 6), as a WeCom
`button_interaction` card: the grade, score and places (withheld as the disclosure rules
say), with 「确认」 and 「有异议」. Once answered, the buttons give way to what was recorded
(`replace_text`), as the leave card does."""

from __future__ import annotations

from typing import Any

from handlers.cards import fit_desc, new_task_id

NOTICE_PREFIX = "yrn-"
CONFIRM_KEY = "confirm"
OBJECT_KEY = "object"


def notice_task_id(year: int) -> str:
    return new_task_id(NOTICE_PREFIX, year)


def notice_card(
    *, task_id: str, year: int, unit_name: str, facts: list[tuple[str, str]], answered: str | None = None,
) -> dict[str, Any]:
    """`facts`: (keyname ≤ 5 characters, value ≤ 30), at most 6 (WeCom doc 90236)."""
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "实绩考核助手"},
        "main_title": {"title": f"{year}年度考核结果通知", "desc": fit_desc(unit_name, "结果已确定")},
        "sub_title_text": "请核对。无异议点「确认」；有异议点「有异议」后发送本人意见，记入年度考核登记表。",
        "horizontal_content_list": [{"keyname": k, "value": v} for k, v in facts[:6]],
        "task_id": task_id,
        "button_list": [
            {"text": "确认", "style": 1, "key": CONFIRM_KEY},
            {"text": "有异议", "style": 2, "key": OBJECT_KEY},
        ],
    }
    if answered is not None:
        card["replace_text"] = answered
    return card

"""The rating round's template cards (R-CHAT-3), as WeCom message/send JSON.

Design (phones first): one `button_interaction` card per ratee. It can show what the rating
is based on — name, unit, position, how many working days they logged this quarter and the
start of their quarterly summary — which `vote_interaction` and `multiple_interaction` cards
cannot. The score is a drop-down (`button_selection`, WeCom allows at most 10 options, so
the usual steps from settings `[rating] card_scores`, after the prompt 「请选择分数」 that
handlers/cards.py puts first) plus one 确定 button; any other integer in range goes by text,
`评分 姓名 83`. After a tap the passive reply replaces the card with the same card showing the
recorded score (preselected in the drop-down too) and the 90+ slots left, still answerable, so
a rater can change their mind until they hand in. A score given by text is shown on the card
too, and at hand-in every card says so instead (`handed_in_card`), as far as WeCom lets a
sent card be updated (handlers/cards.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.cards import drop_down, new_task_id, new_task_ids
from handlers.dates import quarter_label
from handlers.render.round_cards import card_source, ratee_title
from handlers.render.round_cards import submit_card as round_submit_card
from scoring.workdays import QuarterId
from storage.directory import Person

RATE_PREFIX = "rate-"
SUBMIT_PREFIX = "rsub-"
PROPOSAL_PREFIX = "rxp-"
SCORE_KEY = "score"
OK_KEY = "ok"
HANDED_IN_KEY = "handed_in"


def rate_task_ids(quarter: QuarterId, assignment_ids: Sequence[str]) -> list[str]:
    label = str(quarter)  # once, not once per card
    return new_task_ids(RATE_PREFIX, [(label, assignment_id) for assignment_id in assignment_ids])


def submit_task_id(quarter: QuarterId, token: str) -> str:
    return new_task_id(SUBMIT_PREFIX, quarter, token)


def proposal_task_id(proposal_id: int) -> str:
    return new_task_id(PROPOSAL_PREFIX, proposal_id)


def rating_card(
    *,
    task_id: str,
    quarter: QuarterId,
    ratee: Person,
    logs: int,
    workdays: int,
    summary: str | None,
    summary_chars: int,
    score: int | None,
    high_score: int,
    high_left: int,
    high_cap: int,
    card_scores: tuple[int, ...],
    note: str | None = None,
) -> dict[str, Any]:
    if summary:
        quote = summary[:summary_chars] + ("…" if len(summary) > summary_chars else "")
    else:
        quote = "（尚未提交季度小结）"
    return {
        "card_type": "button_interaction",
        "source": _source(quarter),
        "main_title": {"title": ratee_title(ratee), "desc": ratee.unit.name},
        "sub_title_text": note
        or f"请依据其晒出的实绩打分。列表外的分数请发送「评分 {ratee.name} 分数」，"
        f"全部日志可发送「查看 {ratee.name} {quarter}」。",
        "quote_area": {"type": 0, "title": "季度小结", "quote_text": quote},
        "horizontal_content_list": [
            {"keyname": "工作日志", "value": f"已记 {logs} / 应记 {workdays} 个工作日"},
            {"keyname": f"{high_score}分以上", "value": f"本单位还可给 {high_left} 人（共 {high_cap} 人）"},
            {"keyname": "当前分数", "value": "未评" if score is None else f"{score} 分"},
        ],
        "task_id": task_id,
        "button_selection": drop_down(
            SCORE_KEY, "分数", "请选择分数", [(str(value), f"{value} 分") for value in card_scores],
            selected=None if score is None else str(score),
        ),
        "button_list": [{"text": "确定" if score is None else "改为所选分数", "style": 1, "key": OK_KEY}],
    }


def handed_in_card(*, task_id: str, quarter: QuarterId, ratee: Person) -> dict[str, Any]:
    """A ratee's card once the rater handed in: no score (scores are sealed without the rater,
    so none stays on a card addressed to them) and nothing left to choose."""
    return {
        "card_type": "button_interaction",
        "source": _source(quarter),
        "main_title": {"title": ratee_title(ratee), "desc": ratee.unit.name},
        "sub_title_text": f"您已提交{quarter_label(quarter)}评分，不能再修改。评分已匿名保存，卡片上不再显示分数。",
        "horizontal_content_list": [{"keyname": "评分", "value": "已提交"}],
        "task_id": task_id,
        "button_list": [{"text": "已提交", "style": 2, "key": HANDED_IN_KEY}],
    }


def submit_card(
    *, task_id: str, quarter: QuarterId, cards: int, deadline: str, note: str | None = None,
    done: bool = False,
) -> dict[str, Any]:
    text = note or (
        f"您本轮共需为 {cards} 位同事评分。全部评完后点「提交评分」（或发送「评分 提交」），"
        f"提交后不能再修改。截止 {deadline}；届时未提交但符合规则的评分将自动提交。"
    )
    return round_submit_card(
        task_id=task_id, round_label=f"{quarter_label(quarter)}评分", title="提交本季度评分", deadline=deadline,
        text=text, button="提交评分", done=done,
    )


def _source(quarter: QuarterId) -> dict[str, str]:
    return card_source(f"{quarter_label(quarter)}评分")


def proposal_card(
    *, task_id: str, number: int, unit: str, proposer: str, names: list[str], unmatched: Sequence[str] = (),
    decided: str | None = None,
) -> dict[str, Any]:
    """`unmatched`: names as the leader typed them that no single cadre answers to; an
    approval leaves them out (the admin adds the right person with `shiji raters import`)."""
    listing = "、".join(names) or "（无）"
    if unmatched:
        listing += f"；名册中未能确定、批准时不计入：「{'」「'.join(unmatched)}」"
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": card_source("小单位增加参评人员"),
        # The number is what 「批准参评 编号」 in chat refers to.
        "main_title": {"title": f"{unit} 申请增加参评人员"[:36], "desc": f"编号 {number} · 提议人：{proposer}"},
        "sub_title_text": (decided + "。" if decided else "") + f"拟增加 {len(names)} 人：{listing}"[:500],
        "task_id": task_id,
    }
    if decided:
        card["button_list"] = [{"text": decided[:10], "style": 2, "key": "decided"}]
    else:
        card["button_list"] = [
            {"text": "批准", "style": 1, "key": "approve"},
            {"text": "驳回", "style": 2, "key": "reject"},
        ]
    return card

"""Cards that never go stale (issue 27, items 6–8), through the encrypted callback.

A score or marks given by text show on the rater's card, and at hand-in every card the
rater holds says it is handed in, as far as WeCom lets a sent card be updated (its
response_code works once, for 72 hours); beyond that, the next tap shows the current state.
The 民主测评 card keeps what was chosen when a step is incomplete, and a finished card shows
as finished, with 「修改」, in a description a phone does not cut.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.clock import ManualClock
from scoring.wecom_protocol import MAIN_TITLE_DESC_CHARS
from storage.models import Outbox, OutboxBody
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_rating_round import BY_NAME_UNIT, ROSTER, cards_by_rater, plan_scores
from tests.harness import ADMIN, running_bot

SETTINGS = {"logs": {"start_date": "2027-01-01"}}
ZHENGLI = "chengguan_zhengli"


async def drain_all(h: Any) -> None:
    while await h.drain():
        pass


def latest_cards(h: Any, userid: str) -> dict[str, dict[str, Any]]:
    """task_id → the card as the phone last got it from the server (sent or updated)."""
    shown: dict[str, dict[str, Any]] = {}
    for delivery in h.standin.messages_for(userid):
        card = delivery.payload.get("template_card")
        if isinstance(card, dict) and "task_id" in card:
            shown[card["task_id"]] = card
    return shown


def updates_to(h: Any, userid: str) -> list[dict[str, Any]]:
    return [d.payload["template_card"] for d in h.standin.messages_for(userid)
            if d.path == "message/update_template_card"]


def eval_cards(h: Any, start: int) -> dict[str, dict[str, str]]:
    """rater → {ratee userid: task_id} of 民主测评 cards sent since `start`, and 'submit'."""
    found: dict[str, dict[str, str]] = {}
    for delivery in h.standin.sent[start:]:
        card = delivery.payload.get("template_card")
        if delivery.path != "message/send" or not card:
            continue
        (rater,) = delivery.recipients
        if card["task_id"].startswith("dem-"):
            name, unit = card["main_title"]["title"].split("（")[0], card["main_title"]["desc"].split(" · ")[0]
            found.setdefault(rater, {})[BY_NAME_UNIT[(name, unit)]] = card["task_id"]
        elif card["task_id"].startswith("dsub-"):
            found.setdefault(rater, {})["submit"] = card["task_id"]
    return found


def handed_in(card: dict[str, Any]) -> bool:
    """A card that says it is handed in and offers nothing more to do."""
    text = str(card)
    return "已提交" in text and "提交前可随时修改" not in text and "改为所选分数" not in text and (
        "修改" not in card.get("submit_button", {}).get("text", "")
        and "下一步" not in card.get("submit_button", {}).get("text", "")
    ) and all(b.get("text") == "已提交" for b in card.get("button_list", []))


async def test_a_score_by_text_shows_on_its_card_and_the_hand_in_on_every_card(db_url: str) -> None:
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_by_rater(h)
        rater = "chengguan_wuhao"
        own = {ratee: task for ratee, task in cards[rater].items() if ratee != "submit"}
        plan = plan_scores(rater, list(own))
        for ratee, score in plan.items():
            if ratee == ZHENGLI:
                continue
            clock.advance(seconds=1)
            status, body = await h.card(rater, own[ratee], "ok", selected={"score": [str(score)]})
            assert status == 200 and "已记录" in str(h.reply_xml(body))

        # 郑丽 by text: her card now shows the score. Changed again before the update went
        # out, the waiting update is replaced: one update, the latest score.
        first = await h.say(rater, "评分 郑丽 83")
        second = await h.say(rater, "评分 郑丽 88")
        await drain_all(h)
        zhengli = latest_cards(h, rater)[own[ZHENGLI]]
        values = {item["keyname"]: item["value"] for item in zhengli["horizontal_content_list"]}
        assert values["当前分数"] == "88 分"
        assert zhengli["button_selection"]["selected_id"] == "88"
        assert "已记录：郑丽 83 分" in first and "卡片已同步更新" in first and "卡片已同步更新" in second
        assert [c["task_id"] for c in updates_to(h, rater)] == [own[ZHENGLI]]
        # Its one update spent (WeCom's response_code works once), the reply says the card lags.
        assert "未能同步更新" in await h.say(rater, "评分 郑丽 80")
        before = len(updates_to(h, rater))

        # Hand-in by text: every card updated since it was sent says so, the submit card too.
        assert "已提交" in await h.say(rater, "评分 提交")
        await drain_all(h)
        shown = latest_cards(h, rater)
        assert len(updates_to(h, rater)) > before
        for ratee, task in own.items():
            if ratee != ZHENGLI:
                assert handed_in(shown[task]), (ratee, shown[task])
                assert not any(ch.isdigit() for ch in str(shown[task]["horizontal_content_list"]))  # no score
        assert shown[cards[rater]["submit"]]["button_list"][0]["text"] == "已提交"
        # 郑丽's card had its one update (WeCom's response_code works once): its next tap
        # answers with the handed-in card, not a refusal in words.
        clock.advance(seconds=1)
        status, body = await h.card(rater, own[ZHENGLI], "ok", selected={"score": ["none"]})
        assert status == 200
        doc = h.reply_xml(body)
        assert doc["MsgType"] == "update_template_card" and "已提交" in str(doc["TemplateCard"])
        assert "改为所选分数" not in str(doc["TemplateCard"]) and "ButtonSelection" not in doc["TemplateCard"]
        # A tap on the submit card again shows it handed in.
        clock.advance(seconds=1)
        status, body = await h.card(rater, cards[rater]["submit"], "submit")
        assert h.reply_xml(body)["MsgType"] == "update_template_card"

        # Beyond the response_code's life nothing is sent (it would fail); the text says so,
        # and the next tap shows the state.
        late = "chengguan_fengjing"
        late_own = {ratee: task for ratee, task in cards[late].items() if ratee != "submit"}
        clock.advance(hours=72)
        sent = len(h.standin.sent)
        reply = await h.say(late, "评分 郑丽 83")
        assert "已记录：郑丽 83 分" in reply and "未能同步更新" in reply
        await drain_all(h)
        assert not [d for d in h.standin.sent[sent:] if d.path == "message/update_template_card"]
        clock.advance(seconds=1)
        status, body = await h.card(late, late_own[ZHENGLI], "ok", selected={"score": ["none"]})
        values = {i["KeyName"]: i["Value"] for i in h.reply_xml(body)["TemplateCard"]["HorizontalContentList"]}
        assert values["当前分数"] == "83 分"


@asynccontextmanager
async def evaluation_open(db_url: str) -> AsyncIterator[tuple[Any, ManualClock, dict[str, dict[str, str]]]]:
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        start = len(h.standin.sent)
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await drain_all(h)
        yield h, clock, eval_cards(h, start)


async def eval_tap(h: Any, clock: ManualClock, rater: str, task: str, key: str, selected: dict[str, list[str]]) -> dict[str, Any]:
    clock.advance(seconds=1)
    status, body = await h.card(rater, task, key, card_type="multiple_interaction", selected=selected)
    assert status == 200, body
    return h.reply_xml(body)["TemplateCard"]  # type: ignore[no-any-return]


async def test_an_evaluation_step_keeps_what_was_chosen_and_a_finished_card_says_so(db_url: str) -> None:
    async with evaluation_open(db_url) as (h, clock, cards):
        rater, ratee = "chengguan_wuhao", ZHENGLI
        task = cards[rater][ratee]
        # 德 and 勤 chosen, 能 not: the card keeps both and says 能 is missing.
        card = await eval_tap(h, clock, rater, task, "step1", {"de": ["92"], "neng": ["none"], "qin": ["88"]})
        assert [s["SelectedId"] for s in card["SelectList"]] == ["92", "none", "88"]
        assert "请为能选择分数" in card["MainTitle"]["Desc"] and card["SubmitButton"]["Key"] == "step1"
        card = await eval_tap(h, clock, rater, task, "step1", {"de": ["92"], "neng": ["90"], "qin": ["88"]})
        assert card["SubmitButton"]["Key"] == "step2"
        # Finished: shown as finished, all five marks, an explicit 「修改」, no 「下一步」.
        card = await eval_tap(h, clock, rater, task, "step2", {"ji": ["85"], "lian": ["95"]})
        assert "已完成" in card["MainTitle"]["Desc"] and "德 92 能 90 勤 88 绩 85 廉 95" in card["MainTitle"]["Desc"]
        assert card["SubmitButton"]["Text"] == "修改" and "下一步" not in str(card)
        # 「修改」 opens the first step with the marks, changing nothing.
        card = await eval_tap(h, clock, rater, task, "edit", {"de": ["92"], "neng": ["90"], "qin": ["88"]})
        assert [s["SelectedId"] for s in card["SelectList"]] == ["92", "90", "88"]
        assert card["SubmitButton"]["Key"] == "step1"


async def test_a_finished_evaluation_card_fits_a_phone(db_url: str) -> None:
    """WeCom recommends at most 44 characters for main_title.desc; phones cut longer ones."""
    async with evaluation_open(db_url) as (h, clock, cards):
        for rater in ("chengguan_wuhao", "fgj_zhuqing"):  # 11 colleagues; a long unit name
            task = sorted(t for r, t in cards[rater].items() if r != "submit")[0]
            for key, selected in (("step1", {"de": ["95"], "neng": ["92"], "qin": ["90"]}),
                                  ("step2", {"ji": ["88"], "lian": ["85"]})):
                card = await eval_tap(h, clock, rater, task, key, selected)
                assert len(card["MainTitle"]["Desc"]) <= MAIN_TITLE_DESC_CHARS, card["MainTitle"]["Desc"]
            assert "德 95 能 92 勤 90 绩 88 廉 85" in card["MainTitle"]["Desc"]


async def test_evaluation_cards_follow_marks_by_text_and_the_hand_in(db_url: str) -> None:
    async with evaluation_open(db_url) as (h, clock, cards):
        rater = "fgj_zhuqing"
        own = {ratee: task for ratee, task in cards[rater].items() if ratee != "submit"}
        texted, *rest = sorted(own)
        for ratee in rest:
            await eval_tap(h, clock, rater, own[ratee], "step1", {"de": ["90"], "neng": ["88"], "qin": ["85"]})
            await eval_tap(h, clock, rater, own[ratee], "step2", {"ji": ["80"], "lian": ["92"]})
        # One colleague by text: that card shows the marks, finished.
        assert "已记录" in await h.say(rater, f"测评 {ROSTER[texted]['name']} 91 87 93 86 94")
        await drain_all(h)
        shown = latest_cards(h, rater)[own[texted]]
        assert "德 91 能 87 勤 93 绩 86 廉 94" in shown["main_title"]["desc"]
        assert shown["submit_button"]["text"] == "修改"

        # Hand-in by text: every card that can still be updated says so, without marks.
        assert "已提交" in await h.say(rater, "测评 提交")
        await drain_all(h)
        shown_all = latest_cards(h, rater)
        for ratee, task in own.items():
            if ratee != texted:
                assert handed_in(shown_all[task]), (ratee, shown_all[task])
                assert not any(ch.isdigit() for ch in shown_all[task]["main_title"]["desc"])
        assert shown_all[cards[rater]["submit"]]["button_list"][0]["text"] == "已提交"
        # The card updated for the text had its one update: its next tap shows the hand-in.
        card = await eval_tap(h, clock, rater, own[texted], "edit", {"de": ["91"], "neng": ["87"], "qin": ["93"]})
        assert card["SubmitButton"]["Text"] == "已提交" and "SelectedId': '9" not in str(card)


async def test_the_years_cards_go_out_like_the_quarters_one_stored_card_per_colleague(db_url: str) -> None:
    # One card-wave sender for both kinds (issue 23): a colleague's evaluation card looks the
    # same to every evaluator but for its task id, so it is stored once, as a quarter's is;
    # each evaluator's rows hold only their task ids, and the cards still reach every phone.
    async with evaluation_open(db_url) as (h, _clock, cards):
        async with h.runtime.sessions() as session:
            rows = (await session.execute(select(Outbox.body_id, Outbox.payload).where(
                Outbox.kind == "template_card", col(Outbox.dedupe_key).startswith("dem-")
            ))).all()
            bodies = (await session.execute(select(func.count()).select_from(OutboxBody))).scalar_one()
        colleagues = {rater: [r for r in by_ratee if r != "submit"] for rater, by_ratee in cards.items()}
        assert all("submit" in by_ratee for by_ratee in cards.values())  # every evaluator got one
        ratees = {ratee for own in colleagues.values() for ratee in own}
        assert rows and all(body_id is not None for body_id, _ in rows)
        assert all(len(payload) < 200 for _, payload in rows)  # a task id, not a card
        assert len(rows) == sum(len(own) + 1 for own in colleagues.values())
        # One body per colleague, one per count of colleagues on a submit card.
        assert bodies == len(ratees) + len({len(own) for own in colleagues.values()})

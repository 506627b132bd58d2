"""Anonymity against the people who run the database (issue 21): after a round closes, no
row anywhere names a rater and carries what they gave, and no row keeps the hand-in order.

Everything goes through the encrypted callback; the checks are plain SQL over every table
of the metadata, as a database administrator would run them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bot.clock import ManualClock
from storage.db import create_engine
from storage.metadata import metadata
from storage.models import DailyLog, Outbox, OutboxBody
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_rating_round import cards_by_rater, plan_scores
from tests.e2e.test_year_end import PEOPLE, ROSTER, cards_since, colleagues
from tests.harness import ADMIN, running_bot

SETTINGS = {"logs": {"start_date": "2027-01-01"}}
# What a row carries when it was rendered from a draft: the bot's own echo of a score
# (「已记录」, 「当前分数」), a preselected mark on a resent or updated card, the marks
# themselves (「德 95」).
TRACE = re.compile(r'已记录|当前分数",\s*"value":\s*"\d|"selected_id":\s*"(?!none")|[德能勤绩廉] \d')
# 90+ slots left on a rating card: fewer than the cap only once the rater gave a 90+.
SLOTS = re.compile(r"还可给 (\d+) 人（共 (\d+) 人）")


def carries_trace(texts: str) -> bool:
    return bool(TRACE.search(texts)) or any(left != cap for left, cap in SLOTS.findall(texts))


async def leaks(db_url: str, raters: set[str]) -> list[tuple[str, str, str]]:
    """(table, rater, row) for every row of every table that names a rater (a whole word:
    a userid column, "a|b" recipients, a dedupe key) and carries a trace of a draft. An
    outbox row is read with the body it shares (the join a DBA would make)."""
    found: list[tuple[str, str, str]] = []
    named = {rater: re.compile(rf"(?<![A-Za-z0-9_]){re.escape(rater)}(?![A-Za-z0-9_])") for rater in raters}
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            for table in metadata.sorted_tables:
                query: Any = select(table)
                if table.name == Outbox.__tablename__:
                    body = OutboxBody.__table__  # type: ignore[attr-defined]
                    query = select(table, body.c.head, body.c.tail).outerjoin(body, body.c.id == table.c.body_id)
                for row in (await connection.execute(query)).all():
                    texts = "\n".join(str(value) for value in row if isinstance(value, str))
                    if not carries_trace(texts):
                        continue
                    found += [(table.name, rater, texts[:60]) for rater, word in named.items() if word.search(texts)]
    finally:
        await engine.dispose()
    return found


async def drain_all(h: Any) -> None:
    while await h.drain():
        pass


async def test_no_row_links_a_rater_to_their_marks_after_close(db_url: str, tmp_path: Path) -> None:
    """Finding 1: a 民主测评 rater fills step 1, sends 「测评」 (the resent card says
    「已记录 德 95 能 92 勤 90」 and preselects them), finishes and hands in; a rating rater
    scores, sends 「评分」 (resent cards say 「本单位还可给 0 人」), finishes and hands in;
    others are handed in by the close or voided. After close and publish no row of any table
    names one of them and carries a trace; just before each hand-in the same query finds the
    link (it can fail). A WeCom retry of the step-1 tap, after the hand-in, echoes nothing."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-04 10:00"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS) as h:
        # ---- the quarter's rating ----
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_since(h, 0, "rate-")
        scorer, late, voided = "ca_mayor", "fg_dep", "tq_dep"

        async def tap(rater: str, ratee: str, score: int) -> None:
            clock.advance(seconds=1)
            status, body = await h.card(rater, cards[rater][ratee], "ok", selected={"score": [str(score)]})
            assert status == 200 and "已记录" in str(h.reply_xml(body)), body

        await tap(scorer, "ca_lead", 95)  # 城关镇's one 90+ slot (6 people)
        await tap(scorer, "ca_dep", 85)
        assert "已重新发送" in await h.say(scorer, "评分")
        await drain_all(h)  # the resent cards are delivered: sent rows
        resent = [d.payload["template_card"] for d in h.pushed_to(scorer)
                  if d.payload.get("template_card", {}).get("task_id", "").startswith("rate-")][-3:]
        assert all("本单位还可给 0 人" in str(card) for card in resent)
        assert "已记录" in await h.say(scorer, "评分 李一 80")
        assert "已重新发送" in await h.say(scorer, "评分")  # queued, not yet sent, at hand-in
        for name in ("周二", "吴三"):
            assert "已记录" in await h.say(scorer, f"评分 {name} 75")
        assert scorer in {rater for _, rater, _ in await leaks(db_url, {scorer})}  # the control
        assert "已提交" in await h.say(scorer, "评分 提交")

        for index, ratee in enumerate(colleagues(late)):  # complete, never handed in
            assert "已记录" in await h.say(late, f"评分 {PEOPLE[ratee]['name']} {80 + index}")
            if index == 1:
                await h.say(late, "评分")
        assert "已记录" in await h.say(voided, "评分 卫书 85")  # one of two: voided at close
        await h.say(voided, "评分")
        await drain_all(h)

        # ---- the year's democratic evaluation ----
        clock.set(at("2027-01-05 09:30"))
        start = len(h.standin.sent)
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await drain_all(h)
        eval_cards = cards_since(h, start, "dem-")
        evaluator, eval_late, eval_voided = "ca_staff1", "fg_staff1", "tq_staff"
        clock.advance(seconds=1)
        step1 = h.sim.card_event(evaluator, task_id=eval_cards[evaluator]["ca_lead"], event_key="step1",
                                 card_type="multiple_interaction",
                                 selected={"de": ["95"], "neng": ["92"], "qin": ["90"]})
        status, body = await h.post(step1)
        assert status == 200 and "德 95 能 92 勤 90" in str(h.reply_xml(body))
        assert "重新发送" in await h.say(evaluator, "测评")
        await drain_all(h)
        again = [d.payload["template_card"] for d in h.pushed_to(evaluator)
                 if d.payload.get("template_card", {}).get("task_id", "").startswith("dem-")][-5:]
        (partial,) = [card for card in again if "赵城" in card["main_title"]["title"]]
        assert "已记录 德 95 能 92 勤 90" in partial["main_title"]["desc"]
        assert [s["selected_id"] for s in partial["select_list"]] == ["95", "92", "90"]
        others = colleagues(evaluator)
        for ratee in others[:-1]:
            assert "已记录" in await h.say(evaluator, f"测评 {PEOPLE[ratee]['name']} 95 92 90 88 85")
        await h.say(evaluator, "测评")  # a resend still queued at hand-in
        assert "已记录" in await h.say(evaluator, f"测评 {PEOPLE[others[-1]]['name']} 95 92 90 88 85")
        assert evaluator in {rater for _, rater, _ in await leaks(db_url, {evaluator})}  # the control
        assert "已提交" in await h.say(evaluator, "测评 提交")
        # WeCom retries the step-1 tap after the hand-in (checked below): it must echo no mark.
        status, retried = await h.post(step1)
        assert status == 200

        for index, ratee in enumerate(colleagues(eval_late)):
            assert "已记录" in await h.say(eval_late, f"测评 {PEOPLE[ratee]['name']} 9{index} 88 87 86 85")
            if index == 0:
                await h.say(eval_late, "测评")
        assert "已记录" in await h.say(eval_voided, "测评 卫书 96 95 94 93 92")
        await h.say(eval_voided, "测评")
        await drain_all(h)

        # ---- close both (the scheduled close for the rating, the admin for the evaluation) ----
        clock.set(at("2027-01-06 10:00"))
        assert "1 人的未完成评分作废" in await h.say(ADMIN, "关闭评分 2026Q4")
        assert "已发布" in await h.say(ADMIN, "发布结果 2026Q4 强制发布")
        assert "1 人的未完成测评作废" in await h.say(ADMIN, "关闭测评 2026")
        await drain_all(h)
        raters = {scorer, late, voided, evaluator, eval_late, eval_voided}
        found = await leaks(db_url, raters)
        assert found == [], "\n".join(map(str, found))
        assert not carries_trace(str(h.reply_xml(retried)))
        # Nor does any outbox row of theirs still name a card of the round (the key names the
        # card, and which resend it was: who was still unscored when).
        async with h.runtime.sessions() as session:
            for who, kind in (({scorer, late, voided}, "rate"), ({evaluator, eval_late, eval_voided}, "dem")):
                keys = (await session.execute(select(Outbox.dedupe_key).where(
                    Outbox.userids.in_(who),  # type: ignore[attr-defined]
                    Outbox.dedupe_key.like(f"{kind}-card:%") | Outbox.dedupe_key.like(f"{kind}-submit:%"),  # type: ignore[attr-defined]
                ))).scalars().all()
                assert keys == []
    assert await leaks(db_url, raters) == []  # and after the bot has stopped


async def test_after_close_the_hand_in_tables_keep_no_hand_in_order(db_url: str) -> None:
    """Finding 2: twelve raters hand in in a known order; after close the hand-in rows,
    read in physical order (SQLite: the table's own order; PostgreSQL: ctid) follow the
    primary key, not the hand-in order, and on PostgreSQL every hand-in and score row of
    the round carries one xmin, the close's."""
    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_by_rater(h)
        chengguan = sorted(r for r in cards if r.startswith("chengguan_"))
        assert len(chengguan) == 12
        order = chengguan[6:] + chengguan[:6][::-1]  # neither sorted nor reversed
        for rater in order:
            ratees = [r for r in cards[rater] if r != "submit"]
            for ratee, score in plan_scores(rater, ratees).items():
                clock.advance(seconds=1)
                status, _ = await h.card(rater, cards[rater][ratee], "ok", selected={"score": [str(score)]})
                assert status == 200
            assert "已提交" in await h.say(rater, "评分 提交")
        assert "已关闭" in await h.say(ADMIN, "关闭评分 2026Q4")

        async with h.runtime.sessions() as session:
            if session.bind.dialect.name == "sqlite":
                stored = (await session.execute(text("SELECT rater FROM rating_handin"))).scalars().all()
                assert stored == sorted(order) != order
                ddl = (await session.execute(text("SELECT sql FROM sqlite_master WHERE name='rating_handin'"))).scalar_one()
                assert "WITHOUT ROWID" in ddl.upper()
            else:
                rows = (await session.execute(text("SELECT rater, xmin::text FROM rating_handin ORDER BY ctid"))).all()
                assert sorted(r.rater for r in rows) == sorted(order)
                assert [r.rater for r in rows] != order
                score_xmins = (await session.execute(text("SELECT DISTINCT xmin::text FROM rating_score"))).scalars().all()
                assert len({r.xmin for r in rows} | set(score_xmins)) == 1


async def test_the_year_hand_in_table_keeps_no_hand_in_order(db_url: str, tmp_path: Path) -> None:
    """Finding 2 for the 民主测评: the same, on year_eval_handin."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        order = sorted(PEOPLE)[::-1]
        order = order[7:] + order[:7]
        for rater in order:
            for ratee in colleagues(rater):
                assert "已记录" in await h.say(rater, f"测评 {PEOPLE[ratee]['name']} 90 88 87 86 85")
            assert "已提交" in await h.say(rater, "测评 提交")
        assert "已关闭" in await h.say(ADMIN, "关闭测评 2026")
        async with h.runtime.sessions() as session:
            if session.bind.dialect.name == "sqlite":
                stored = (await session.execute(text("SELECT rater FROM year_eval_handin"))).scalars().all()
                assert stored == sorted(order) != order
            else:
                rows = (await session.execute(text("SELECT rater, xmin::text FROM year_eval_handin ORDER BY ctid"))).all()
                assert [r.rater for r in rows] != order and sorted(r.rater for r in rows) == sorted(order)
                score_xmins = (await session.execute(text("SELECT DISTINCT xmin::text FROM year_eval_score"))).scalars().all()
                assert len({r.xmin for r in rows} | set(score_xmins)) == 1


LOG_A = "上午召开专题会议研究年度重点工作推进，下午深入一线调研并形成情况报告"
LOG_B = "全天在村里走访困难群众，协调解决饮水问题，晚上整理走访记录和台账"


async def test_a_reused_msg_id_never_returns_another_persons_reply(db_url: str) -> None:
    """Finding 3: user A sends MsgId 42, user B sends another text with MsgId 42 (forged or
    colliding): B gets B's own answer and B's log is stored, on the hot path and off it."""
    clock = ManualClock(at("2027-01-04 17:00"))  # a Monday
    a, b = "chengguan_wuhao", "chengguan_liumin"
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        status, body = await h.post(h.text(a, LOG_A, msg_id=42))
        assert status == 200
        status, body = await h.post(h.text(b, LOG_B, msg_id=42))
        assert status == 200
        async with h.runtime.sessions() as session:
            logs = dict((await session.execute(select(DailyLog.userid, DailyLog.content))).all())
        assert logs == {a: LOG_A, b: LOG_B}
        assert "已记录" in h.reply_content(body) or "日志" in h.reply_content(body)
        # Off the hot path: B's command gets B's answer, not A's stored one.
        status, body = await h.post(h.text(a, "我的日志", msg_id=43))
        mine_a = h.reply_content(body)
        status, body = await h.post(h.text(b, "我的日志", msg_id=43))
        mine_b = h.reply_content(body)
        assert status == 200 and mine_b != mine_a and LOG_B[:10] in mine_b and LOG_A[:10] not in mine_b

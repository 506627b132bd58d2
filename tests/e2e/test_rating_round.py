"""考实绩 through the real encrypted callback: a whole quarter's round for the sample district.

Open (scheduled) → cards through the loopback WeCom stand-in → every rater taps cards (some
change their minds, some use text, one hits the 90+ cap, some never press submit, one only
half finishes, one never starts) → close (scheduled) → publish → scores equal a hand
computation done here without scoring/.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from sqlalchemy import inspect, select, text

from handlers.services.extra_raters import apply_extra_raters, check_extra_raters
from scheduler.round_jobs import QUARTER_JOBS
from storage.directory import Directory
from storage.metadata import metadata
from storage.models import DailyLog, InboundMessage, Summary
from storage.models_rating import QuarterResult, RatingDraft, RatingScore
from storage.repos import Store
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, running_bot, shown_selection

EXTRA = ["chengguan_wuhao", "chengguan_zhengli", "chengguan_wangqiang", "chengguan_fengjing"]
WORKDAYS = [date(2026, 12, d) for d in (21, 22, 23, 24, 25, 28, 29, 30, 31)]
LOGS = "上午召开专题会议研究年度重点工作推进，下午深入一线调研并形成情况报告"
SETTINGS = {"logs": {"start_date": "2026-12-21"}}


def roster() -> dict[str, dict[str, str]]:
    with SAMPLE_ROSTER.open(encoding="utf-8") as f:
        return {row["userid"]: row for row in csv.DictReader(f)}


ROSTER = roster()
BY_NAME_UNIT = {(r["name"], r["unit"]): u for u, r in ROSTER.items()}
CADRES = [u for u, r in ROSTER.items() if r["role"] != "superior"]


def role_group(rater: str, ratee_unit: str) -> str:
    row = ROSTER[rater]
    if row["unit"] != ratee_unit:
        return "other"  # an approved extra rater
    return {"main_leader": "lead", "leadership": "peer", "staff": "other"}[row["role"]]


def missing_days_of(userid: str) -> int:
    """Test plan for logs: index in CADRES decides how many of the 9 days are missed."""
    return CADRES.index(userid) % 4  # 0..3 missed days


def has_summary(userid: str) -> bool:
    return CADRES.index(userid) % 5 != 0


async def seed_logs_and_summaries(h) -> None:
    async with h.runtime.sessions() as session, session.begin():
        for userid in CADRES:
            for day in WORKDAYS[missing_days_of(userid):]:
                moment = at(f"{day.isoformat()} 17:00")
                session.add(DailyLog(userid=userid, day=day, content=LOGS, created_at=moment, updated_at=moment))
            if has_summary(userid):
                moment = at("2026-12-31 16:00")
                session.add(Summary(userid=userid, kind="quarter", period="2026Q4",
                                    content="本季度围绕中心工作" * 20, created_at=moment, updated_at=moment))


async def import_extra_raters(h, tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("unit,userid\n" + "".join(f"团区委,{u}\n" for u in EXTRA), encoding="utf-8")
    from storage.roster_import import read_table

    async with h.runtime.sessions() as session, session.begin():
        store = Store(session)
        directory = Directory(await store.roster.units(), await store.roster.cadres(), await store.roster.oversight())
        rows = check_extra_raters(read_table(path), directory, 8)
        assert await apply_extra_raters(store, rows, h.clock.now()) == 4


async def drain_all(h) -> None:
    while await h.drain():
        pass


def cards_by_rater(h) -> dict[str, dict[str, str]]:
    """rater → {ratee userid: task_id} of the rating cards delivered, and 'submit' → task_id."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for delivery in h.standin.sent:
        card = delivery.payload.get("template_card")
        if delivery.path != "message/send" or not card:
            continue
        (rater,) = delivery.recipients
        if card["task_id"].startswith("rate-"):
            name = card["main_title"]["title"].split("（")[0]
            found[rater][BY_NAME_UNIT[(name, card["main_title"]["desc"])]] = card["task_id"]
        elif card["task_id"].startswith("rsub-"):
            found[rater]["submit"] = card["task_id"]
    return found


def plan_scores(rater: str, ratees: list[str]) -> dict[str, int]:
    """Card-listed scores, at most one 90+ per unit ballot (caps: 城关镇 3, 发改局 2, 团区委 1)."""
    options = [88, 85, 80, 75, 70]
    plan: dict[str, int] = {}
    by_unit: dict[str, list[str]] = defaultdict(list)
    for ratee in sorted(ratees):
        by_unit[ROSTER[ratee]["unit"]].append(ratee)
    for members in by_unit.values():
        for index, ratee in enumerate(members):
            if index == 0:
                plan[ratee] = 95
            else:
                plan[ratee] = options[(CADRES.index(rater) + index) % len(options)]
    return plan


async def tap(h, rater: str, task_id: str, score: int) -> dict:
    # A card event's dedupe key is sender + CreateTime + task + button: a person's next tap
    # on the same card comes at least a second later.
    h.clock.advance(seconds=1)
    status, body = await h.card(rater, task_id, "ok", selected={"score": [str(score)]})
    assert status == 200, body
    return h.reply_xml(body)


def half_up(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def hand_computed(ballots: dict[str, dict[str, int]]) -> dict[str, Decimal | None]:
    """R-RATE-7 by hand: weighted group means (4:3:3 over groups present) − deductions."""
    weights = {"lead": 4, "peer": 3, "other": 3}
    expected: dict[str, Decimal | None] = {}
    for ratee in CADRES:
        groups: dict[str, list[int]] = defaultdict(list)
        for rater, ballot in ballots.items():
            if ratee in ballot:
                groups[role_group(rater, ROSTER[ratee]["unit"])].append(ballot[ratee])
        if not groups:
            expected[ratee] = None
            continue
        total_weight = sum(weights[g] for g in groups)
        raw = sum(Fraction(weights[g], total_weight) * Fraction(sum(s), len(s)) for g, s in groups.items())
        deduction = min(Fraction(10), Fraction(2, 10) * missing_days_of(ratee))
        if not has_summary(ratee):
            deduction += 2
        expected[ratee] = half_up(max(Fraction(0), raw - deduction))
    return expected


async def test_a_whole_quarter_round_end_to_end(db_url, tmp_path):
    from bot.clock import ManualClock

    clock = ManualClock(at("2026-12-31 18:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await seed_logs_and_summaries(h)
        await import_extra_raters(h, tmp_path)

        # Not yet: the job on the first working day after the quarter opens it, not before.
        await QUARTER_JOBS.open(h.runtime.jobs, at("2026-12-31 09:00"))
        clock.set(at("2027-01-04 09:00"))  # 1 Jan is a holiday, 2–3 Jan a weekend
        await QUARTER_JOBS.open(h.runtime.jobs, clock.now())
        await QUARTER_JOBS.open(h.runtime.jobs, clock.now())  # a second replica: nothing twice
        await drain_all(h)
        cards = cards_by_rater(h)
        assert "（自动）" in h.standin.texts_for(ADMIN)[0]
        assert len(h.standin.texts_for(ADMIN)) == 1

        # Exactly the cards the rules give: unit members rate each other, extras rate 团区委.
        for rater, own in cards.items():
            ratees = set(own) - {"submit"}
            unit = ROSTER[rater]["unit"]
            colleagues = {u for u in CADRES if ROSTER[u]["unit"] == unit and u != rater}
            extra = {u for u in CADRES if ROSTER[u]["unit"] == "团区委"} if rater in EXTRA else set()
            assert ratees == colleagues | extra, rater
            assert "submit" in own
        assert set(cards) == set(CADRES)
        assert "qw_kongdeming" not in cards  # superiors are neither rated nor rating

        # A card shows what the rating is based on.
        first = next(d.payload["template_card"] for d in h.standin.messages_for("chengguan_liumin")
                     if d.payload.get("template_card", {}).get("task_id", "").startswith("rate-"))
        facts = {item["keyname"]: item["value"] for item in first["horizontal_content_list"]}
        assert re.fullmatch(r"已记 \d / 应记 9 个工作日", facts["工作日志"])
        assert facts["90分以上"] == "本单位还可给 3 人（共 3 人）"
        assert first["quote_area"]["quote_text"].startswith("本季度围绕中心工作") or "尚未提交" in first["quote_area"]["quote_text"]

        # Every rater sees a ratee's card alike; only its task id is the rater's own, never repeated.
        rating_cards = [d.payload["template_card"] for d in h.standin.sent
                        if d.payload.get("template_card", {}).get("task_id", "").startswith("rate-")]
        alike: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for card in rating_cards:
            alike[(card["main_title"]["title"], card["main_title"]["desc"])].append({**card, "task_id": None})
        assert all(len(seen) > 1 and all(c == seen[0] for c in seen) for seen in alike.values())
        task_ids = [card["task_id"] for card in rating_cards]
        assert len(set(task_ids)) == len(task_ids) == sum(len(own) - 1 for own in cards.values())
        assert all(re.fullmatch(r"rate-2026Q4-[0-9a-f]{16}-[0-9a-f]{24}", t) for t in task_ids)

        late = {"chengguan_sunwl", "fgj_hanmei"}  # complete but never press submit
        half = "fgj_qinlang"  # scores only some colleagues
        never = "chengguan_jiangtao"  # does nothing at all
        final: dict[str, dict[str, int]] = {}
        for rater in sorted(cards):
            if rater == never:
                continue
            own = {k: v for k, v in cards[rater].items() if k != "submit"}
            plan = plan_scores(rater, list(own))
            if rater == half:
                plan = dict(sorted(plan.items())[:3])
            for ratee, score in sorted(plan.items()):
                doc = await tap(h, rater, own[ratee], score)
                assert doc["MsgType"] == "update_template_card"
                values = {i["KeyName"]: i["Value"] for i in doc["TemplateCard"]["HorizontalContentList"]}
                assert values["当前分数"] == f"{score} 分"
            final[rater] = plan

        # Mind changes: by card (88 → 92 needs a free 90+ slot: the rater has used one of 3)…
        rater, ratee = "chengguan_zhaojh", "chengguan_wuhao"
        doc = await tap(h, rater, cards[rater][ratee], 92)
        assert "已记录" in doc["TemplateCard"]["SubTitleText"]
        final[rater][ratee] = 92
        # … and by text, to a score no card offers.
        assert "已记录：吴昊 83 分" in await h.say("chengguan_liumin", "评分 吴昊 83")
        final["chengguan_liumin"]["chengguan_wuhao"] = 83
        assert "已记录：王强 77 分" in await h.say("fgj_shenyu", "评分 王强 77")
        final["fgj_shenyu"]["fgj_wangqiang"] = 77
        # The 90+ cap is refused, not clipped, and the card says so.
        rater = "chengguan_zhaojh"
        high = [r for r, s in final[rater].items() if s >= 90]
        assert len(high) == 2
        others = [r for r in sorted(final[rater]) if final[rater][r] < 90]
        doc = await tap(h, rater, cards[rater][others[0]], 90)
        final[rater][others[0]] = 90  # third slot: fine
        doc = await tap(h, rater, cards[rater][others[1]], 98)
        assert "⚠️" in doc["TemplateCard"]["SubTitleText"] and "最多 3 人" in doc["TemplateCard"]["SubTitleText"]
        values = {i["KeyName"]: i["Value"] for i in doc["TemplateCard"]["HorizontalContentList"]}
        assert values["90分以上"] == "本单位还可给 0 人（共 3 人）"
        refused = await h.say(rater, f"评分 {ROSTER[others[1]]['name']} 101")
        assert "50–100" in refused
        # An extra rater's 团区委 ballot has its own cap of 1: a second 90+ there is refused.
        tqw = sorted(r for r in final["chengguan_wuhao"] if ROSTER[r]["unit"] == "团区委")
        doc = await tap(h, "chengguan_wuhao", cards["chengguan_wuhao"][tqw[1]], 92)
        assert "最多 1 人" in doc["TemplateCard"]["SubTitleText"]

        # A reminder the next working day goes to those who have not handed in, once.
        clock.set(at("2027-01-05 10:00"))
        await QUARTER_JOBS.remind(h.runtime.jobs, clock.now())
        await QUARTER_JOBS.remind(h.runtime.jobs, clock.now())
        await drain_all(h)
        assert len([t for t in h.standin.texts_for(never) if "评分提醒" in t]) == 1
        assert "还有 11 位" in next(t for t in h.standin.texts_for(never) if "评分提醒" in t)

        # Hand-ins: by the submit card, or by text.
        half_reply = await h.say(half, "评分 提交")
        assert "未能提交" in half_reply and "还有 5 位未评分" in half_reply
        for index, rater in enumerate(sorted(final)):
            if rater in late or rater == half:
                continue
            if index % 2:
                _status, body = await h.card(rater, cards[rater]["submit"], "submit")
                doc = h.reply_xml(body)
                assert "已提交" in doc["TemplateCard"]["SubTitleText"], doc
            else:
                assert "已提交" in await h.say(rater, "评分 提交")
        again = await h.say("chengguan_liumin", "评分 吴昊 90")
        assert "不能再修改" in again

        progress = await h.say(ADMIN, "评分进度")
        assert "城关镇" in progress and "团区委" in progress and "分" not in progress.replace("评分", "")

        # Close at the deadline (10th working day, 18:00): late complete ballots are handed in
        # for their raters, the half one is dropped and its rater told.
        clock.set(at("2027-01-15 17:59"))
        await QUARTER_JOBS.close(h.runtime.jobs, clock.now())
        assert "已关闭" not in " ".join(h.standin.texts_for(ADMIN))
        clock.set(at("2027-01-15 18:00"))
        await QUARTER_JOBS.close(h.runtime.jobs, clock.now())
        await drain_all(h)
        for rater in late:
            assert any("代为提交" in t for t in h.standin.texts_for(rater))
        assert any("作废" in t for t in h.standin.texts_for(half))
        del final[half]
        closed = await tap(h, "chengguan_sunwl", cards["chengguan_sunwl"]["chengguan_wuhao"], 70)
        assert "已截止" in closed["Content"]

        reply = await h.say(ADMIN, "发布结果 2026Q4 强制发布")  # the summary window closes at the end of today
        assert "已发布" in reply, reply
        await drain_all(h)

        expected = hand_computed(final)
        async with h.runtime.sessions() as session:
            rows = (await session.execute(select(QuarterResult))).scalars().all()
            published = {r.userid: (Decimal(r.score) if r.score is not None else None) for r in rows}
        assert published == expected

        # Each cadre got their own score and unit rank, and 我的得分 says the same afterwards.
        wu = next(t for t in h.standin.texts_for("chengguan_wuhao") if "实绩考核结果" in t)
        assert f"您的得分：{expected['chengguan_wuhao']} 分" in wu and "在本单位 12 人中排第" in wu
        assert f"{expected['chengguan_wuhao']} 分" in await h.say("chengguan_wuhao", "我的得分")
        # 团区委's 主评 is one person: no group means for anyone there.
        tqw_text = next(t for t in h.standin.texts_for("tqw_zhangchen") if "实绩考核结果" in t)
        assert "各组平均分" not in tqw_text and "只公布总分" in tqw_text
        # The main leader sees the unit list (totals only); a staff member may not.
        listing = await h.say("chengguan_zhaojh", "我的得分 本单位")
        assert "吴昊" in listing and str(expected["chengguan_wuhao"]) in listing and "主评" not in listing
        own = await h.say("chengguan_wuhao", "我的得分 本单位")
        assert "在本单位 12 人中排第" in own and "赵建华" not in own  # a staff member: own place only

        await assert_anonymous(h)


async def assert_anonymous(h) -> None:
    """No column anywhere links a handed-in score to its rater; no leftovers in the data."""
    rater_like = re.compile(r"rater|userid|by$|user|from|who")
    for table in metadata.sorted_tables:
        columns = {c.name for c in table.columns}
        if "score" not in columns or table.name in ("quarter_result", "unit_result"):  # published figures
            continue
        if table.name == "rating_draft":
            continue  # pre-hand-in only; must be empty now (below)
        assert table.name == "rating_score", table.name
        assert columns == {"id", "round_id", "ratee", "grp", "score"}
        assert not [c for c in columns - {"ratee"} if rater_like.search(c)]
        assert not any(str(c.type).upper().startswith(("DATETIME", "TIMESTAMP")) for c in table.columns)
        (pk,) = table.primary_key.columns
        assert pk.autoincrement is not True and str(pk.type).startswith("VARCHAR")
        assert not [fk for fk in table.foreign_keys if fk.column.table.name == "cadre"]
    async with h.runtime.sessions() as session:
        assert (await session.execute(select(RatingDraft))).first() is None
        if session.bind.dialect.name == "sqlite":
            ddl = (await session.execute(text("SELECT sql FROM sqlite_master WHERE name='rating_score'"))).scalar_one()
            assert "WITHOUT ROWID" in ddl.upper()
        # Published: the lines went (a 主评 group of one made its line the leader's score); every
        # one of them was counted, since the published scores equal the independent `expected`.
        assert (await session.execute(select(RatingScore))).scalars().all() == []
        replies = (await session.execute(select(InboundMessage.reply).where(InboundMessage.reply.is_not(None)))).scalars().all()
        assert not [r for r in replies if "已记录" in r or "当前分数" in r]

        def tables(connection):  # type: ignore[no-untyped-def]
            return inspect(connection).get_table_names()

        names = await (await session.connection()).run_sync(tables)
        assert "rating_score" in names


async def test_forged_replayed_and_bad_card_events_change_nothing(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "仅限考核办" in await h.say("chengguan_zhaojh", "开启评分 2026Q4")
        assert "季度结束后才能开启" in await h.say(ADMIN, "开启评分 2027Q1")
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        assert "不能重复开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_by_rater(h)
        a, b = "fgj_hanmei", "fgj_yangfan"
        task = cards[a]["fgj_zhuqing"]

        async def drafts() -> list[tuple[str, str, int]]:
            async with h.runtime.sessions() as session:
                rows = await session.execute(select(RatingDraft.rater, RatingDraft.ratee, RatingDraft.score))
                return sorted(tuple(r) for r in rows)

        # Forged: B sends an event carrying A's card.
        status, body = await h.card(b, task, "ok", selected={"score": ["88"]})
        assert "不是发给您的" in h.reply_xml(body)["Content"]
        assert await drafts() == []

        # A's real tap, then an exact replay of the same delivery: answered from the record.
        signed = h.sim.card_event(a, task_id=task, event_key="ok", selected={"score": ["88"]})
        first = await h.post(signed)
        clock.advance(seconds=5)
        await tap(h, a, task, 85)  # A changes their mind
        replay = await h.post(signed)
        assert replay[0] == 200
        assert h.reply_xml(replay[1])["TemplateCard"] == h.reply_xml(first[1])["TemplateCard"]
        assert await drafts() == [(a, "fgj_zhuqing", 85)]

        # Unknown or mangled task ids, a score not on the card, and rating oneself.
        for bogus in ("rate-2026Q4-nosuchcard-abc", "rate-2025Q4-" + task.split("-")[2] + "-x", "zzz-1"):
            status, body = await h.card(a, bogus, "ok", selected={"score": ["88"]})
            assert status == 200 and ("无法识别" in h.reply_xml(body)["Content"]), bogus
        doc = await tap(h, a, task, 49)
        assert "⚠️" in doc["TemplateCard"]["SubTitleText"]
        assert "不能给自己打分" in await h.say(a, "评分 韩梅 90")
        assert "不在您本轮的评分名单" in await h.say(a, "评分 吴昊 90")
        assert "50–100" in await h.say(a, "评分 朱青 100.5")
        assert await drafts() == [(a, "fgj_zhuqing", 85)]

        # Closed round: cards and text both refuse.
        assert "已关闭" in await h.say(ADMIN, "关闭评分")
        clock.advance(seconds=1)
        status, body = await h.card(a, task, "ok", selected={"score": ["70"]})
        assert "已截止" in h.reply_xml(body)["Content"]
        assert "没有进行中" in await h.say(a, "评分 朱青 70")
        assert await drafts() == []  # A's incomplete draft was dropped at close
        assert "仅限考核办" in await h.say(a, "发布结果 2026Q4")


async def test_ok_without_touching_the_drop_down_records_nothing_and_the_card_shows_the_score(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        rater, ratee = "fgj_hanmei", "fgj_zhuqing"
        task = cards_by_rater(h)[rater][ratee]
        (card,) = [d.payload["template_card"] for d in h.standin.messages_for(rater)
                   if d.payload.get("template_card", {}).get("task_id") == task]
        # The phone submits what the untouched drop-down shows.
        status, body = await h.card(rater, task, "ok", selected=shown_selection(card))
        assert status == 200
        async with h.runtime.sessions() as session:
            assert (await session.execute(select(RatingDraft.score))).scalars().all() == []
        untouched = h.reply_xml(body)["TemplateCard"]
        assert "请先在下拉框中选择分数" in untouched["SubTitleText"]
        assert untouched["ButtonSelection"]["SelectedId"] == card["button_selection"]["selected_id"]
        assert card["button_selection"]["option_list"][0]["text"] == "请选择分数"
        chosen = (await tap(h, rater, task, 92))["TemplateCard"]
        assert chosen["ButtonSelection"]["SelectedId"] == "92"
        assert "已记录：朱青 92 分" in chosen["SubTitleText"]


async def test_a_round_opening_and_its_reminders_keep_within_every_members_limits(db_url, tmp_path):
    # WeCom drops silently what one member gets past 30 a minute (doc 90454). In a unit of
    # 32 each rater gets 31 cards and a submit card at the opening; all of them must arrive.
    from bot.clock import ManualClock
    from storage.repos import Store

    size = 32
    lines = [SAMPLE_ROSTER.read_text(encoding="utf-8").rstrip("\n")]
    lines += [
        f"big_{i:02d},大单位干部{i:02d},大单位,district_unit,{'main_leader' if i == 0 else 'staff'},fuke,干部,"
        for i in range(size)
    ]
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clock = ManualClock(at("2027-01-04 09:30"))

    async def deliver_everything(h) -> None:  # type: ignore[no-untyped-def]
        for _ in range(200):
            await h.drain()
            async with h.runtime.sessions() as session:
                if "pending" not in await Store(session).outbox.backlog():
                    return
            clock.advance(seconds=20)  # rows held back for a member go out as the minute passes
        raise AssertionError("the outbox never emptied")

    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await deliver_everything(h)
        clock.set(at("2027-01-05 10:00"))
        await QUARTER_JOBS.remind(h.runtime.jobs, clock.now())
        await deliver_everything(h)
        assert h.standin.dropped == {}
        for i in range(size):
            got = [d.payload for d in h.standin.messages_for(f"big_{i:02d}")]
            cards = [p["template_card"]["task_id"] for p in got if "template_card" in p]
            assert len([t for t in cards if t.startswith("rate-")]) == size - 1
            assert any(t.startswith("rsub-") for t in cards) and "text" in got[-1]  # the reminder


async def test_small_unit_proposes_extra_raters_and_the_admin_approves_by_card(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2026-12-21 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "主要领导" in await h.say("tqw_shiyan", "增加参评 吴昊")
        assert "不足 8 人" in await h.say("chengguan_zhaojh", "增加参评 吴昊")
        refused = await h.say("tqw_lvxiao", "增加参评 王强 无名氏 施燕")
        # Only the leader's own unit is judged in the answer; who exists elsewhere is not told.
        assert "施燕 是本单位成员" in refused and "无名氏" not in refused and "王强" not in refused
        assert "已提交考核办审批" in await h.say("tqw_lvxiao", "增加参评 吴昊 王强@城关镇 无名氏 王强")
        await drain_all(h)
        (card,) = [d.payload["template_card"] for d in h.standin.messages_for(ADMIN) if "template_card" in d.payload]
        assert "吴昊（城关镇）" in card["sub_title_text"] and "王强（城关镇）" in card["sub_title_text"]
        assert "名册中未能确定、批准时不计入：「无名氏」「王强」" in card["sub_title_text"]
        _status, body = await h.card("tqw_lvxiao", card["task_id"], "approve")
        assert "审批增加参评人员仅限考核办" in h.reply_xml(body)["Content"]
        _status, body = await h.card(ADMIN, card["task_id"], "approve")
        assert h.reply_xml(body)["MsgType"] == "update_template_card"
        clock.advance(seconds=2)
        _, body = await h.card(ADMIN, card["task_id"], "reject")
        decided = h.reply_xml(body)  # the first decision stands, and the card says so
        assert decided["MsgType"] == "update_template_card" and "已批准" in str(decided["TemplateCard"])
        await drain_all(h)
        assert any("已批准" in t for t in h.standin.texts_for("tqw_lvxiao"))

        clock.set(at("2027-01-04 09:00"))
        await QUARTER_JOBS.open(h.runtime.jobs, clock.now())
        await drain_all(h)
        cards = cards_by_rater(h)
        assert {r for r in cards["chengguan_wuhao"] if r != "submit"} >= {"tqw_lvxiao", "tqw_shiyan", "tqw_zhangchen"}
        assert any(r.startswith("tqw_") for r in cards["chengguan_wangqiang"])
        assert not any(r.startswith("tqw_") for r in cards["fgj_wangqiang"])
        before = len(h.standin.sent)
        resent = await h.say("chengguan_wuhao", "评分")
        assert "未评的 14 张卡片已重新发送" in resent and "截止 1月15日 18:00" in resent
        await drain_all(h)
        assert len(h.standin.sent) - before == 15  # 14 cards and the submit card, fresh task ids


def test_quarter_spellings():
    from handlers.services.rating import parse_quarter

    assert str(parse_quarter("2026Q4")) == "2026Q4"
    assert str(parse_quarter("２０２６ｑ４")) == "2026Q4"
    assert str(parse_quarter("2026年第4季度")) == "2026Q4"
    assert parse_quarter("2026Q5") is None
    assert parse_quarter("2026") is None


# ---- issue 10: what a new user tripped over -----------------------------------------------


def card_facts_of(h, rater: str) -> dict[str, dict[str, str]]:
    """The latest rating card each ratee's name got at `rater`: keyname → value."""
    facts: dict[str, dict[str, str]] = {}
    for delivery in h.standin.messages_for(rater):
        card = delivery.payload.get("template_card", {})
        if card.get("task_id", "").startswith("rate-"):
            name = card["main_title"]["title"].split("（")[0]
            facts[name] = {i["keyname"]: i["value"] for i in card["horizontal_content_list"]}
    return facts


async def test_resent_cards_show_the_raters_current_90_plus_slots(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        liu = "chengguan_liumin"
        for ratee in ("chengguan_wuhao", "chengguan_zhaojh", "chengguan_zhengli"):  # all 3 of 城关镇's 90+ slots
            await tap(h, liu, cards_by_rater(h)[liu][ratee], 95)
        assert "未评的 8 张卡片已重新发送" in await h.say(liu, "评分")
        await drain_all(h)
        resent = card_facts_of(h, liu)
        assert resent["王强"]["90分以上"] == "本单位还可给 0 人（共 3 人）"


async def test_a_voided_ballot_notice_points_to_no_action_that_no_longer_exists(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2027-01-04 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        await tap(h, "tqw_shiyan", cards_by_rater(h)["tqw_shiyan"]["tqw_lvxiao"], 85)  # one of two
        await h.say(ADMIN, "关闭评分")
        await drain_all(h)
        (notice,) = [t for t in h.standin.texts_for("tqw_shiyan") if "作废" in t]
        assert "还有 1 位未评分：张晨" in notice
        assert "发送「评分」" not in notice


async def test_rating_cards_count_days_owed_not_approved_leave(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2026-12-21 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await h.say("chengguan_wuhao", "请假 12-21 至 12-22 年假")
        await drain_all(h)
        (card,) = [d.payload["template_card"] for d in h.standin.messages_for("chengguan_zhaojh")]
        await h.card("chengguan_zhaojh", card["task_id"], "approve")
        async with h.runtime.sessions() as session, session.begin():
            for day in WORKDAYS[2:]:  # every day owed after the leave
                moment = at(f"{day.isoformat()} 17:00")
                session.add(DailyLog(userid="chengguan_wuhao", day=day, content=LOGS, created_at=moment, updated_at=moment))
        clock.set(at("2027-01-04 09:30"))
        await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        facts = card_facts_of(h, "chengguan_liumin")
        assert facts["吴昊"]["工作日志"] == "已记 7 / 应记 7 个工作日"
        assert facts["王强"]["工作日志"] == "已记 0 / 应记 9 个工作日"


async def test_rating_progress_names_who_has_not_handed_in_and_the_admin_can_nudge_them(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2027-01-05 09:30"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await h.say(ADMIN, "开启评分 2026Q4")
        await h.say("tqw_shiyan", "评分 吕潇 85")
        await h.say("tqw_shiyan", "评分 张晨 80")
        assert "已提交" in await h.say("tqw_shiyan", "评分 提交")
        await h.say("tqw_zhangchen", "评分 吕潇 88")
        progress = await h.say(ADMIN, "评分进度")
        assert "· 团区委：吕潇（0/2）、张晨（1/2）" in progress
        assert "施燕" not in progress and "85" not in progress and "88" not in progress
        assert "催交评分" in progress
        await drain_all(h)
        nudged = await h.say(ADMIN, "催交评分")
        assert nudged.startswith("✅ 已向 ") and "张晨" in nudged and "施燕" not in nudged
        assert "刚刚已提醒过" in await h.say(ADMIN, "催交评分")
        await drain_all(h)
        (reminder,) = [t for t in h.standin.texts_for("tqw_zhangchen") if t.startswith("📣")]
        assert "还有 1 位同事未评分" in reminder
        assert not [t for t in h.standin.texts_for("tqw_shiyan") if t.startswith("📣")]


async def test_extra_rater_proposals_can_be_decided_in_chat_like_leave(db_url):
    from bot.clock import ManualClock

    clock = ManualClock(at("2026-12-21 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "编号 1" in await h.say("tqw_lvxiao", "增加参评 吴昊")
        assert "编号 2" in await h.say("tqw_lvxiao", "增加参评 刘敏")
        await drain_all(h)
        pending = await h.say(ADMIN, "待批参评")
        assert "编号 1：团区委（吕潇提议）拟增加 吴昊" in pending and "编号 2" in pending
        assert "「批准参评」仅限考核办" in await h.say("tqw_lvxiao", "批准参评 1")
        assert await h.say(ADMIN, "批准参评 1") == "已批准：团区委 增加 1 位参评人员。"
        assert await h.say(ADMIN, "驳回参评 2") == "已驳回：团区委 增加 1 位参评人员。"
        assert "无需重复处理" in await h.say(ADMIN, "驳回参评 1")
        await drain_all(h)
        updates = [d.payload["template_card"] for d in h.standin.messages_for(ADMIN) if d.path == "message/update_template_card"]
        assert sorted(u["button_list"][0]["text"] for u in updates) == ["已批准", "已驳回"]
        assert any("已批准" in t for t in h.standin.texts_for("tqw_lvxiao"))
        assert "没有等待审批" in await h.say(ADMIN, "待批参评")

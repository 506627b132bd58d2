"""用实绩 through the real encrypted callback: a whole year for a small district.

Four quarterly rounds (cards and text), the democratic evaluation (two-step cards and text,
one ballot handed in at close, one dropped), unit results and three earlier years imported
with `shiji year`, publish — and every published figure, rank, grade, list and rung of the
last-place ladder equals an independent computation written here, not by calling scoring/.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import year as year_cli
from bot.clock import ManualClock
from storage.models import DailyLog, Summary
from storage.models_rating import QuarterResult, RatingRound
from storage.models_year import AnnualPublication, AnnualResult, YearEvalDraft, YearEvalScore
from tests.conftest import SAMPLE_2027, at
from tests.harness import ADMIN, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
ca_lead,赵城,城关镇,township,main_leader,zhengke,党委书记,
ca_mayor,钱镇,城关镇,township,leadership,fuke,镇长,
ca_dep,孙副,城关镇,township,leadership,fuke,副镇长,
ca_staff1,李一,城关镇,township,staff,general,科员,
ca_staff2,周二,城关镇,township,staff,general,科员,
ca_staff3,吴三,城关镇,township,staff,general,科员,
fg_lead,郑局,区发改局,district_unit,main_leader,zhengke,局长,
fg_dep,王副,区发改局,district_unit,leadership,fuke,副局长,
fg_staff1,冯一,区发改局,district_unit,staff,general,科员,
fg_staff2,陈二,区发改局,district_unit,staff,general,科员,
fg_staff3,褚三,区发改局,district_unit,staff,general,科员,
tq_lead,卫书,团区委,district_unit,main_leader,zhengke,书记,
tq_dep,蒋副,团区委,district_unit,leadership,fuke,副书记,
tq_staff,沈干,团区委,district_unit,staff,general,干事,
sup,韩领,区委,district_unit,superior,,副书记,城关镇
"""
PEOPLE = {row["userid"]: row for row in csv.DictReader(ROSTER.splitlines()) if row["role"] != "superior"}
IDS = sorted(PEOPLE)
UNIT_OF = {u: r["unit"] for u, r in PEOPLE.items()}
LAST = {"ca_staff3", "fg_staff3", "tq_staff"}  # lowest everywhere: last in their unit
LOW = {"ca_staff2", "fg_staff2"}  # low, above the last
NO_ANNUAL_SUMMARY = "ca_staff1"
UNIT_RESULTS = {"城关镇": Decimal("92"), "区发改局": Decimal("85.5"), "团区委": Decimal("78.25")}
HISTORY = """year,userid,annual_score,unit_rank,excellent,last_in_unit
2023,tq_staff,95,1,是,否
2024,ca_staff3,60,6,否,是
2024,fg_staff2,96,1,是,否
2024,ca_lead,90,1,是,否
2025,ca_staff3,61,6,否,是
2025,fg_staff3,62,5,否,是
2025,ca_lead,91,1,否,否
"""
# Live from 2026's last working day, whose log everyone wrote: no log deductions, and the
# 2026 annual summary is owed (a year that ended before go-live would owe none).
# 平时考核 bands lowered to this district's spread of scores (60–87), so every grade occurs;
# the 40% cap on 好 stays (城关镇's Q4 has three above 80 for two places).
SETTINGS = {"logs": {"start_date": "2026-12-31"},
            "grades": {"good_from": 80, "fairly_good_from": 70, "fair_from": 62}}


GRADE_NAMES = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职", "incompetent": "不称职",
               "undetermined": "不确定等次", "not_assessed": "不参加年度考核"}  # 公务员法 第三十六条; all civil servants here


def half_up(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def rating(quarter: int, rater: str, ratee: str) -> int:
    if ratee in LAST:
        return 60
    if ratee in LOW:
        return 65  # not on the card: by text
    return (88, 85, 80, 75, 70)[(IDS.index(rater) + 2 * IDS.index(ratee) + quarter) % 5]


def marks(evaluator: str, ratee: str) -> list[int]:
    if ratee in LAST:
        return [60] * 5
    if ratee in LOW:
        return [66, 64, 65, 65, 65]
    return [70 + (3 * IDS.index(evaluator) + 7 * IDS.index(ratee) + k) % 30 for k in range(5)]


def colleagues(userid: str) -> list[str]:
    return [u for u in IDS if UNIT_OF[u] == UNIT_OF[userid] and u != userid]


# ---- the independent computation ----------------------------------------------------------


def quarter_score(quarter: int, ratee: str) -> Decimal:
    groups: dict[str, list[int]] = defaultdict(list)
    for rater in colleagues(ratee):
        group = {"main_leader": "lead", "leadership": "peer", "staff": "other"}[PEOPLE[rater]["role"]]
        groups[group].append(rating(quarter, rater, ratee))
    weights = {"lead": 4, "peer": 3, "other": 3}
    total = sum(weights[g] for g in groups)
    return half_up(sum(Fraction(weights[g], total) * Fraction(sum(s), len(s)) for g, s in groups.items()))


def expected_quarter_grades(quarter: int) -> dict[str, str]:
    """平时考核 by the bands above, then at most floor(40% of the unit) 好, the best first; a
    tie across that cap all 较好."""
    scores = {u: quarter_score(quarter, u) for u in IDS}
    grades = {u: "好" if s >= 80 else "较好" if s >= 70 else "一般" if s >= 62 else "较差" for u, s in scores.items()}
    for unit in UNIT_RESULTS:
        members = [u for u in IDS if UNIT_OF[u] == unit]
        cap = len(members) * 40 // 100
        good = sorted((u for u in members if grades[u] == "好"), key=lambda u: -scores[u])
        for u in good:
            if sum(1 for other in good if scores[other] >= scores[u]) > cap:
                grades[u] = "较好"
    return grades


def competition(scores: dict[str, Decimal]) -> dict[str, int]:
    return {u: 1 + sum(1 for other in scores.values() if other > s) for u, s in scores.items()}


def may_be_excellent(userid: str) -> bool:
    """[grades] defaults: 好 in at least half the year's quarters, none 一般/较差."""
    year = [expected_quarter_grades(q)[userid] for q in (1, 2, 3, 4)]
    return not {"一般", "较差"} & set(year) and 2 * year.count("好") >= len(year)


def expected_year(
    evaluated: dict[str, dict[str, list[int]]], recorded: dict[str, str] | None = None, barred: frozenset[str] = frozenset(),
) -> dict[str, dict[str, object]]:
    """`recorded`: userid → the grade the 考核办 recorded (a decision or an exclusion);
    `barred`: kept from 优秀 by a record."""
    recorded = recorded or {}
    out: dict[str, dict[str, object]] = {}
    for userid in IDS:
        got = [m for ballots in evaluated.values() for r, m in ballots.items() if r == userid]
        deduction = 2 if userid == NO_ANNUAL_SUMMARY else 0
        democratic = half_up(Fraction(sum(map(sum, got)), 5 * len(got)) - deduction)
        quarters = [quarter_score(q, userid) for q in (1, 2, 3, 4)]
        unit_result = UNIT_RESULTS[UNIT_OF[userid]]
        w = (Fraction(1, 10), Fraction(3, 10), Fraction(6, 10)) if PEOPLE[userid]["role"] == "main_leader" else (
            Fraction(1, 10), Fraction(2, 10), Fraction(7, 10))
        annual = half_up(w[0] * Fraction(democratic) + w[1] * Fraction(unit_result) + w[2] * Fraction(sum(quarters)) / 4)
        out[userid] = {"democratic": democratic, "unit_result": unit_result,
                       "quarter_mean": half_up(Fraction(sum(quarters)) / 4), "annual": annual}
    for key, members in (("unit", UNIT_OF), ("level", {u: PEOPLE[u]["rank"] for u in IDS})):
        for group in set(members.values()):
            scores = {u: out[u]["annual"] for u in IDS if members[u] == group}
            for u, position in competition(scores).items():  # type: ignore[arg-type]
                out[u][f"{key}_rank"] = position
                out[u][f"{key}_size"] = len(scores)
    for unit in UNIT_RESULTS:
        members = [u for u in IDS if UNIT_OF[u] == unit]
        # The quota counts those assessed; 优秀 goes by score among those neither recorded nor barred.
        assessed = [u for u in members if recorded.get(u) not in ("不确定等次", "不参加年度考核")]
        quota = 0 if len(assessed) < 5 else max(1, len(assessed) * 15 // 100)
        open_ = [u for u in members if u not in recorded and u not in barred and may_be_excellent(u)]
        best = sorted(open_, key=lambda u: -out[u]["annual"])  # type: ignore[operator]
        lowest = min(out[u]["annual"] for u in members)  # type: ignore[type-var]
        for u in members:
            out[u]["excellent"] = u in best[:quota] and (
                len(best) <= quota or out[best[quota]]["annual"] != out[u]["annual"])
            out[u]["grade"] = recorded.get(u) or ("优秀" if out[u]["excellent"] else "称职")
            # The ladder only counts in units of 5 or more (团区委's 3 always have a last).
            out[u]["last"] = out[u]["annual"] == lowest and len(members) >= 5
    history_excellent = {"tq_staff": [2023], "fg_staff2": [2024], "ca_lead": [2024]}
    history_last = {"ca_staff3": [2024, 2025], "fg_staff3": [2025]}
    for u in IDS:
        top = 2 * out[u]["level_rank"] <= out[u]["level_size"]  # type: ignore[operator]
        excellent_years = [y for y in history_excellent.get(u, []) if y >= 2024] + ([2026] if out[u]["excellent"] else [])
        out[u]["commendation"] = top
        out[u]["promotion"] = top or bool(excellent_years)
        streak = 0
        if out[u]["last"]:
            streak = 1
            while 2026 - streak in history_last.get(u, []):
                streak += 1
        out[u]["streak"] = streak
        out[u]["action"] = {0: "", 1: "提醒谈话", 2: "诫勉谈话"}.get(streak, "组织处理")
        if streak and (top or out[u]["excellent"]):
            out[u]["action"] = "待考核办决定"  # the district's best is never sent to a talk by rule
    return out


# ---- driving it through chat ----------------------------------------------------------------


async def drain_all(h) -> None:  # type: ignore[no-untyped-def]
    while await h.drain():
        pass


def cards_since(h, start: int, prefix: str) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """rater → {ratee userid: task_id} of cards delivered since `start`, and 'submit'."""
    by_name = {(r["name"], r["unit"]): u for u, r in PEOPLE.items()}
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for delivery in h.standin.sent[start:]:
        card = delivery.payload.get("template_card")
        if delivery.path != "message/send" or not card:
            continue
        (rater,) = delivery.recipients
        if card["task_id"].startswith(prefix):
            title = card["main_title"]
            name, unit = title["title"].split("（")[0], title["desc"].split(" · ")[0]
            found[rater][by_name[(name, unit)]] = card["task_id"]
        elif card["task_id"].startswith(("rsub-", "dsub-")):
            found[rater]["submit"] = card["task_id"]
    return found


async def run_quarter(h, clock, quarter: int, moment: str) -> None:  # type: ignore[no-untyped-def]
    clock.set(at(moment))
    start = len(h.standin.sent)
    assert "已开启" in await h.say(ADMIN, f"开启评分 2026Q{quarter}")
    await drain_all(h)
    cards = cards_since(h, start, "rate-")
    assert set(cards) == set(IDS)
    for rater in IDS:
        for ratee in colleagues(rater):
            score = rating(quarter, rater, ratee)
            if score == 65:
                assert "已记录" in await h.say(rater, f"评分 {PEOPLE[ratee]['name']} 65")
            else:
                clock.advance(seconds=1)
                status, _ = await h.card(rater, cards[rater][ratee], "ok", selected={"score": [str(score)]})
                assert status == 200
    assert "已关闭" in await h.say(ADMIN, f"关闭评分 2026Q{quarter}")  # every ballot complete: handed in
    assert "已发布" in await h.say(ADMIN, f"发布结果 2026Q{quarter} 强制发布")
    await drain_all(h)
    # Each cadre's result notice carries the quarter's 平时考核 grade.
    for userid, grade in expected_quarter_grades(quarter).items():
        notice = next(t for t in reversed(h.standin.texts_for(userid)) if f"2026年第{quarter}季度实绩考核结果" in t)
        assert f"平时考核：{grade}" in notice, (userid, notice)


async def seed_summaries(h) -> None:  # type: ignore[no-untyped-def]
    moment = at("2026-12-30 10:00")
    async with h.runtime.sessions() as session, session.begin():
        for userid in IDS:
            for q in (1, 2, 3, 4):
                session.add(Summary(userid=userid, kind="quarter", period=f"2026Q{q}", content="季度工作" * 30,
                                    created_at=moment, updated_at=moment))
            logged = at("2026-12-31 17:00")
            session.add(DailyLog(userid=userid, day=logged.date(), content="上午召开专题会议研究年度重点工作推进",
                                 created_at=logged, updated_at=logged))
            if userid != NO_ANNUAL_SUMMARY:
                session.add(Summary(userid=userid, kind="year", period="2026", content="年度工作" * 60,
                                    created_at=moment, updated_at=moment))


def shiji_year(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    year_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["year", *argv])


async def test_a_whole_year_closes_in_chat(db_url, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2026-04-01 10:00"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS) as h:
        await seed_summaries(h)
        for quarter, moment in ((1, "2026-04-01 10:00"), (2, "2026-07-01 10:00"),
                                (3, "2026-10-12 10:00"), (4, "2027-01-04 10:00")):
            await run_quarter(h, clock, quarter, moment)
        # Stored with each published quarter; 我的得分 shows it, and why when the cap decided it.
        async with h.runtime.sessions() as session:
            stored = (await session.execute(
                select(RatingRound.quarter, QuarterResult.userid, QuarterResult.grade)
                .join(QuarterResult, QuarterResult.round_id == RatingRound.id))).all()
        assert {(q, u): g for q, u, g in stored} == {
            (f"2026Q{q}", u): g for q in (1, 2, 3, 4) for u, g in expected_quarter_grades(q).items()}
        assert expected_quarter_grades(4)["ca_lead"] == "较好" and quarter_score(4, "ca_lead") >= 80
        mine = await h.say("ca_lead", "我的得分 2026Q4")
        assert "平时考核：较好（得分达到「好」的分数段，但本单位「好」不超过 40%，名额已满" in mine, mine
        assert "平时考核：好。" in await h.say("ca_dep", "我的得分 2026Q4")
        assert "平时考核：较差。" in await h.say("ca_staff3", "我的得分 2026Q1")

        # Nothing to publish yet: every cadre and every missing piece is named, nothing stored.
        refused = await h.say(ADMIN, "发布年度结果 2026")
        assert "未发布" in refused and "赵城（ca_lead）：缺年度民主测评得分、本单位年度综合考核结果" in refused
        assert refused.count("· ") == len(IDS)

        # The democratic evaluation: open, two-step cards for one line, text for the rest.
        clock.set(at("2027-01-05 09:30"))
        start = len(h.standin.sent)
        assert "已开启2026年度民主测评" in await h.say(ADMIN, "开启测评 2026")
        await drain_all(h)
        cards = cards_since(h, start, "dem-")
        assert set(cards) == set(IDS)
        first = next(d.payload["template_card"] for d in h.standin.sent[start:]
                     if d.payload.get("template_card", {}).get("task_id", "").startswith("dem-"))
        assert first["card_type"] == "multiple_interaction" and len(first["select_list"]) == 3
        assert all(s["option_list"][0] == {"id": "none", "text": "请选择分数"} for s in first["select_list"])

        evaluated: dict[str, dict[str, list[int]]] = {}
        rater, ratee = "ca_staff1", "ca_lead"
        want = [92, 90, 88, 85, 95]
        clock.advance(seconds=1)
        _, body = await h.card(rater, cards[rater][ratee], "step1", selected={"de": ["92"], "neng": ["none"], "qin": ["88"]})
        assert "请为能选择分数" in h.reply_xml(body)["TemplateCard"]["MainTitle"]["Desc"]
        clock.advance(seconds=1)
        _, body = await h.card(rater, cards[rater][ratee], "step1", selected={"de": ["92"], "neng": ["90"], "qin": ["88"]})
        step2 = h.reply_xml(body)["TemplateCard"]
        assert [s["QuestionKey"] for s in step2["SelectList"]] == ["ji", "lian"]
        clock.advance(seconds=1)
        _, body = await h.card(rater, cards[rater][ratee], "step2", selected={"ji": ["85"], "lian": ["95"]})
        assert "德 92 能 90 勤 88 绩 85 廉 95" in h.reply_xml(body)["TemplateCard"]["MainTitle"]["Desc"]
        evaluated[rater] = {ratee: want}

        late, dropped = "fg_dep", "tq_dep"  # complete but never submitted; half finished
        for evaluator in IDS:
            ballot = evaluated.setdefault(evaluator, {})
            for colleague in colleagues(evaluator):
                if colleague in ballot:
                    continue
                if evaluator == dropped and colleague == "tq_staff":
                    continue
                line = marks(evaluator, colleague)
                reply = await h.say(evaluator, f"测评 {PEOPLE[colleague]['name']} {' '.join(map(str, line))}")
                assert "已记录" in reply, reply
                ballot[colleague] = line
            if evaluator not in (late, dropped):
                assert "已提交2026年度民主测评" in await h.say(evaluator, "测评 提交")
        assert "不完整" in await h.say(dropped, "测评 提交")
        progress = await h.say(ADMIN, "测评进度")
        assert "团区委：3 位测评人中 2 位已提交" in progress

        # Close at the deadline: the complete ballot is handed in for its rater, the other dropped.
        from scheduler.round_jobs import YEAR_JOBS

        clock.set(at("2027-01-18 18:00"))
        await YEAR_JOBS.close(h.runtime.jobs, clock.now())
        await drain_all(h)
        assert any("代为提交" in t for t in h.standin.texts_for(late))
        assert any("作废" in t for t in h.standin.texts_for(dropped))
        del evaluated[dropped]
        assert "已截止" in await h.say("ca_staff2", "测评 吴三 60 60 60 60 60") or "没有进行中" in await h.say(
            "ca_staff2", "测评 吴三 60 60 60 60 60")
        async with h.runtime.sessions() as session:
            assert (await session.execute(select(func.count()).select_from(YearEvalDraft))).scalar_one() == 0
            lines = (await session.execute(select(func.count()).select_from(YearEvalScore))).scalar_one()
            assert lines == sum(len(b) for b in evaluated.values())
        # No stored row links an evaluation to its evaluator: the sealed lines hold the evaluated
        # cadre and the marks only, under random ids, without a rowid on SQLite.
        sealed = YearEvalScore.__table__  # type: ignore[attr-defined]
        assert {c.name for c in sealed.columns} == {"id", "round_id", "ratee", "de", "neng", "qin", "ji", "lian"}
        assert sealed.dialect_options["sqlite"]["with_rowid"] is False
        (key,) = sealed.primary_key.columns
        assert str(key.type).startswith("VARCHAR") and key.autoincrement is not True

        # Unit results and the earlier years, by the command line.
        # The Chinese headers the roster template also accepts (单位/得分), as an office types them.
        units = tmp_path / "units.csv"
        units.write_text("单位,得分\n" + "".join(f"{u},{s}\n" for u, s in UNIT_RESULTS.items()), encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        history = tmp_path / "history.csv"
        history.write_text(HISTORY, encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-history", str(history))) == 0
        listing = await h.say(ADMIN, "单位结果 2026")
        assert "区发改局：85.50" in listing and "所有单位均已导入" in listing
        # Before 2026 is published, 能否提拔 answers from the latest history year (2025).
        assert "2025年度" in await h.say(ADMIN, "能否提拔 陈二")

        # The 考核办's records on 等次, typed as people type them (称值 for 称职); a bar keeps
        # 区发改局's best from 优秀, and the place passes to the next by score who may have it.
        plain = expected_year(evaluated)
        (fg_best,) = [u for u in IDS if UNIT_OF[u] == "区发改局" and plain[u]["excellent"]]
        best_name = PEOPLE[fg_best]["name"]
        assert "仅限考核办" in await h.say("ca_lead", "等次 2026 李一 基本称职 多次无故缺席")
        assert "称职（合格）是默认等次" in await h.say(ADMIN, "等次 2026 李一 称职 理由")
        assert "优秀按得分和本单位名额确定" in await h.say(ADMIN, "等次 2026 李一 优秀 理由")
        assert "请写明理由" in await h.say(ADMIN, "等次 2026 李一 基本称职")
        assert "看不懂等次「良好」" in await h.say(ADMIN, "等次 2026 李一 良好 理由")
        assert "没有「无名氏」" in await h.say(ADMIN, "不评优 2026 无名氏 诫勉影响期")
        assert "起在前" in await h.say(ADMIN, f"不评优 2026 {best_name} 诫勉影响期 2027-02-28 至 2026-03-01")
        answer = await h.say(ADMIN, "等次 2026 李一 基本称值 全年多次无故缺席工作例会")
        assert "已记录 2026 年度 李一（城关镇）：基本称职（全年多次无故缺席工作例会）" in answer, answer
        answer = await h.say(ADMIN, f"不评优 2026 {best_name} 诫勉影响期 2026-03-01 至 2027-02-28")
        assert f"{best_name}（区发改局）：不得评为优秀（诫勉影响期，2026-03-01 至 2027-02-28）" in answer, answer
        assert "已记录" in await h.say(ADMIN, "不定等次 2026 孙副 试用期")
        assert await year_cli.run(h.settings, shiji_year("grade", "2026", "zz_nobody", "不称职", "x")) == 2
        assert "没有「zz_nobody」" in capsys.readouterr().err
        # The command line records and removes as chat does.
        assert await year_cli.run(h.settings, shiji_year("grade", "2026", "tq_staff", "不参加", "长期病假")) == 0
        assert "沈干（团区委）：不参加年度考核（长期病假）" in await h.say(ADMIN, "等次记录 2026")
        assert await year_cli.run(h.settings, shiji_year("grade", "2026", "tq_staff", "撤销")) == 0
        assert "没有等次记录" in await h.say(ADMIN, "撤销等次记录 2026 沈干")
        listing = await h.say(ADMIN, "等次记录 2026")
        assert "（3 人）" in listing and "孙副（城关镇）：不确定等次（试用期）" in listing, listing

        reply = await h.say(ADMIN, "发布年度结果 2026 强制发布")
        assert "已发布2026年度考核结果（第 1 版）" in reply, reply
        await drain_all(h)

        recorded = {"ca_staff1": "基本称职", "ca_dep": "不确定等次"}
        expected = expected_year(evaluated, recorded, frozenset({fg_best}))
        (fg_now,) = [u for u in IDS if UNIT_OF[u] == "区发改局" and expected[u]["excellent"]]
        assert fg_now != fg_best and not expected[fg_best]["excellent"]  # the place passed on
        async with h.runtime.sessions() as session:
            rows = {r.userid: r for r in (await session.execute(select(AnnualResult))).scalars()}
        assert set(rows) == set(IDS)
        for userid, want_row in expected.items():
            row = rows[userid]
            got = {
                "democratic": Decimal(row.democratic), "unit_result": Decimal(row.unit_result),
                "quarter_mean": Decimal(row.quarter_mean), "annual": Decimal(row.annual),
                "unit_rank": row.unit_rank, "unit_size": row.unit_size, "level_rank": row.level_rank,
                "level_size": row.level_size, "excellent": row.excellent, "last": row.last_place_years > 0,
                "commendation": row.commendation_eligible, "promotion": row.promotion_eligible,
                "streak": row.last_place_years, "action": row.action, "grade": GRADE_NAMES[row.grade],
            }
            assert got == want_row, userid
        # Each rung of the ladder and each way into (or out of) the promotion list is exercised.
        assert {expected[u]["action"] for u in LAST} == {"", "诫勉谈话", "组织处理"}  # 提醒谈话: tests/scoring
        assert expected["ca_staff2"]["promotion"] and expected["ca_staff2"]["commendation"]
        assert expected["fg_staff2"]["promotion"] and not expected["fg_staff2"]["commendation"]
        assert not expected["tq_staff"]["promotion"]  # its excellent (2023) is outside 2024–2026

        # Each cadre got their breakdown; 我的得分 2026 says the same.
        li = next(t for t in h.standin.texts_for("ca_staff1") if "2026年度考核结果" in t)
        assert f"年度得分：{expected['ca_staff1']['annual']} 分" in li and "未交年度总结扣 2.00 分" in li
        assert "× 10%" in li and "× 20%" in li and "× 70%" in li
        assert f"年度得分：{expected['ca_staff1']['annual']} 分" in await h.say("ca_staff1", "我的得分 2026")
        lead = next(t for t in h.standin.texts_for("ca_lead") if "2026年度考核结果" in t)
        assert "× 30%" in lead and "× 60%" in lead
        admin_texts = h.standin.texts_for(ADMIN)
        first = next(i for i, t in enumerate(admin_texts) if "已发布，共 14 人" in t)
        report = "\n".join(admin_texts[first:])  # a long report arrives in parts
        for userid in IDS:  # each cadre reads their 等次
            pushed = next(t for t in h.standin.texts_for(userid) if "2026年度考核结果" in t)
            assert f"等次：{expected[userid]['grade']}。" in pushed, (userid, pushed)
        assert "未列入本单位优秀名额" not in "".join(t for u in IDS for t in h.standin.texts_for(u))
        assert "等次：基本称职。" in await h.say("ca_staff1", "我的得分 2026")
        # The report: the grades, the bar honoured, who to consider, what the rules attach.
        counts = defaultdict(int)
        for u in IDS:
            counts[expected[u]["grade"]] += 1
        assert "【年度等次】" in report and f"称职 {counts['称职']} 人" in report, report
        assert "· 李一：基本称职（全年多次无故缺席工作例会）" in report, report
        assert "· 孙副：不确定等次（试用期）" in report, report
        assert f"· {best_name}：得分在本单位优秀名额之内，但不能评为优秀：诫勉影响期（2026-03-01 至 2027-02-28）" in report, report
        assert "· 吴三：连续 3 年为本单位末位；平时考核「一般」或「较差」4 个季度" in report, report
        assert "· 李一：基本称职：下一年度不得晋升职务职级，本年度不计算为晋升职务职级的任职年限（公务员考核规定）" in report
        for u in IDS:
            if expected[u]["excellent"]:
                assert f"· {PEOPLE[u]['name']}：优秀：给予嘉奖（公务员考核规定）" in report, report
        assert "正科级 3 人：最高" in report and "组织处理：吴三（城关镇），2024–2026 年连续 3 年" in report
        assert "团区委（3 人，名额 0）" in report and "末位只在 5 人及以上的单位认定" in report
        # 团区委's three rate each other (two raters apiece) and 蒋副's evaluation was dropped:
        # every figure there rests on one or two people, so none is shown, to anyone (issue 21).
        withheld = "评分人不足 3 人，为保护匿名不公布"
        assert "以下单位有干部的得分评分人不足 3 人" in report and "：团区委。" in report and "增加参评" in report
        assert "团区委" in reply and "增加参评" in reply
        for userid in ("tq_lead", "tq_dep", "tq_staff"):
            figures = [str(expected[userid][f]) for f in ("annual", "democratic", "quarter_mean")]
            pushed = next(t for t in h.standin.texts_for(userid) if "2026年度考核结果" in t)
            for text in (pushed, await h.say(userid, "我的得分 2026")):
                assert f"年度得分：{withheld}" in text and "在全区" in text, text
                assert ("在本单位 3 人中排第" in text) is (userid != "tq_lead"), text  # he sees the list
                assert not [f for f in figures if f in text] and not re.search(r"(?<![\d.])[12] 人(?!中)", text), text
        unit_list = await h.say("tq_lead", "排名 2026")
        assert f"{withheld}得分和名次：" in unit_list and str(expected["tq_dep"]["annual"]) not in unit_list

        # Decisions in chat, scoped; a refusal never tells whether the person exists.
        assert "陈二（区发改局）：可以" in await h.say(ADMIN, "能否提拔 陈二")
        assert "有 1 次优秀（2024年）" in await h.say(ADMIN, "能否提拔 陈二")
        assert "吴三（城关镇）：不可以" in await h.say("sup", "能否提拔 吴三")
        outside = await h.say("ca_lead", "能否提拔 陈二")
        assert outside == (await h.say("ca_lead", "能否提拔 无名氏")).replace("无名氏", "陈二")
        assert "「能否提拔」仅限单位主要领导、上级领导和考核办使用" in await h.say("ca_staff1", "能否提拔 吴三")
        assert "周二" in await h.say(ADMIN, "提拔名单 一般干部")
        assert "吴三" not in await h.say(ADMIN, "提拔名单 一般干部")
        lasts = await h.say(ADMIN, "末位名单 2026")
        assert "组织处理：吴三" in lasts and "诫勉谈话：褚三" in lasts and "沈干" not in lasts
        assert "褚三" not in await h.say("ca_lead", "末位名单 2026")
        # 团区委's withheld scores keep their places to themselves in these lists too (issue 21).
        assert "褚三（区发改局），2025–2026 年连续 2 年为本单位末位（" in lasts
        promote = await h.say(ADMIN, "能否提拔 卫书")
        assert "名次不公布" in promote and "排第" not in promote
        assert "排第" in await h.say(ADMIN, "能否提拔 赵城")
        for level in ("正科级", "副科级", "一般干部"):
            listed = await h.say(ADMIN, f"评先名单 {level}")
            assert not [u for u in ("tq_lead", "tq_dep", "tq_staff") if str(expected[u]["annual"]) in listed], listed
        assert "周二" in await h.say(ADMIN, "评先名单 一般干部")

        # Frozen: a second publish needs the word; a correction keeps version 1 and says what changed.
        assert "发布后即冻结" in await h.say(ADMIN, "发布年度结果 2026")
        assert "完全相同" in await h.say(ADMIN, "发布年度结果 2026 重新发布")
        units.write_text("unit,score\n城关镇,92\n区发改局,86.5\n团区委,78.25\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        corrected = await h.say(ADMIN, "发布年度结果 2026 重新发布")
        assert "第 2 版" in corrected and "郑局（fg_lead） 年度得分" in corrected and "赵城" not in corrected
        async with h.runtime.sessions() as session:
            versions = (await session.execute(select(AnnualPublication.version))).scalars().all()
            assert sorted(versions) == [1, 2]
            first_lead = await session.get(AnnualResult, (2026, 1, "fg_lead"))
            assert first_lead is not None and Decimal(first_lead.annual) == expected["fg_lead"]["annual"]

        # A decision recorded after publishing takes effect by a re-publish: a new version, the
        # change in the admin's words, the cadre told, the consequence listed.
        assert "发送「发布年度结果 2026 重新发布」后生效" in await h.say(ADMIN, "等次 2026 周二 不称职 全年多项工作未完成")
        await drain_all(h)
        before = len(h.standin.texts_for("ca_staff2"))
        corrected = await h.say(ADMIN, "发布年度结果 2026 重新发布")
        assert "第 3 版" in corrected and "周二（ca_staff2） 等次：称职 → 不称职" in corrected, corrected
        await drain_all(h)
        (told,) = h.standin.texts_for("ca_staff2")[before:]
        assert "等次：不称职。" in told, told
        admin_texts = h.standin.texts_for(ADMIN)
        third = "\n".join(admin_texts[next(i for i, t in enumerate(admin_texts) if "（第 3 版）已发布" in t):])
        assert "· 周二：不称职：降低一个职务或者职级层次任职（公务员考核规定）" in third, third
        expected["ca_staff2"]["grade"] = "不称职"

        # The results file: exact columns, one row per cadre, the newest version.
        path = tmp_path / "results.csv"
        assert await year_cli.run(h.settings, shiji_year("results", "2026", "--csv", str(path))) == 0
        # Excel reads it as UTF-8 only with the byte-order mark; the header and levels are Chinese.
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
        with path.open(encoding="utf-8-sig") as handle:
            header, *lines = list(csv.reader(handle))
        assert header == ["企业微信账号", "姓名", "单位", "职级", "民主测评", "单位年度结果", "季度平均", "年度得分",
                          "年度单位排名", "年度职级排名", "优秀", "等次", "符合提拔条件", "可评先评优", "连续末位年数", "处理"]
        table = [dict(zip(year_cli.RESULT_COLUMNS, line, strict=True)) for line in lines]
        by_id = {r["userid"]: r for r in table}
        assert {u: r["grade"] for u, r in by_id.items()} == {u: expected[u]["grade"] for u in IDS}
        assert {r["rank_level"] for r in table} == {"正科级", "副科级", "一般干部"}
        assert by_id["ca_staff3"]["name"] == PEOPLE["ca_staff3"]["name"] and by_id["ca_staff3"]["excellent"] == "否"
        assert by_id["ca_staff3"]["action"] == "组织处理" and by_id["ca_staff3"]["last_place_years"] == "3"
        assert by_id["fg_staff2"]["promotion_eligible"] == "是" and by_id["fg_staff2"]["commendation_eligible"] == "否"
        assert by_id["ca_staff1"]["annual"] == str(expected["ca_staff1"]["annual"])
        for userid in ("tq_lead", "tq_dep", "tq_staff"):  # withheld, with the places that would pin them
            assert {by_id[userid][c] for c in ("democratic", "quarter_mean", "annual", "unit_rank", "level_rank")} == {withheld}
            assert by_id[userid]["unit_result"] == "78.25"
        capsys.readouterr()


async def count(h, model) -> int:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_bad_input_is_refused_with_reasons_and_nothing_half_stored(db_url, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from storage.models_year import HistoryResult, UnitResult

    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2026-12-30 10:00"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS) as h:
        assert "仅限考核办" in await h.say("ca_lead", "开启测评 2026")
        assert "年度结束后才能开启" in await h.say(ADMIN, "开启测评 2026")
        assert "没有进行中的民主测评" in await h.say("ca_staff1", "测评 吴三 90 88 92 85 95")
        clock.set(at("2027-01-05 09:30"))
        start = len(h.standin.sent)
        assert "已开启" in await h.say(ADMIN, "开启测评")  # default: last year
        assert "不能重复开启" in await h.say(ADMIN, "开启测评 2026")
        await drain_all(h)
        cards = cards_since(h, start, "dem-")

        out_of_range = await h.say("ca_staff1", "测评 吴三 90 88 92 85 105")
        assert "未记录 吴三 的测评" in out_of_range and "廉" in out_of_range and "50–100" in out_of_range
        assert "5 项" in await h.say("ca_staff1", "测评 吴三 90 88")
        assert "不在您本轮的测评名单中" in await h.say("ca_staff1", "测评 陈二 90 88 92 85 95")
        assert "不能给自己打分" in await h.say("ca_staff1", "测评 李一 90 88 92 85 95")
        assert "请写成「测评 姓名" in await h.say("ca_staff1", "测评 90 88 92 85 95")
        _, body = await h.card("ca_staff2", cards["ca_staff1"]["ca_lead"], "step1",
                               selected={"de": ["90"], "neng": ["90"], "qin": ["90"]})
        assert "不是发给您的" in h.reply_xml(body)["Content"]
        _, body = await h.card("ca_staff1", cards["ca_staff1"]["ca_lead"], "step1",
                               selected={"de": ["90"], "neng": ["101"], "qin": ["90"]})
        assert "⚠️ 未记录：能" in h.reply_xml(body)["TemplateCard"]["MainTitle"]["Desc"]
        assert await count(h, YearEvalDraft) == 0

        # After close: cards and text refuse, nothing is written.
        assert "已关闭" in await h.say(ADMIN, "关闭测评 2026")
        clock.advance(seconds=1)
        _, body = await h.card("ca_staff1", cards["ca_staff1"]["ca_lead"], "step1",
                               selected={"de": ["90"], "neng": ["90"], "qin": ["90"]})
        assert "已截止" in h.reply_xml(body)["Content"]
        assert "没有进行中的民主测评" in await h.say("ca_staff1", "测评 吴三 90 88 92 85 95")
        assert await count(h, YearEvalDraft) == 0 and await count(h, YearEvalScore) == 0

        # Imports: all-or-nothing, every bad row named.
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,92\n无此单位,80\n区发改局,100.5\n团区委,88.123\n城关镇,90\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 2
        err = capsys.readouterr().err
        for expected in ("第 3 行：单位「无此单位」不在名册中", "第 4 行：得分 「100.5」须在 0–100 之间",
                         "第 5 行：得分 「88.123」最多两位小数", "第 6 行：与第 2 行重复"):
            assert expected in err, err
        assert await count(h, UnitResult) == 0
        history = tmp_path / "history.csv"
        history.write_text("year,userid,annual_score,unit_rank,excellent,last_in_unit\n"
                           "2025,ca_lead,90,1,是,否\n2025,nobody,90,0,也许,否\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-history", str(history))) == 2
        err = capsys.readouterr().err
        assert "第 3 行" in err and "nobody" in err and "unit_rank" in err and "excellent「也许」" in err
        assert await count(h, HistoryResult) == 0
        assert await year_cli.run(h.settings, shiji_year("excuse", "2026", "ca_lead", "q5", "入职")) == 2
        assert "q1–q4" in capsys.readouterr().err
        assert "仅限考核办" in await h.say("ca_lead", "发布年度结果 2026")
        assert await count(h, AnnualResult) == 0

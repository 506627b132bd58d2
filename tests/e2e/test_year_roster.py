"""The year is published with the roster as it stood (settings roster.year_rule): a promotion on
11-01, a transfer on 11-16, a leaver on 12-15 and a promotion after the year, under both rules, through the callback,
against figures worked out by hand.

Setup that is not under test is written directly: the four published quarters (each cadre the
same score every quarter) and the annual summaries. The roster changes, the democratic
evaluation, the unit results, the excuse and the publish go the way the users do them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import year as year_cli
from bot.cli.roster import import_roster
from bot.clock import ManualClock
from storage.models import Summary
from storage.models_rating import QuarterPublication, QuarterResult, RatingRound
from storage.models_year import AnnualResult
from tests.conftest import SAMPLE_2027, at
from tests.e2e.test_year_end import shiji_year
from tests.harness import ADMIN, running_bot

HEADER = "账号,姓名,单位,单位类别,角色,职级,职务,在职\n"
ROSTER = HEADER + """a_lead,赵城,城关镇,乡镇(街道),主要领导,正科级,党委书记,是
a_dep,钱镇,城关镇,乡镇(街道),班子成员,副科级,副镇长,是
a_s1,孙一,城关镇,乡镇(街道),一般干部,一般干部,科员,是
a_s2,李二,城关镇,乡镇(街道),一般干部,一般干部,科员,是
a_s3,周三,城关镇,乡镇(街道),一般干部,一般干部,科员,是
a_s4,吴四,城关镇,乡镇(街道),一般干部,一般干部,科员,是
b_lead,郑局,区发改局,区直单位,主要领导,正科级,局长,是
b_dep,王副,区发改局,区直单位,班子成员,副科级,副局长,是
b_s1,冯一,区发改局,区直单位,一般干部,一般干部,科员,是
b_s2,陈二,区发改局,区直单位,一般干部,一般干部,科员,是
b_s3,褚三,区发改局,区直单位,一般干部,一般干部,科员,是
"""
CHANGES = [
    ("2026-11-01", "a_s1,孙一,城关镇,乡镇(街道),一般干部,副科级,科长,是"),  # promoted
    ("2026-11-16", "a_s2,李二,区发改局,区直单位,一般干部,一般干部,科员,是"),  # transferred
    ("2026-12-15", "b_s3,褚三,区发改局,区直单位,一般干部,一般干部,科员,否"),  # left
    ("2027-01-04", "b_s2,陈二,区发改局,区直单位,一般干部,副科级,科长,是"),  # promoted after the year
]
NAMES = {line.split(",")[0]: line.split(",")[1] for line in ROSTER.splitlines()[1:]}
# Each cadre's democratic marks (all five, from every colleague) and quarterly score, alike.
SCORE = {"a_lead": 90, "a_dep": 88, "a_s1": 85, "a_s2": 80, "a_s3": 84, "a_s4": 70,
         "b_lead": 86, "b_dep": 82, "b_s1": 83, "b_s2": 78, "b_s3": 75}
UNIT_RESULTS = "unit,score\n城关镇,90\n区发改局,80\n"

# By hand. Annual = 10% democratic + 20% unit (30% for a main leader) + 70% (60%) quarters;
# here democratic = quarter mean = SCORE. 城关镇 90: 赵城 .7×90+.3×90 = 90.00, 钱镇 .8×88+18 =
# 88.40, 孙一 86.00, 周三 85.20, 吴四 74.00, 李二 (ranked there) 82.00; 区发改局 80: 郑局
# .7×86+24 = 84.20, 冯一 82.40, 王副 81.60, 陈二 78.40, 李二 (ranked there) 80.00, 褚三 76.00.
# Quota: 15% of 5 or 6, rounded down, at least 1 = 1 per unit.
# (unit, level, annual, unit rank/size, level rank/size, excellent, action)
END = {  # the line of 12-31: 孙一 among 副科级, 李二 in 区发改局, 褚三 not ranked
    "a_lead": ("城关镇", "zhengke", "90.00", (1, 5), (1, 2), True, ""),
    "a_dep": ("城关镇", "fuke", "88.40", (2, 5), (1, 3), False, ""),
    "a_s1": ("城关镇", "fuke", "86.00", (3, 5), (2, 3), False, ""),
    "a_s3": ("城关镇", "general", "85.20", (4, 5), (1, 5), False, ""),
    "a_s4": ("城关镇", "general", "74.00", (5, 5), (5, 5), False, "提醒谈话"),
    "b_lead": ("区发改局", "zhengke", "84.20", (1, 5), (2, 2), True, ""),
    "b_s1": ("区发改局", "general", "82.40", (2, 5), (2, 5), False, ""),
    "b_dep": ("区发改局", "fuke", "81.60", (3, 5), (3, 3), False, ""),
    "a_s2": ("区发改局", "general", "80.00", (4, 5), (3, 5), False, ""),
    "b_s2": ("区发改局", "general", "78.40", (5, 5), (4, 5), False, "提醒谈话"),
}
LONGEST = {  # most days: 孙一 among 一般干部 (10 months), 李二 in 城关镇, 褚三 (11½ months) ranked
    "a_lead": ("城关镇", "zhengke", "90.00", (1, 6), (1, 2), True, ""),
    "a_dep": ("城关镇", "fuke", "88.40", (2, 6), (1, 2), False, ""),
    "a_s1": ("城关镇", "general", "86.00", (3, 6), (1, 7), False, ""),
    "a_s3": ("城关镇", "general", "85.20", (4, 6), (2, 7), False, ""),
    "a_s2": ("城关镇", "general", "82.00", (5, 6), (4, 7), False, ""),
    "a_s4": ("城关镇", "general", "74.00", (6, 6), (7, 7), False, "提醒谈话"),
    "b_lead": ("区发改局", "zhengke", "84.20", (1, 5), (2, 2), True, ""),
    "b_s1": ("区发改局", "general", "82.40", (2, 5), (3, 7), False, ""),
    "b_dep": ("区发改局", "fuke", "81.60", (3, 5), (2, 2), False, ""),
    "b_s2": ("区发改局", "general", "78.40", (4, 5), (5, 7), False, ""),
    "b_s3": ("区发改局", "general", "76.00", (5, 5), (6, 7), False, "提醒谈话"),
}


async def seed_quarters_and_summaries(h, scores: dict[str, int] = SCORE, gone_in_q4: str = "b_s3") -> None:  # type: ignore[no-untyped-def]
    """Four published quarters, each cadre at their score every quarter (褚三 gone before Q4),
    and everyone's annual summary."""
    moment = at("2027-01-04 10:00")
    async with h.runtime.sessions() as session, session.begin():
        for q in (1, 2, 3, 4):
            rnd = RatingRound(quarter=f"2026Q{q}", status="published", opened_by=ADMIN, opened_at=moment,
                              closes_at=moment, published_at=moment)
            session.add(rnd)
            await session.flush()
            session.add(QuarterPublication(round_id=rnd.id, version=1, published_by=ADMIN, published_at=moment))
            for userid, score in scores.items():
                if userid == gone_in_q4 and q == 4:
                    continue  # gone before Q4 was rated as of 12-31
                unit = h.runtime.directory.current.people[userid].unit.id
                session.add(QuarterResult(round_id=rnd.id, userid=userid, unit_id=unit, score=f"{score}.00",
                                          raw=f"{score}.00", deduction="0.00"))
        for userid in SCORE:
            session.add(Summary(userid=userid, kind="year", period="2026", content="年度工作" * 60,
                                created_at=moment, updated_at=moment))


async def evaluate_everyone(h, units: Iterable[list[str]], scores: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    """Each serving cadre gives each colleague of their unit all five marks at the colleague's
    score and hands in; the admin closes the evaluation (its answer is returned)."""
    for members in units:
        for evaluator in members:
            if h.runtime.directory.current.get(evaluator) is None:
                continue  # left: evaluates nobody
            for colleague in members:
                if colleague != evaluator:
                    mark = scores[colleague]
                    reply = await h.say(evaluator, f"测评 {NAMES[colleague]} {mark} {mark} {mark} {mark} {mark}")
                    assert "已记录" in reply, (evaluator, colleague, reply)
            assert "已提交" in await h.say(evaluator, "测评 提交")
    closed = await h.say(ADMIN, "关闭测评 2026")
    assert "已关闭" in closed, closed
    return closed


@pytest.mark.parametrize("rule", ["end", "longest"])
async def test_year_ranks_each_cadre_where_the_roster_rule_puts_them(db_url, tmp_path: Path, rule: str, capsys) -> None:  # type: ignore[no-untyped-def]
    expected = END if rule == "end" else LONGEST
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    sections = {"logs": {"start_date": "2027-01-01"}, "roster": {"year_rule": rule},
                "clock": {"start": "2027-01-05T09:30:00+08:00"}}  # what the CLI reads as today
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **sections) as h:
        for index, (day, row) in enumerate(CHANGES):
            path = tmp_path / f"change{index}.csv"
            path.write_text(HEADER + row + "\n", encoding="utf-8")
            assert await import_roster(h.settings, path, date.fromisoformat(day)) == 0
        await h.runtime.directory.reload()
        await seed_quarters_and_summaries(h)

        # The democratic evaluation: colleagues are those of the unit the year ranks one in;
        # 褚三 has left and evaluates nobody, but (under "longest") is evaluated.
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")  # on 01-05, 陈二 is 副科级 already
        elsewhere = "冯一" if rule == "longest" else "周三"
        assert "不在您本轮的测评名单中" in await h.say("a_s2", f"测评 {elsewhere} 90 90 90 90 90")
        assert "不在本区干部实绩考核名册中" in await h.say("b_s3", "测评 郑局 90 90 90 90 90")
        units: dict[str, list[str]] = {}
        for userid, line in expected.items():
            units.setdefault(line[0], []).append(userid)
        await evaluate_everyone(h, units.values(), SCORE)

        units_file = tmp_path / "units.csv"
        units_file.write_text(UNIT_RESULTS, encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units_file))) == 0
        assert await year_cli.run(h.settings, shiji_year("excuse", "2026", "b_s3", "q4", "12月15日离职")) == 0
        capsys.readouterr()

        reply = await h.say(ADMIN, "发布年度结果 2026 强制发布")
        assert f"{len(expected)} 人，10 人已收到本人结果" in reply, reply
        while await h.drain():
            pass
        async with h.runtime.sessions() as session:
            rows = {r.userid: r for r in (await session.execute(select(AnnualResult))).scalars()}
        got = {
            u: (r.unit_name, r.rank_level, r.annual, (r.unit_rank, r.unit_size), (r.level_rank, r.level_size),
                r.excellent, r.action)
            for u, r in rows.items()
        }
        assert got == expected
        assert Decimal(rows["a_s1"].democratic) == 85 and rows["a_lead"].weights == "0.1/0.3/0.6"

        # Each cadre still serving hears where they were ranked; the leaver hears nothing.
        sun = next(t for t in h.standin.texts_for("a_s1") if "2026年度考核结果" in t)
        level, (position, size) = ("副科级", (2, 3)) if rule == "end" else ("一般干部", (1, 7))
        assert f"在全区{level} {size} 人中排第 {position} 名" in sun
        li = next(t for t in h.standin.texts_for("a_s2") if "2026年度考核结果" in t)
        assert f"在本单位 {expected['a_s2'][3][1]} 人中排第 {expected['a_s2'][3][0]} 名" in li
        assert not any("2026年度考核结果" in t for t in h.standin.texts_for("b_s3"))
        report = next(t for t in h.standin.texts_for(ADMIN) if "年度考核结果（第 1 版）已发布" in t)
        assert "区发改局（5 人，名额 1）：郑局" in report
        assert f"城关镇（{5 if rule == 'end' else 6} 人，名额 1）：赵城" in report

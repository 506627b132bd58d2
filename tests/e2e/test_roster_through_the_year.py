"""The roster changes during 2026 Q4 and the rules use it as it stood: a mid-quarter transfer,
a mid-year promotion, a newcomer and a leaver, against figures worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.cli.calendar import calendar_load
from bot.cli.roster import import_roster
from bot.cli.rounds import rating_round
from handlers.services.roster_periods import placed_for_period
from scoring import Rank, ScoredCadre, excellent_quota, rank_within_levels
from scoring.config import ScoringConfig
from scoring.roster import PeriodRule
from storage.db import create_engine, session_factory
from storage.models import Outbox
from storage.models_rating import QuarterResult, RatingAssignment
from storage.repos import Store
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER
from tests.harness import harness_settings

HEADER = "账号,姓名,单位,单位类别,角色,职级,职务,在职\n"
CHANGES = [
    # 吴昊 moves from 城关镇 to 区发展和改革局 in the middle of Q4.
    ("2026-11-16", "chengguan_wuhao,吴昊,区发展和改革局,区直单位,一般干部,一般干部,综合科科员,是"),
    # 朱青 is promoted to 副科级 on 11-01.
    ("2026-11-01", "fgj_zhuqing,朱青,区发展和改革局,区直单位,一般干部,副科级,综合科科长,是"),
    # 新人 joins 团区委 on 12-01.
    ("2026-12-01", "tqw_xinren,辛仁,团区委,区直单位,一般干部,一般干部,干事,是"),
    # 蒋涛 leaves 城关镇 on 12-15.
    ("2026-12-15", "chengguan_jiangtao,蒋涛,城关镇,乡镇(街道),一般干部,一般干部,城建办科员,否"),
]


async def test_transfer_promotion_newcomer_and_leaver(db_url: str, tmp_path: Path) -> None:
    # The district went live with Q4 (its roster is imported later, back-dated): logs are owed from 10-01.
    settings = harness_settings(db_url, "http://127.0.0.1:9", clock={"start": "2027-01-15T09:30:00+08:00"},
                                logs={"start_date": "2026-10-01"})
    assert await import_roster(settings, SAMPLE_ROSTER) == 0
    assert await calendar_load(settings, SAMPLE_2027) == 0
    for index, (day, row) in enumerate(CHANGES):
        path = tmp_path / f"change{index}.csv"
        path.write_text(HEADER + row + "\n", encoding="utf-8")
        assert await import_roster(settings, path, date.fromisoformat(day)) == 0

    assert await rating_round(settings, "open", "2026Q4") == 0
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            cards = list((await session.execute(select(RatingAssignment))).scalars())
        # As the roster stood on 12-31: 城关镇 12 − 吴昊 − 蒋涛 = 10, 发改局 9 + 吴昊 = 10, 团区委 3 + 辛仁 = 4;
        # everyone rates everyone else of their unit.
        assert len(cards) == 10 * 9 + 10 * 9 + 4 * 3
        wu = [c for c in cards if c.ratee == "chengguan_wuhao"]
        assert len(wu) == 9 and {c.unit_size for c in wu} == {10}
        assert all(c.rater.startswith("fgj_") for c in wu)
        assert not [c for c in cards if "chengguan_jiangtao" in (c.rater, c.ratee)]

        assert await rating_round(settings, "close", "2026Q4") == 0
        assert await rating_round(settings, "publish", "2026Q4", force=True) == 0
        async with session_factory(engine)() as session:
            results = {r.userid: r for r in (await session.execute(select(QuarterResult))).scalars()}
            pushed = [o.userids for o in (await session.execute(select(Outbox))).scalars()]
            store = Store(session)
            year_end = await placed_for_period(store, date(2026, 1, 1), date(2026, 12, 31), PeriodRule.end)
            year_longest = await placed_for_period(store, date(2026, 1, 1), date(2026, 12, 31), PeriodRule.longest)
    finally:
        await engine.dispose()

    # Owed days (nobody logged): Q4 2026 has 62 working days (October 18 after 国庆, November
    # 21, December 23); the newcomer owes only December's 23; the leaver has no Q4 result.
    assert results["tqw_xinren"].missing_log_days == 23
    assert results["chengguan_wuhao"].missing_log_days == 62
    assert results["chengguan_wuhao"].unit_id == results["fgj_shenyu"].unit_id  # published under 发改局
    assert "chengguan_jiangtao" not in results
    assert not any("chengguan_jiangtao" in u for u in pushed)  # no card, no result, nothing

    # The year's rank levels: promoted on 11-01, 朱青 is among 副科级 under "end" (7 + 1 = 8)
    # and among 一般干部 under "longest" (10 months against 2).
    assert year_end["fgj_zhuqing"].rank is Rank.fuke
    assert year_longest["fgj_zhuqing"].rank is Rank.general
    scores = {"chengguan_sunwl": "91", "chengguan_zhouxy": "88", "chengguan_chenlei": "86", "fgj_hanmei": "90",
              "fgj_yangfan": "85", "fgj_xuming": "84", "tqw_shiyan": "83", "fgj_zhuqing": "89"}
    levels = rank_within_levels(
        [ScoredCadre(u, p.unit, p.rank, Decimal(scores.get(u, "80"))) for u, p in year_end.items() if p.rank]
    )
    fuke = levels[Rank.fuke]
    assert fuke.size == 8 and fuke.position_of("fgj_zhuqing") == 3  # after 91 and 90
    # Headcounts for the year's excellent quota (15 %, rounded down, at least 1 from 5 people).
    heads: dict[str, int] = {}
    for line in year_end.values():
        heads[line.unit] = heads.get(line.unit, 0) + 1
    assert sorted(heads.values()) == [4, 10, 10]
    assert [excellent_quota(n, ScoringConfig()) for n in sorted(heads.values())] == [0, 1, 1]

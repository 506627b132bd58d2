"""A group of one in the database (issue 21): the 主评 group is the unit's main leader alone, so
while its lines are stored, anyone who reads `rating_score` and `rating_assignment` has his
score for every colleague. Once the round is published the lines are gone: what stays is each
cadre's composite, from which his score cannot be taken apart from the other groups'."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select, text

from storage.models_rating import QuarterResult, RatingRound, RatingScore
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_rating_round import SETTINGS, cards_by_rater, drain_all, tap
from tests.harness import ADMIN, running_bot

LEADER = "chengguan_zhaojh"
UNIT = ["chengguan_liumin", "chengguan_sunwl", "chengguan_zhouxy", "chengguan_wuhao", "chengguan_zhengli",
        "chengguan_wangqiang", "chengguan_fengjing", "chengguan_chenlei", "chengguan_chujie",
        "chengguan_weiping", "chengguan_jiangtao"]
GIVEN = {ratee: 71 + n for n, ratee in enumerate(UNIT)}  # distinct, none 90+

# What a database administrator runs: the lead group's rater is known from the assignments.
DBA_QUERY = text(
    "SELECT s.ratee, s.score FROM rating_score s JOIN rating_assignment a"
    " ON a.round_id = s.round_id AND a.ratee = s.ratee AND a.grp = s.grp"
    " WHERE a.rater = :leader AND s.grp = 'lead'"
)


async def test_the_main_leaders_scores_leave_the_database_when_the_round_is_published(db_url, clock):
    clock.set(at("2027-01-04 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_by_rater(h)[LEADER]
        for ratee, score in GIVEN.items():
            await tap(h, LEADER, cards[ratee], score)
        assert "已提交" in await h.say(LEADER, "评分 提交")
        # The unit's other groups, handed in directly: seven raters a group, all scoring 65.
        async with h.runtime.sessions() as session, session.begin():
            rnd = (await session.execute(select(RatingRound))).scalars().one()
            session.add_all(
                RatingScore(id=uuid.uuid4().hex, round_id=rnd.id, ratee=ratee, grp=group, score=65)
                for ratee in UNIT for group in ["peer"] * 7 + ["other"] * 7
            )
        clock.set(at("2027-01-18 10:00"))
        assert "已关闭" in await h.say(ADMIN, "关闭评分 2026Q4")

        async def dba() -> dict[str, int]:
            async with h.runtime.sessions() as session:
                return {r.ratee: r.score for r in (await session.execute(DBA_QUERY, {"leader": LEADER}))}

        assert await dba() == GIVEN  # positive control: closed but unpublished, the link is there
        assert "已发布" in await h.say(ADMIN, "发布结果 2026Q4 强制发布")
        assert await dba() == {}
        async with h.runtime.sessions() as session:
            assert (await session.execute(select(RatingScore))).scalars().all() == []
            results = {r.userid: r for r in (await session.execute(select(QuarterResult))).scalars()}
        for ratee, score in GIVEN.items():
            row = results[ratee]
            assert "lead" not in json.loads(row.group_means)  # a one-person group's mean is his score
            assert row.raw is not None and row.raw != f"{score:.2f}"

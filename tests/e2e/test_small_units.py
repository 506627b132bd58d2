"""A small unit's scores stay anonymous (issue 21, small groups), through the encrypted callback.

The sample district's 团区委 has three cadres and 张晨 never rates: 吕潇 is rated by 施燕
alone, 施燕 by 吕潇 alone, 张晨 by the two of them. Before the fix 吕潇's 我的得分 showed
「互评 1 人 … 88.00」 (施燕's exact score) and, in 本单位, 张晨's total, from which he took his
own 4/7 and had 施燕's score for 张晨. Now no figure resting on fewer than 3 raters besides
the viewer is shown to anyone or exported, no rater count of 1 or 2 is printed, and the
admin is told which unit needs approved extra raters (增加参评).
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from bot.testing.standin import media_for
from scoring.names import name_key
from storage.models_rating import QuarterResult, RatingRound, RatingScore
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_archive import pdf_text, workbook_rows
from tests.e2e.test_rating_round import CADRES, SETTINGS, cards_by_rater, drain_all, tap
from tests.harness import ADMIN, running_bot

LV, SHI, ZHANG = "tqw_lvxiao", "tqw_shiyan", "tqw_zhangchen"
GIVEN = {LV: {SHI: 86, ZHANG: 80}, SHI: {LV: 88, ZHANG: 85}}  # 张晨 never rates
WITHHELD = "评分人不足 3 人，为保护匿名不公布"
# A count of one or two people (「1 人」「（2 人测评）」), not a ranking's size (「1 人中排第」).
SMALL_COUNT = re.compile(r"(?<![\d.])[12] 人(?!中)")


def assert_nothing_small(text: str, hidden: list[str]) -> None:
    assert not SMALL_COUNT.search(text), SMALL_COUNT.search(text)
    for figure in hidden:
        assert figure not in text, (figure, text)


async def test_tuanquwei_publishes_no_single_raters_score(db_url, clock):
    clock.set(at("2027-01-04 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分 2026Q4")
        await drain_all(h)
        cards = cards_by_rater(h)
        for rater, scores in GIVEN.items():
            for ratee, score in scores.items():
                await tap(h, rater, cards[rater][ratee], score)
            assert "已提交" in await h.say(rater, "评分 提交")
        # The big units' ballots go in the box directly (their rating is test_rating_round's):
        # seven raters each, so their figures are shown and the rankings have their sizes.
        async with h.runtime.sessions() as session, session.begin():
            rnd = (await session.execute(select(RatingRound))).scalars().one()
            session.add_all(
                RatingScore(id=uuid.uuid4().hex, round_id=rnd.id, ratee=userid, grp=group, score=80 + n)
                for n, userid in enumerate(u for u in CADRES if not u.startswith("tqw_"))
                for group in ["lead"] + ["peer"] * 3 + ["other"] * 3
            )
        clock.set(at("2027-01-18 10:00"))
        assert "已关闭" in await h.say(ADMIN, "关闭评分 2026Q4")
        published = await h.say(ADMIN, "发布结果 2026Q4")
        assert "已发布" in published and "团区委" in published and "增加参评" in published
        assert "城关镇" not in published  # seven raters each there: nothing withheld
        await drain_all(h)

        async with h.runtime.sessions() as session:
            rows = {r.userid: r for r in (await session.execute(select(QuarterResult))).scalars() if r.userid in (LV, SHI, ZHANG)}
        # Every computed figure of the unit, which nobody may be shown; the scores still rank.
        hidden = sorted({f for r in rows.values() for f in (r.score, r.raw) if f is not None})
        assert len(hidden) >= 3 and rows[LV].rank_in_unit is not None

        for userid in (LV, SHI, ZHANG):
            pushed = next(t for t in h.standin.texts_for(userid) if "实绩考核结果" in t)
            mine = await h.say(userid, "我的得分")
            for text in (pushed, mine):
                assert WITHHELD in text and "在全区" in text
                # Their own place in the unit stays, but not for 吕潇, who also sees the unit's
                # list: sharing a place with a shown colleague there would give his score away.
                assert ("在本单位 3 人中排第" in text) is (userid != LV)
                assert "评分人：不足 3 人" in text
                assert_nothing_small(text, hidden)

        unit = await h.say(LV, "我的得分 本单位")
        # In a fixed order (the names' own, in pinyin), not in rank order: 吕潇 must not learn his place.
        assert WITHHELD in unit and "、".join(sorted(["吕潇", "施燕", "张晨"], key=name_key)) in unit
        assert_nothing_small(unit, hidden)
        assert not re.search(r"^\d+\. ", unit, re.MULTILINE)  # no place beside a withheld entry

        for question in ("排名 团区委", "排名", "排名 正科级"):
            seen = await h.say(ADMIN, question)
            assert_nothing_small(seen, hidden)
            # 吕潇 ranks among 正科级 but is withheld: a numbered list would skip his place.
            assert not re.search(r"^\d+\. ", seen, re.MULTILINE), seen
        await drain_all(h)
        assert media_for(h.standin, LV) == []  # no bar chart of withheld scores

        # Exports: the workbook and a dossier say why instead of the figure and its places.
        assert "已开始" in await h.say(ADMIN, "导出档案 2026")  # the district's workbook is a job
        assert "已生成" in await h.say(ADMIN, "导出档案 2026 吕潇")
        await drain_all(h)
        assert any("工作簿已生成" in t for t in h.standin.texts_for(ADMIN))
        files = {upload.filename: upload.data for upload in media_for(h.standin, ADMIN)}
        book = workbook_rows(next(data for name, data in files.items() if name.endswith(".xlsx")))
        header, *lines = book["团区委"][1:]
        for line in lines:
            row = dict(zip(header, line, strict=True))
            assert row["第四季度得分"] == WITHHELD and not row["第四季度单位排名"] and not row["第四季度职级排名"]
            assert_nothing_small(" ".join(str(v) for v in line if v is not None), hidden)
        dossier = pdf_text(next(data for name, data in files.items() if name.endswith(".pdf")))
        assert WITHHELD in dossier and "排第" not in dossier.split("二、季度考核结果")[1].split("三、")[0]
        assert_nothing_small(dossier, hidden)
        assert h.standin.unexpected == []

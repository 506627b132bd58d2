"""排名 and 我的得分 through the encrypted callback, on a quarter the admin publishes in chat.

The round's handed-in scores are put in the ballot box directly (the rating itself is
tests/e2e/test_rating_round.py); every group of a cadre gives the same mark S, so the
published score is S minus the automatic deductions, computed here by hand.
"""

from __future__ import annotations

import io
import uuid
from datetime import date

from PIL import Image

from bot.testing.standin import media_for
from handlers.results.ranking import NOT_VISIBLE
from storage.models import DailyLog
from storage.models_rating import RatingRound, RatingScore
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.e2e.test_rating_round import ROSTER
from tests.harness import ADMIN, running_bot

MARKS = {
    "chengguan_zhaojh": 95, "chengguan_liumin": 93, "chengguan_sunwl": 90, "chengguan_zhouxy": 88,
    "chengguan_wuhao": 86, "chengguan_zhengli": 86, "chengguan_wangqiang": 84, "chengguan_fengjing": 82,
    "chengguan_chenlei": 80, "chengguan_chujie": 78, "chengguan_weiping": 76, "chengguan_jiangtao": 74,
    "fgj_shenyu": 94, "fgj_hanmei": 89, "fgj_yangfan": 87, "fgj_zhuqing": 85, "fgj_qinlang": 83,
    "fgj_youxin": 81, "fgj_xuming": 79, "fgj_helin": 77, "fgj_wangqiang": 75,
    "tqw_lvxiao": 92, "tqw_shiyan": 85, "tqw_zhangchen": 80,
}
MAIN_LEADERS = {"chengguan_zhaojh", "fgj_shenyu", "tqw_lvxiao"}  # nobody rates them as 主评
LOGGED = {"chengguan_wuhao", "chengguan_zhengli"}  # wrote their log on 12月21日, no other day
SETTINGS = {"logs": {"start_date": "2026-12-21"}}
# 12月21日–31日 has 9 working days: 0.2 each; no quarterly summary: 2.
DEDUCTION = {u: (8 if u in LOGGED else 9) * 0.2 + 2 for u in MARKS}
SCORE = {u: f"{MARKS[u] - DEDUCTION[u]:.2f}" for u in MARKS}


async def publish_q4(h, marks: dict[str, int] = MARKS, leaders: set[str] = MAIN_LEADERS) -> None:
    async with h.runtime.sessions() as session, session.begin():
        rnd = RatingRound(quarter="2026Q4", status="closed", opened_by=ADMIN, opened_at=at("2027-01-04 09:00"),
                          closes_at=at("2027-01-15 18:00"), closed_at=at("2027-01-15 18:00"))
        session.add(rnd)
        await session.flush()
        for userid, mark in marks.items():
            groups = ["peer"] * 3 + ["other"] * 3 + ([] if userid in leaders else ["lead"])
            session.add_all(RatingScore(id=uuid.uuid4().hex, round_id=rnd.id, ratee=userid, grp=g, score=mark)
                            for g in groups)
        for userid in LOGGED & set(marks):
            moment = at("2026-12-21 17:00")
            session.add(DailyLog(userid=userid, day=date(2026, 12, 21), content="上午召开专题会议研究年度重点工作推进",
                                 created_at=moment, updated_at=moment))
    assert "已发布" in await h.say(ADMIN, "发布结果 2026Q4")
    while await h.drain():
        pass


def images_for(h, userid: str) -> list[Image.Image]:
    found = []
    for upload in media_for(h.standin, userid):
        assert upload.type == "image" and upload.filename.endswith(".png")
        image = Image.open(io.BytesIO(upload.data))
        assert image.format == "PNG" and image.width > 400
        found.append(image)
    return found


async def test_rankings_are_scoped_ties_share_and_charts_arrive_as_images(db_url, clock):
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await publish_q4(h)

        # The admin: the seed's table, highest and lowest per rank level, with names.
        overview = await h.say(ADMIN, "排名")
        assert "2026年第4季度" in overview and "正科级 4 人" in overview
        assert f"最高 {SCORE['chengguan_zhaojh']} 分（赵建华，城关镇）" in overview
        assert f"最低 {SCORE['chengguan_jiangtao']} 分（蒋涛，城关镇）" in overview

        # A unit's main leader: the whole unit, ties sharing a place (1, 2, 3, 4, 5, 5, 7), a bar chart.
        unit = await h.say("chengguan_zhaojh", "排名")
        assert f"5. 吴昊 {SCORE['chengguan_wuhao']}" in unit and f"5. 郑丽 {SCORE['chengguan_zhengli']}" in unit
        assert f"7. 王强 {SCORE['chengguan_wangqiang']}" in unit
        assert "沈宇" not in unit  # another unit
        await h.drain()
        assert len(images_for(h, "chengguan_zhaojh")) == 1

        # A staff member: their own place, nobody else's score; the same for their unit by name.
        own = await h.say("chengguan_wuhao", "排名")
        assert f"您的得分 {SCORE['chengguan_wuhao']} 分，在本单位 12 人中排第 5 名" in own
        assert "在全区一般干部" in own
        assert not [name for name in ("赵建华", "郑丽", SCORE["chengguan_zhouxy"]) if name in own]
        assert "排第 5 名" in await h.say("chengguan_wuhao", "排名 城关镇")
        # Refused the same way whether the unit exists or not; no chart for any of it.
        assert await h.say("chengguan_wuhao", "排名 区发展和改革局") == NOT_VISIBLE
        assert await h.say("chengguan_wuhao", "排名 火星局") == NOT_VISIBLE
        await h.drain()
        assert images_for(h, "chengguan_wuhao") == []

        # A superior leader: a rank level restricted to the units overseen, district places kept.
        level = await h.say("qw_kongdeming", "排名 正科级")
        assert "全区 4 人有得分" in level and "吕潇" not in level  # 团区委 is not overseen
        assert f"1. 赵建华（城关镇） {SCORE['chengguan_zhaojh']}" in level
        assert f"3. 刘敏（城关镇） {SCORE['chengguan_liumin']}" in level
        assert await h.say("qw_kongdeming", "排名 团区委") == NOT_VISIBLE

        # The admin's rank level: highest and lowest, and the spread with quartiles as an image.
        general = await h.say(ADMIN, "排名 一般干部 2026Q4")
        assert "最高" in general and "四分位" in general
        await h.drain()
        assert len(images_for(h, ADMIN)) == 1

        # Periods not published say so.
        assert "尚未发布" in await h.say(ADMIN, "排名 2026Q3")
        assert "尚未发布" in await h.say(ADMIN, "排名 2026")
        assert h.standin.unexpected == []


async def test_my_score_explains_groups_weights_and_each_deduction(db_url, clock):
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await publish_q4(h)
        wu = await h.say("chengguan_wuhao", "我的得分")
        assert f"您的得分：{SCORE['chengguan_wuhao']} 分，在本单位 12 人中排第 5 名" in wu
        assert "主评 不足 3 人、互评 3 人、参评 3 人" in wu and "1 人" not in wu and "主评 40%、互评 30%、参评 30%" in wu
        assert "各组平均分：主评 86.00，互评 86.00，参评 86.00；加权得 86.00 分" not in wu  # 主评 has 1 rater
        assert "为保护匿名只公布总分" in wu
        assert "缺记日志 8 天 × 0.2 分 = 1.60 分（12月22日、12月23日" in wu and "12月21日" not in wu
        assert "未交季度小结 2.00 分" in wu
        assert f"= 86.00 − 3.60 = {SCORE['chengguan_wuhao']} 分" in wu

        # The main leader, whom no 主评 rates: the empty group's weight goes to the others.
        boss = await h.say("chengguan_zhaojh", "我的得分 2026Q4")
        assert "互评 50%、参评 50%（主评无人评分，其权重按比例分给其余各组）" in boss
        assert "各组平均分：互评 95.00，参评 95.00" in boss  # both groups have 3 raters
        # The message sent at publishing says the same.
        sent = next(t for t in h.standin.texts_for("chengguan_wuhao") if "实绩考核结果" in t)
        assert "缺记日志 8 天" in sent and "在全区一般干部" in sent


async def test_a_long_ranking_says_what_it_leaves_out_and_sends_it_whole_on_request(db_url, clock, tmp_path):
    roster = tmp_path / "big.csv"
    people = [("big_boss", "main_leader", "zhengke")] + [(f"big_{n:02d}", "staff", "general") for n in range(1, 30)]
    roster.write_text("userid,name,unit,unit_category,role,rank\n" + "".join(
        f"{u},干部{u[-2:]},大镇,township,{role},{rank}\n" for u, role, rank in people), encoding="utf-8")
    marks = {u: 95 - n for n, (u, _, _) in enumerate(people)}  # 95 … 66, no ties
    clock.set(at("2027-01-18 10:00"))
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **SETTINGS) as h:
        await publish_q4(h, marks, {"big_boss"})
        short = await h.say(ADMIN, "排名 大镇")
        assert "1. 干部ss" in short and "10. 干部09" in short and "11. 干部10" not in short
        assert "中间 15 人未列出，发送「排名 大镇 全部」分条查看完整名单" in short and "30. 干部29" in short
        # A staff member in the middle still finds their own place; everything, in parts, on request.
        assert "排第 18 名" in await h.say("big_17", "排名")
        whole = await h.say(ADMIN, "排名 大镇 全部")
        while await h.drain():
            pass
        shown = whole + "".join(h.standin.texts_for(ADMIN))
        assert all(f"{n}. 干部" in shown for n in range(1, 31))


ANNUAL = {u: f"{mark - 1.5:.2f}" for u, mark in MARKS.items()}  # published annual composites


async def publish_2026(h) -> None:
    """The year end's frozen output (its own tests check how it is made): version 1 of 2026."""
    from storage.models_year import AnnualPublication, AnnualResult

    rows = [(u, r) for u, r in ROSTER.items() if u in MARKS]
    async with h.runtime.sessions() as session, session.begin():
        session.add(AnnualPublication(year=2026, version=1, published_by=ADMIN, published_at=at("2027-01-20 10:00")))
        for userid, row in rows:
            unit = [u for u, r in rows if r["unit"] == row["unit"]]
            level = [u for u, r in rows if r["rank"] == row["rank"]]
            place = sorted(unit, key=lambda u: -float(ANNUAL[u])).index(userid) + 1
            session.add(AnnualResult(
                year=2026, version=1, userid=userid, name=row["name"], unit_id=h.runtime.directory.current.people[userid].unit.id,
                unit_name=row["unit"], role=row["role"], rank_level=row["rank"], democratic="90.00",
                democratic_raters=8, summary_deduction="0.00", unit_result="92.00", quarter_mean=SCORE[userid],
                quarters="4", weights="0.1/0.2/0.7", annual=ANNUAL[userid], unit_rank=place, unit_size=len(unit),
                level_rank=sorted(level, key=lambda u: -float(ANNUAL[u])).index(userid) + 1, level_size=len(level),
                excellent=place == 1, excellent_tied=False, promotion_eligible=place <= 2, promotion_reason="",
                commendation_eligible=place <= 2, last_place_years=int(place == len(unit)),
                action="提醒谈话" if place == len(unit) else "",
            ))


async def test_the_published_year_is_ranked_explained_and_archived(db_url, clock):
    clock.set(at("2027-01-21 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, (SAMPLE_2027,), **SETTINGS) as h:
        await publish_q4(h)
        await publish_2026(h)
        # The latest period is now the year; ties share a place there too (吴昊 and 郑丽).
        unit = await h.say("chengguan_zhaojh", "排名")
        assert "城关镇 2026年度排名（12 人有得分）" in unit and f"5. 吴昊 {ANNUAL['chengguan_wuhao']}" in unit
        assert f"5. 郑丽 {ANNUAL['chengguan_zhengli']}" in unit
        overview = await h.say(ADMIN, "排名 2026")
        assert "2026年度 全区排名概况" in overview and f"最高 {ANNUAL['chengguan_zhaojh']} 分" in overview
        assert "在全区一般干部" in await h.say("chengguan_wuhao", "排名 2026年")
        mine = await h.say("chengguan_wuhao", "我的得分 2026")
        assert f"年度得分：{ANNUAL['chengguan_wuhao']} 分" in mine and "民主测评 90.00 分 × 10%" in mine
        # The quarter is still there when named.
        assert "2026年第4季度" in await h.say("chengguan_wuhao", "排名 2026Q4")

        assert "已生成" in await h.say(ADMIN, "导出档案 2026 蒋涛")
        while await h.drain():
            pass
        from tests.e2e.test_archive import pdf_text

        (dossier,) = [m for m in media_for(h.standin, ADMIN) if m.type == "file"]
        text = pdf_text(dossier.data)
        assert f"年度得分：{ANNUAL['chengguan_jiangtao']} 分" in text and "季度考核平均" in text
        assert "本单位末位：提醒谈话" in text

"""An excellent tie at a unit's quota boundary, decided by the admin in chat and on the
command line: each decision is a new published version that says what changed and tells the
cadres concerned; a grant never exceeds the quota; decisions outlive a re-publish; and a
decision is refused while the year has other unpublished changes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.cli import year as year_cli
from bot.clock import ManualClock
from storage.models_ops import AuditEvent
from storage.models_year import AnnualResult, ExcellentDecision
from tests.conftest import SAMPLE_2027, at
from tests.e2e.test_year_end import shiji_year
from tests.e2e.test_year_roster import ROSTER, SCORE, evaluate_everyone, seed_quarters_and_summaries
from tests.harness import ADMIN, running_bot

# 孙一 and 周三 both at 92: .8 × 92 + .2 × 90 = 91.60, above 赵城's 90.00 — tied for 城关镇's one
# place (6 cadres × 15 % = 0.9, at least 1). 区发改局's place goes to 郑局 (84.20) untied.
SCORES = {**SCORE, "a_s1": 92, "a_s3": 92}
UNITS = [["a_lead", "a_dep", "a_s1", "a_s2", "a_s3", "a_s4"], ["b_lead", "b_dep", "b_s1", "b_s2", "b_s3"]]


async def rows(h, version: int) -> dict[str, AnnualResult]:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        found = await session.execute(select(AnnualResult).where(AnnualResult.version == version))
        return {r.userid: r for r in found.scalars()}


def texts_since(h, userid: str, start: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.payload["text"]["content"] for d in h.standin.sent[start:]
            if d.payload.get("text") and userid in d.recipients]


async def test_the_admin_decides_a_tie_within_the_quota(db_url, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock = ManualClock(at("2027-01-05 09:30"))
    sections = {"logs": {"start_date": "2027-01-01"}, "clock": {"start": "2027-01-05T09:30:00+08:00"}}
    async with running_bot(db_url, clock, roster, (SAMPLE_2027,), **sections) as h:
        await seed_quarters_and_summaries(h, SCORES, gone_in_q4="")
        assert "已开启" in await h.say(ADMIN, "开启测评 2026")
        await evaluate_everyone(h, UNITS, SCORES)
        units = tmp_path / "units.csv"
        units.write_text("unit,score\n城关镇,90\n区发改局,80\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0

        assert "第 1 版" in await h.say(ADMIN, "发布年度结果 2026 强制发布")
        while await h.drain():
            pass
        report = next(t for t in h.standin.texts_for(ADMIN) if "第 1 版）已发布" in t)
        assert "城关镇（6 人，名额 1）：无；同分超出名额、待研究决定：孙一、周三" in report
        assert "区发改局（5 人，名额 1）：郑局" in report and "评定优秀 2026 姓名" in report
        first = await rows(h, 1)
        assert first["a_s1"].annual == first["a_s3"].annual == "91.60"
        assert [u for u, r in first.items() if r.excellent_tied] == ["a_s1", "a_s3"]
        assert "同分处在本单位优秀名额的边界" in texts_since(h, "a_s1", 0)[-1]

        # Only the admin decides, and only about the tie.
        assert "仅限考核办" in await h.say("a_lead", "评定优秀 2026 孙一")
        assert "不在本单位优秀名额边界的同分人员中" in await h.say(ADMIN, "评定优秀2026吴四 城关镇")
        assert "没有「孙三」" in await h.say(ADMIN, "评定优秀 2026 孙三")

        # A grant, typed as people do (year after the name, 年 suffix): version 2, what changed.
        start = len(h.standin.sent)
        reply = await h.say(ADMIN, "评定优秀  孙一 2026年")
        assert "第 2 版" in reply, reply
        assert "考核办评定同分人员：孙一（城关镇）评为优秀" in reply
        assert "孙一（a_s1） 优秀：否 → 是" in reply and "周三（a_s3） 优秀同分待定：是 → 否" in reply
        assert "赵城" not in reply and "郑局" not in reply
        while await h.drain():
            pass
        (sun,) = texts_since(h, "a_s1", start)
        assert "考核办评定同分人员的优秀等次，第 2 版" in sun and "等次：优秀。" in sun
        (zhou,) = texts_since(h, "a_s3", start)
        assert "等次：称职。" in zhou
        assert texts_since(h, "a_lead", start) == []  # unchanged: no message
        second = await rows(h, 2)
        assert [u for u, r in second.items() if r.excellent] == ["a_s1", "b_lead"]
        assert not any(r.excellent_tied for r in second.values())
        assert (await rows(h, 1))["a_s1"].excellent is False  # version 1 kept as published

        # The quota holds: one place, taken.
        assert await year_cli.run(h.settings, shiji_year("grant-excellent", "2026", "a_s3")) == 2
        assert "名额已满" in capsys.readouterr().err
        # Refusing 孙一 leaves 周三 alone in the tie, within the place: excellent, version 3.
        assert await year_cli.run(h.settings, shiji_year("refuse-excellent", "2026", "a_s1")) == 0
        assert "第 3 版" in capsys.readouterr().out
        third = await rows(h, 3)
        assert [u for u, r in third.items() if r.excellent] == ["a_s3", "b_lead"]

        # Another change waiting to be published: a decision would carry it, so it is refused.
        units.write_text("unit,score\n城关镇,90\n区发改局,81\n", encoding="utf-8")
        assert await year_cli.run(h.settings, shiji_year("import-unit-results", "2026", str(units))) == 0
        refused = await h.say(ADMIN, "评定优秀 2026 孙一")
        assert "还有其他改动" in refused and "郑局（b_lead） 年度得分：84.20 → 84.50" in refused
        async with h.runtime.sessions() as session:
            decided = {d.userid: d.granted for d in (await session.execute(select(ExcellentDecision))).scalars()}
        assert decided == {"a_s1": False}
        async with h.runtime.sessions() as session:
            audit = [(e.actor, e.action, e.detail) for e in (await session.execute(select(AuditEvent))).scalars()
                     if e.action.startswith("year.excellent")]
        assert [a[1:] for a in audit] == [("year.excellent.grant", "2026 a_s1"), ("year.excellent.refuse", "2026 a_s1")]
        assert audit[0][0] == ADMIN and audit[1][0].startswith("cli")
        assert await rows(h, 4) == {}

        # The re-publish keeps the decision while the tie stands.
        assert "第 4 版" in await h.say(ADMIN, "发布年度结果 2026 重新发布")
        fourth = await rows(h, 4)
        assert [u for u, r in fourth.items() if r.excellent] == ["a_s3", "b_lead"]
        assert fourth["b_lead"].annual == "84.50"

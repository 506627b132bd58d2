"""Two replicas on one database share WeCom's per-member limits (30 a minute, doc 90454):
a round opening to a unit larger than the limit reaches every rater whole, nothing dropped
by WeCom and nothing sent twice, whichever replica sends what."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.runtime import Runtime
from scheduler.round_jobs import QUARTER_JOBS
from storage.models import Outbox
from tests.conftest import SAMPLE_2027, at
from tests.harness import driven, driven_sleep, running_bot

SURNAMES = "赵钱孙李周吴郑王冯陈"
GIVEN = "伟芳敏静丽强磊军洋勇"
UNIT_SIZE = 35  # each rater gets 34 cards and a submit card: more than WeCom's 30 a minute
STAFF = [f"big_{i:02d}" for i in range(UNIT_SIZE)]


def big_unit(tmp_path: Path) -> Path:
    lines = ["userid,name,unit,unit_category,role,rank,position,oversees"]
    for i, userid in enumerate(STAFF):
        name = SURNAMES[i % 10] + GIVEN[i // 10] + GIVEN[i % 10]
        role, rank, position = ("main_leader", "zhengke", "党委书记") if i == 0 else ("staff", "general", "科员")
        lines.append(f"{userid},{name},大坪镇,township,{role},{rank},{position},")
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_two_replicas_open_a_round_to_a_big_unit_and_wecom_drops_nothing(db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(at("2027-01-04 09:00"))  # 2026Q4's round is due
    settings = {"logs": {"start_date": "2026-12-21"}}
    async with running_bot(db_url, clock, big_unit(tmp_path), (SAMPLE_2027,), **settings) as h:
        other = Runtime.build(h.settings, clock, monotonic=driven(clock), sleep=driven_sleep(clock),
                              transport_time=driven(clock))
        other.background = False
        await other.start()
        try:
            await QUARTER_JOBS.open(h.runtime.jobs, clock.now())
            # Both senders drain as their loops would, every few seconds, for ten minutes.
            for _ in range(120):
                await asyncio.gather(h.drain(), other.sender.drain_once())
                clock.advance(seconds=5)
        finally:
            await other.close()
        async with h.runtime.sessions() as session:
            unsent = await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.status != "sent"))

    assert h.standin.dropped == Counter()  # WeCom dropped nothing
    cards = [(d.recipients, d.payload["template_card"]["task_id"]) for d in h.standin.sent
             if d.path == "message/send" and "template_card" in d.payload]
    assert len(cards) == len(set(cards))  # nothing sent twice
    per_rater = Counter(rater for (rater,), _ in cards)
    assert per_rater == {u: UNIT_SIZE for u in STAFF}  # 34 cards and the submit card each
    assert unsent == 0

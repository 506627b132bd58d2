"""The reminder budget in the database (issue 26, item 8): whatever passes of whatever kinds
run, in whatever order and however often, nobody is claimed more than `budget` times a day, no
(kind, day, person) twice, and a person under budget is never left out."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from scoring.clock import SHANGHAI
from storage.metadata import metadata
from storage.models_reminders import ReminderClaim
from storage.repos import Store

PEOPLE = ["u1", "u2", "u3", "u4"]
KINDS = ["daily", "last_day", "rate:1", "dem:1"]
MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)

passes = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(min_value=0, max_value=1), st.sets(st.sampled_from(PEOPLE), min_size=1)),
    min_size=1, max_size=12,
)


async def run(budget: int, plan: list[tuple[str, int, set[str]]]) -> list[tuple[str, str, date, date | None]]:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    expected_new: list[bool] = []
    for kind, day_offset, people in plan:
        now = MORNING + timedelta(days=day_offset, hours=len(expected_new))
        async with sessions() as session, session.begin():
            store = Store(session)
            before = {(r.kind, r.userid) for r in (await session.execute(
                select(ReminderClaim).where(ReminderClaim.sent_on == now.date()))).scalars()}  # type: ignore[arg-type]
            used = {u: sum(1 for _, who in before if who == u) for u in people}
            claimed = await store.reminders.claim(kind, now.date(), sorted(people), f"k:{kind}:{now}", now, budget=budget)
            for person in people:  # under budget and not reminded of this yet: claimed
                should = used[person] < budget and (kind, person) not in before
                assert (person in claimed) == should
    async with sessions() as session:
        rows = (await session.execute(select(ReminderClaim))).scalars().all()
    await engine.dispose()
    return [(r.kind, r.userid, r.day, r.sent_on) for r in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=3), passes)
def test_nobody_is_claimed_beyond_the_budget_or_twice(budget, plan):
    rows = asyncio.run(run(budget, plan))
    per_day: dict[tuple[str, date | None], int] = {}
    for _, userid, _, sent_on in rows:
        per_day[(userid, sent_on)] = per_day.get((userid, sent_on), 0) + 1
    assert all(count <= budget for count in per_day.values())
    assert len({(kind, userid, day) for kind, userid, day, _ in rows}) == len(rows)

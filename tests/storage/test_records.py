"""Above storage, rounds travel as frozen records with a typed status, and the database still
holds the same strings it always did (no schema change, no data migration)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from storage.db import create_engine, migrate, session_factory
from storage.records import QuarterRound, RoundStatus, YearRound
from storage.repos import Store
from tests.conftest import at


async def test_a_round_read_back_is_a_frozen_record_and_its_status_is_stored_as_before(db_url):
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            store = Store(session)
            made = await store.rating.create_round("2026Q4", "auto", at("2027-01-05 09:00"), at("2027-01-12 17:30"))
            evaluation = await store.year.evaluation.create(2026, "auto", at("2027-01-05 09:00"), at("2027-01-12 17:30"))
            assert isinstance(made, QuarterRound) and isinstance(evaluation, YearRound)
            assert made.status is RoundStatus.open and evaluation.status is RoundStatus.open
            with pytest.raises(dataclasses.FrozenInstanceError):
                made.status = RoundStatus.closed  # type: ignore[misc]  # what the test proves
            assert await store.rating.set_status(made.id, RoundStatus.open, RoundStatus.closed, at("2027-01-12 17:30"))
            assert await store.year.evaluation.close(evaluation.id, at("2027-01-12 17:30"))
            stored = (await session.execute(text("SELECT status FROM rating_round"))).scalar_one()
            stored_year = (await session.execute(text("SELECT status FROM year_eval"))).scalar_one()
            assert (stored, stored_year) == ("closed", "closed")
            [closed] = await store.rating.rounds(RoundStatus.closed)
            assert (closed.quarter, closed.status) == ("2026Q4", RoundStatus.closed)
            assert [r.year for r in await store.year.evaluation.rounds(RoundStatus.closed)] == [2026]
    finally:
        await engine.dispose()

"""A database whose quarters were published before results had versions keeps them readable:
the upgrade makes each published quarter version 1, published by whoever the audit trail says."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import create_engine, migrate, session_factory
from storage.repos import Store


async def test_quarters_published_before_versions_are_version_1_after_the_upgrade(db_url):
    engine = create_engine(db_url)
    try:
        await migrate(engine, "0016_awards")
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO unit (id, name, category) VALUES (1, '城关镇', 'township')",
                "INSERT INTO rating_round (id, quarter, status, opened_by, opened_at, closes_at, published_at) "
                "VALUES (1, '2026Q3', 'published', 'auto', '2026-10-08 01:00:00+00:00', "
                "'2026-10-20 10:00:00+00:00', '2026-10-21 02:00:00+00:00')",
                "INSERT INTO rating_round (id, quarter, status, opened_by, opened_at, closes_at) "
                "VALUES (2, '2026Q4', 'open', 'auto', '2027-01-08 01:00:00+00:00', '2027-01-20 10:00:00+00:00')",
                "INSERT INTO quarter_result (round_id, userid, unit_id, score, raw, deduction, missing_log_days, "
                "summary_missing, rank_in_unit, unit_ranked, group_means, rater_counts, level_ranked, missing_dates) "
                "VALUES (1, 'wu', 1, '84.60', '85.00', '0.40', 2, false, 1, 1, '{}', '{}', 0, '')",
                "INSERT INTO audit_event (at, actor, action, detail) "
                "VALUES ('2026-10-21 02:00:00+00:00', 'kaohe_admin', 'round.publish', '2026Q3: 1 scored, 0 unrated')",
            ):
                await connection.execute(text(statement))
        await migrate(engine)
        async with session_factory(engine)() as session:
            store = Store(session)
            [row] = await store.results.round_results(1)
            assert (row.userid, row.version, row.score) == ("wu", 1, "84.60")
            assert (await store.rating.result(1, "wu")) is not None
            [first] = await store.rating.publications(1)
            assert (first.version, first.published_by, first.changes) == (1, "kaohe_admin", "")
            assert await store.rating.publications(2) == []  # an open round has no version
    finally:
        await engine.dispose()

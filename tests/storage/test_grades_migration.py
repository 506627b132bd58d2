"""A database published before grades existed (revision 0021) stays readable and says so:
its quarters and years have no grade (「未评定（本功能上线前发布）」, an 优秀 stays 优秀), nothing
is graded after the fact; and the revision downgrades, keeping every published figure."""

from __future__ import annotations

from types import SimpleNamespace

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from handlers.services.year_publish import grade_name
from storage.db import alembic_config, create_engine, migrate, session_factory
from storage.repos import Store

BEFORE = "0019_log_trust"
ANNUAL = (
    "INSERT INTO annual_result (year, version, userid, name, unit_id, unit_name, role, rank_level, democratic, "
    "democratic_raters, summary_deduction, unit_result, quarter_mean, quarters, weights, annual, unit_rank, unit_size, "
    "level_rank, level_size, excellent, excellent_tied, promotion_eligible, promotion_reason, commendation_eligible, "
    "last_place_years, action) VALUES (2025, 1, '{userid}', '{name}', 1, '城关镇', 'staff', 'general', '90.00', 5, "
    "'0.00', '90.00', '88.00', '1,2,3,4', '0.1/0.2/0.7', '{annual}', {place}, 2, {place}, 2, {excellent}, false, true, "
    "'', true, 0, '')"
)


def downgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, BEFORE)


async def test_results_published_before_grades_read_as_not_graded_and_the_revision_downgrades(db_url):
    engine = create_engine(db_url)
    try:
        await migrate(engine, BEFORE)
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO unit (id, name, category) VALUES (1, '城关镇', 'township')",
                "INSERT INTO rating_round (id, quarter, status, opened_by, opened_at, closes_at, published_at) "
                "VALUES (1, '2025Q4', 'published', 'auto', '2026-01-08 01:00:00+00:00', "
                "'2026-01-20 10:00:00+00:00', '2026-01-21 02:00:00+00:00')",
                "INSERT INTO quarter_publication (round_id, version, published_by, published_at, changes) "
                "VALUES (1, 1, 'kaohe_admin', '2026-01-21 02:00:00+00:00', '')",
                "INSERT INTO quarter_result (round_id, version, userid, unit_id, score, raw, deduction, missing_log_days, "
                "summary_missing, rank_in_unit, unit_ranked, group_means, rater_counts, level_ranked, missing_dates) "
                "VALUES (1, 1, 'wu', 1, '95.60', '96.00', '0.40', 2, false, 1, 1, '{}', '{}', 0, '')",
                "INSERT INTO annual_publication (year, version, published_by, published_at, changes) "
                "VALUES (2025, 1, 'kaohe_admin', '2026-01-25 02:00:00+00:00', '')",
                ANNUAL.format(userid="wu", name="吴昊", annual="91.00", place=1, excellent="true"),
                ANNUAL.format(userid="li", name="李一", annual="85.00", place=2, excellent="false"),
            ):
                await connection.execute(text(statement))
        await migrate(engine)
        async with session_factory(engine)() as session:
            store = Store(session)
            [quarter] = await store.results.round_results(1)
            assert (quarter.score, quarter.grade) == ("95.60", None)  # a 95.60 is not graded 好 after the fact
            assert await store.year.quarter_grades(2025) == {}
            year = await store.year.published(2025)
            assert year is not None
            assert {r.userid: grade_name(r) for r in year.rows} == {"wu": "优秀", "li": "未评定（本功能上线前发布）"}
        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            columns = await connection.run_sync(
                lambda sync: {t: {c["name"] for c in inspect(sync).get_columns(t)} for t in ("quarter_result", "annual_result", "cadre")}
            )
            assert not {"grade", "category", "grade_reason"} & (columns["quarter_result"] | columns["annual_result"] | columns["cadre"])
            assert not await connection.run_sync(lambda sync: inspect(sync).has_table("grade_record"))
            kept = (await connection.execute(text("SELECT score FROM quarter_result"))).scalars().all()
            assert kept == ["95.60"]
            assert (await connection.execute(text("SELECT count(*) FROM annual_result"))).scalar_one() == 2
    finally:
        await engine.dispose()


def test_a_row_without_a_grade_never_reads_as_one() -> None:
    assert grade_name(SimpleNamespace(grade=None, excellent=False, category=None)) == "未评定（本功能上线前发布）"
    assert grade_name(SimpleNamespace(grade="competent", excellent=False, category="institution")) == "合格"

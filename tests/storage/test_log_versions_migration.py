"""A database whose logs were written before versions existed: each log gets one version (its
text then, on its own day), reads as before, and takes new versions from then on; the
downgrade drops the record's tables and leaves the logs."""

from __future__ import annotations

from datetime import date, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from scoring.clock import SHANGHAI
from storage.db import alembic_config, create_engine, migrate, session_factory
from storage.repos import Store


async def test_logs_written_before_versions_keep_reading_and_the_downgrade_keeps_them(db_url):
    engine = create_engine(db_url)
    try:
        await migrate(engine, "0017_quarter_versions")
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO unit (id, name, category) VALUES (1, '城关镇', 'township')",
                "INSERT INTO cadre (userid, name, unit_id, role, position, active, updated_at) "
                "VALUES ('wu', '吴昊', 1, 'staff', '', true, '2026-12-01 01:00:00+00:00')",
                "INSERT INTO dailylog (userid, day, content, part_lengths, created_at, updated_at) "
                "VALUES ('wu', '2026-12-04', '上午走访\n下午整理台账', '4,6', "
                "'2026-12-04 09:00:00+00:00', '2026-12-04 10:00:00+00:00')",
            ):
                await connection.execute(text(statement))
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            logs = Store(session).logs
            assert [(v.change, v.text) for v in await logs.versions("wu", date(2026, 12, 4))] == [
                ("add", "上午走访\n下午整理台账")
            ]
            assert (await logs.get("wu", date(2026, 12, 4))).shown == "上午走访\n下午整理台账"  # no mark
            late = datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
            await logs.write("wu", date(2026, 12, 4), "补充会议情况", late, append=True)
            # The newest part carries its mark; the parts older than the record none.
            assert (await logs.get("wu", date(2026, 12, 4))).shown == "上午走访\n下午整理台账\n补充会议情况（12月8日补记）"

        def downgrade(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0017_quarter_versions")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            assert (await connection.execute(text("SELECT count(*) FROM dailylog"))).scalar_one() == 1
        await migrate(engine)  # and up again
    finally:
        await engine.dispose()

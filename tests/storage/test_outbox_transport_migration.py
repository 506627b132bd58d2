"""Revision 0020: a row queued before it keeps its meaning; the revision goes back cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.clock import ManualClock
from storage.db import alembic_config, create_engine, migrate
from storage.types import AwareDateTime

BEFORE = "0018_log_versions"
OLD_OUTBOX = sa.table(
    "outbox", *(sa.column(name) for name in ("id", "dedupe_key", "userids", "kind", "payload", "status",
                                               "attempts", "error", "result")),
    sa.column("not_before", AwareDateTime()), sa.column("created_at", AwareDateTime()),
)
NEW_OUTBOX = sa.table("outbox", sa.column("dedupe_key"), sa.column("not_before", AwareDateTime()),
                      sa.column("retry_after", AwareDateTime()))


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_a_retry_queued_before_the_upgrade_keeps_its_wait_and_a_fresh_row_has_none(db_url: str, clock: ManualClock) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine, BEFORE)
        now = clock.now()
        retry_at = now.replace(minute=now.minute + 2)  # its back-off, written into not_before then
        async with engine.begin() as connection:
            for key, attempts, not_before in (("retried", 1, retry_at), ("fresh", 0, now)):
                await connection.execute(sa.insert(OLD_OUTBOX).values(
                    dedupe_key=key, userids="wuhao", kind="text", payload='{"content": "x"}', status="pending",
                    attempts=attempts, error="", result="", not_before=not_before, created_at=now,
                ))
        await migrate(engine)
        async with engine.connect() as connection:
            rows = {r.dedupe_key: (r.not_before, r.retry_after) for r in await connection.execute(sa.select(NEW_OUTBOX))}
        assert rows == {"retried": (retry_at, retry_at), "fresh": (now, None)}

        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, BEFORE)
        async with engine.connect() as connection:
            back = {r.dedupe_key: r.not_before for r in await connection.execute(sa.select(OLD_OUTBOX))}
        assert back == {"retried": retry_at, "fresh": now}
        await migrate(engine)  # and up again
    finally:
        await engine.dispose()

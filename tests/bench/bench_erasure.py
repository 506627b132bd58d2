"""Benchmark: how long the erasure after a close locks each PostgreSQL table.

    python -m tests.bench.bench_erasure [--cadres 1340 100000]

For a district (1,340 cadres) and a province (100,000): a closed round's ballot tables
(14 scores a cadre; every draft deleted, so dead) and 7 days of inbound_message (3
callbacks a cadre a day, a third of the replies blanked). Times storage/erasure.py's rewrite
of each table and, for comparison, VACUUM FULL of the same; a callback's dedupe INSERT issued
during the inbound_message rewrite shows how long the callback path is locked out. After a
close only tables up to `QUICK_REWRITE_BYTES` are rewritten; the rest wait for the night.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence

import asyncpg

from storage.db import create_engine, migrate
from storage.erasure import QUICK_REWRITE_BYTES, Eraser
from tests.conftest import PG_ADMIN_URL

REPLY = "✅ 已记录 2026年12月21日 的工作日志（38 字）。今天已记 1 条，可发送「撤回」撤回最后一条。"


async def _seed(c: asyncpg.Connection, cadres: int) -> None:
    ballots, inbound = cadres * 14, cadres * 7 * 3
    await c.execute("INSERT INTO rating_round (id, quarter, status, opened_by, opened_at, closes_at)"
                    " VALUES (1, '2026Q4', 'closed', 'auto', now(), now())")
    await c.execute(f"INSERT INTO rating_draft SELECT 1, 'u' || (g / 14), 'r' || g, 50 + g % 50"
                    f" FROM generate_series(1, {ballots}) g")
    await c.execute("DELETE FROM rating_draft")
    await c.execute(f"INSERT INTO rating_score SELECT md5(g::text), 1, 'r' || (g % {cadres}), 'peer', 50 + g % 50"
                    f" FROM generate_series(1, {ballots}) g")
    await c.execute(f"INSERT INTO rating_handin SELECT 1, 'u' || g FROM generate_series(1, {cadres}) g")
    await c.execute(f"INSERT INTO inbound_message SELECT 'msg:' || g, 'user_' || (g % {cadres}),"
                    f" now() - (g % 7) * interval '1 day', $1 || g FROM generate_series(1, {inbound}) g", REPLY)
    await c.execute("UPDATE inbound_message SET reply = NULL WHERE (substr(dedupe_key, 5)::int % 3) = 0")


async def one(cadres: int) -> None:
    name = f"shiji_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    c = other = None
    try:
        await migrate(engine)
        c = await asyncpg.connect(url)
        other = await asyncpg.connect(url)
        await _seed(c, cadres)
        print(f"{cadres} cadres ({cadres * 14} score rows, {cadres * 21} inbound rows):", flush=True)
        eraser = Eraser(engine)
        for table in ("rating_draft", "rating_handin", "rating_score", "inbound_message"):
            size = await c.fetchval("SELECT pg_total_relation_size($1::regclass)", table)

            async def callback_insert() -> float:
                await asyncio.sleep(0.05)
                started = time.perf_counter()
                await other.execute("INSERT INTO inbound_message VALUES ('new:' || $1, 'u', now(), 'x')", str(time.time()))
                return time.perf_counter() - started

            waiter = asyncio.create_task(callback_insert()) if table == "inbound_message" else None
            started = time.perf_counter()
            assert await eraser.erase((table,), largest=None)
            took = time.perf_counter() - started
            waited = f"; a callback INSERT issued 0.05 s in waited {await waiter:.2f} s" if waiter else ""
            started = time.perf_counter()
            await c.execute(f"VACUUM FULL {table}")
            when = "after the close" if size <= QUICK_REWRITE_BYTES else "at night"
            print(f"  {table} ({size / 2**20:.0f} MiB, rewritten {when}): {took:.2f} s{waited}"
                  f" (VACUUM FULL of the same: {time.perf_counter() - started:.2f} s)", flush=True)
    finally:
        for connection in (c, other):
            if connection is not None:
                await connection.close()
        await engine.dispose()
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, nargs="+", default=[1340, 100_000])
    args = parser.parse_args(argv)
    for cadres in args.cadres:
        asyncio.run(one(cadres))


if __name__ == "__main__":
    main()

"""Benchmark: publishing a province's year on SQLite.

    python -m tests.bench.bench_year [--cadres 100000] [--units 7000]

Seeds a migrated SQLite database with a synthetic province (every cadre of a unit evaluates
every other: ~1.3 million democratic lines; four published quarters; unit results; annual
summaries), then times `publish_year` as the admin's command runs it: read every score from
the database, compute, write the frozen results and queue every cadre's message, commit.
Prints seconds, peak memory (max RSS of the process) and the publish's cost as a multiple
of merely reading the same scores back, measured in the same run.
Goal on the 2-core CI machine: under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.calendar import build_calendar
from bot.settings import load_settings
from handlers.base import Ctx
from handlers.services.year_publish import publish_year
from storage.db import create_engine, migrate, session_factory
from storage.directory import Directory
from storage.repos import Store

YEAR = 2026
ROLES = ("main_leader", "leadership", "leadership", "staff")
RANKS = {"main_leader": "zhengke", "leadership": "fuke", "staff": "general"}


def seed(path: Path, cadres: int, units: int, seed_value: int = 2026) -> int:
    """The province, written with plain sqlite3 (setup, not measured). Returns the lines."""
    rng = random.Random(seed_value)
    now = datetime(2027, 1, 20, 9, 0, tzinfo=UTC).replace(tzinfo=None).isoformat(" ")
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO unit (id, name, category) VALUES (?, ?, 'township')",
                   [(u + 1, f"单位{u + 1:05d}") for u in range(units)])
    members: list[list[str]] = [[] for _ in range(units)]
    rows = []
    for i in range(cadres):
        unit = i % units
        role = ROLES[len(members[unit])] if len(members[unit]) < len(ROLES) else "staff"
        userid = f"c{i:06d}"
        members[unit].append(userid)
        rows.append((userid, f"干部{i}", unit + 1, role, RANKS[role], "", 1, now))
    db.executemany("INSERT INTO cadre (userid, name, unit_id, role, rank, position, active, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # Each cadre's roster line, in force since always: the year ranks the roster as it stood.
    db.executemany("INSERT INTO roster_change (userid, name, unit_id, role, rank, position, active, recorded_at, "
                   "effective, oversees, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '1900-01-01', '', 'bench')", rows)
    for q in range(1, 5):
        db.execute("INSERT INTO rating_round (id, quarter, status, opened_by, opened_at, closes_at) "
                   "VALUES (?, ?, 'published', 'bench', ?, ?)", (q, f"{YEAR}Q{q}", now, now))
        # Readers take a quarter's newest published version (storage/quarter_versions.py).
        db.execute("INSERT INTO quarter_publication (round_id, version, published_by, published_at, changes) "
                   "VALUES (?, 1, 'bench', ?, '')", (q, now))
        db.executemany(
            "INSERT INTO quarter_result (round_id, userid, unit_id, score, raw, deduction, missing_log_days, "
            "summary_missing, unit_ranked, group_means, rater_counts) VALUES (?, ?, ?, ?, ?, '0.00', 0, 0, 0, '{}', '{}')",
            ((q, r[0], r[2], f"{rng.randint(6000, 9900) / 100:.2f}", "0") for r in rows),
        )
    db.execute("INSERT INTO year_eval (id, year, status, opened_by, opened_at, closes_at) "
               "VALUES (1, ?, 'closed', 'bench', ?, ?)", (YEAR, now, now))
    lines = 0
    for unit_members in members:
        batch = [
            (f"{rng.getrandbits(128):032x}", 1, ratee, *(rng.randint(60, 100) for _ in range(5)))
            for ratee in unit_members for rater in unit_members if rater != ratee
        ]
        db.executemany("INSERT INTO year_eval_score (id, round_id, ratee, de, neng, qin, ji, lian) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
        lines += len(batch)
    db.executemany("INSERT INTO summary (userid, kind, period, content, created_at, updated_at) "
                   "VALUES (?, 'year', ?, '年度总结', ?, ?)",
                   ((r[0], str(YEAR), now, now) for r in rows if rng.random() < 0.95))
    db.executemany("INSERT INTO unit_result (year, unit_id, score, imported_at) VALUES (?, ?, ?, ?)",
                   ((YEAR, u + 1, f"{rng.randint(7000, 9800) / 100:.2f}", now) for u in range(units)))
    db.commit()
    db.close()
    return lines


async def measure(url: str) -> tuple[float, float, str]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    rules = load_settings(None, admin={"userids": ["kaohe_admin"]}).rules
    try:
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            await session.execute(text("SELECT sum(de + neng + qin + ji + lian), count(*) FROM year_eval_score GROUP BY ratee"))
            await session.execute(text("SELECT userid, score FROM quarter_result"))
        floor = time.perf_counter() - started

        started = time.perf_counter()
        async with sessions() as session, session.begin():
            store = Store(session)
            directory = Directory(await store.roster.units(), await store.roster.cadres(), await store.roster.oversight())
            env = Ctx.office("bench", store, rules, directory, build_calendar([]), datetime(2027, 1, 20, 10, tzinfo=UTC))
            answer = await publish_year(env, YEAR, "bench", force=True)  # no calendar loaded: the window never closes
        return time.perf_counter() - started, floor, answer
    finally:
        await engine.dispose()


def _peak_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=7_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "province.db"
        url = f"sqlite+aiosqlite:///{path}"

        async def prepare() -> None:
            engine = create_engine(url)
            await migrate(engine)
            await engine.dispose()

        asyncio.run(prepare())
        started = time.perf_counter()
        lines = seed(path, args.cadres, args.units)
        seeded = time.perf_counter() - started
        before = _peak_mib()
        seconds, floor, answer = asyncio.run(measure(url))
    peak = _peak_mib()
    print(f"year publish: {args.cadres:,} cadres, {args.units:,} units, {lines:,} democratic lines "
          f"(seeded in {seeded:.1f} s)")
    print(f"publish (read scores, compute, write results, queue {args.cadres:,} messages, commit): "
          f"{seconds:.2f} s (goal < 30 s)")
    print(f"peak memory (max RSS, data included): {peak:,.0f} MiB (after seeding, before publishing: {before:,.0f} MiB)")
    print(f"ratio: publish / reading the same scores back = {seconds / floor:.1f}x")
    print(answer.splitlines()[0])
    return {"publish_s": seconds, "floor_s": floor, "peak_mib": peak}


if __name__ == "__main__":
    main()

"""Province-scale jobs on one database: 100,000 cadres in 7,000 units.

    python -m tests.bench.bench_province [--cadres 100000] [--units 7000] [--db-url URL | --postgres]

Sets up the roster and the quarter's daily logs (every working day so far, 95 % logged),
then runs each job in a process of its own, so each reports its own peak memory:
opening a rating round (~1.5 M cards queued in the outbox), 缺记统计 for the whole province (its workbook)
and the 17:30 reminder fan-out to everyone who has not logged today.
Goals: each under 60 s. Without --db-url, a SQLite file on disk (synchronous=FULL);
--postgres: a database of its own on the tests' PostgreSQL (SHIJI_TEST_PG_URL), dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Date, func, insert, literal, select

from bot.calendar import build_calendar
from bot.clock import SHANGHAI
from bot.settings import Settings
from handlers.base import Ctx
from handlers.services.rating import open_round
from handlers.stats import missing_report
from scheduler import reminder_plan as reminders
from scoring.rule_settings import RuleSettings
from scoring.workdays import QuarterId
from storage.db import create_engine, migrate, session_factory
from storage.directory import Directory
from storage.models import Cadre, DailyLog, Outbox, RosterChange, Unit
from storage.repos import Store
from storage.types import AwareDateTime

NOW = datetime(2026, 12, 15, 17, 30, tzinfo=SHANGHAI)  # a Tuesday late in 2026Q4
ROUND = QuarterId(2026, 3)
JOINED = date(2026, 1, 1)
ADMIN = "kaohe_admin"
CHUNK = 20_000
PG_ADMIN_URL = os.environ.get("SHIJI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rules() -> RuleSettings:
    return Settings.model_validate({"admin": {"userids": [ADMIN]}}).rules


async def setup(url: str, cadres: int, units: int) -> str:
    engine = create_engine(url)
    await migrate(engine)
    sessions = session_factory(engine)
    base, extra = divmod(cadres, units)
    async with sessions() as session, session.begin():
        await session.execute(insert(Unit), [
            {"id": u + 1, "name": f"单位{u:05d}", "category": "district_unit"} for u in range(units)
        ])
        people = []
        for u in range(units):
            for m in range(base + (1 if u < extra else 0)):
                role, rank = ("main_leader", "zhengke") if m == 0 else (
                    ("leadership", "fuke") if m <= 3 else ("staff", "general"))
                people.append({"userid": f"p{u:05d}{m:03d}", "name": f"干部{u:05d}{m:03d}",
                               "unit_id": u + 1, "role": role, "rank": rank, "position": "",
                               "active": True, "updated_at": NOW})
        for start in range(0, len(people), CHUNK):
            await session.execute(insert(Cadre), people[start : start + CHUNK])
            # Everyone on the roster since before the year, as an import would record it.
            await session.execute(insert(RosterChange), [
                {"userid": p["userid"], "effective": JOINED, "name": p["name"], "unit_id": p["unit_id"],
                 "role": p["role"], "rank": p["rank"], "position": "", "active": True, "oversees": "",
                 "source": "bench", "recorded_at": NOW}
                for p in people[start : start + CHUNK]
            ])
        calendar = build_calendar(await Store(session).calendar.loaded())
    # A quarter of logs so far, one INSERT … SELECT per day; each day 1 unit in 20 has none.
    quarter = QuarterId.of(NOW.date())
    days = list(calendar.working_days(quarter.first_day, NOW.date() - timedelta(days=1)))
    async with sessions() as session, session.begin():
        for index, day in enumerate(days):
            await session.execute(insert(DailyLog).from_select(
                ["userid", "day", "content", "created_at", "updated_at"],
                select(Cadre.userid, literal(day, Date), literal("上午走访群众，下午整理台账材料。"),
                       literal(NOW, AwareDateTime), literal(NOW, AwareDateTime))
                .where(Cadre.unit_id % 20 != index % 20),
            ))
        written = (await session.execute(select(func.count()).select_from(DailyLog))).scalar_one()
    await engine.dispose()
    return f"{len(people):,} cadres in {units:,} units, {written:,} logs over {len(days)} working days"


async def _with_env(url: str, job: Callable[[Store, RuleSettings, Directory, object], Awaitable[str]]) -> str:
    """One job in one transaction, the way the running bot's committer runs it."""
    settings = rules()
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            store = Store(session)
            directory = Directory(await store.roster.units(), await store.roster.cadres(),
                                  await store.roster.oversight())
            calendar = build_calendar(await store.calendar.loaded())
            return await job(store, settings, directory, calendar)
    finally:
        await engine.dispose()


async def open_rating_round(url: str) -> str:
    async def job(store: Store, settings: RuleSettings, directory: Directory, calendar: object) -> str:
        env = Ctx.office("bench", store, settings, directory, calendar, NOW)  # type: ignore[arg-type]
        await open_round(env, ROUND)
        cards = (await store.session.execute(
            select(func.count()).select_from(Outbox).where(Outbox.kind == "template_card")
        )).scalar_one()
        return f"{cards:,} cards queued"

    return await _with_env(url, job)


async def missing_statistics(url: str) -> str:
    async def job(store: Store, settings: RuleSettings, directory: Directory, calendar: object) -> str:
        ctx = Ctx(userid=ADMIN, person=None, is_admin=True, now=NOW, settings=settings,
                  calendar=calendar, directory=directory, store=store, actor=ADMIN)  # type: ignore[arg-type]
        # What the 缺记统计 job does for a province (issue 25): the report, as a workbook.
        report = await missing_report(ctx, QuarterId.of(NOW.date()))
        _, data = await report.workbook()
        return f"workbook of {len(data) // 1024:,} KiB (as text it would be {len(report.text()):,} characters)"

    return await _with_env(url, job)


async def reminder_fan_out(url: str) -> str:
    async def job(store: Store, settings: RuleSettings, directory: Directory, calendar: object) -> str:
        logs = settings.logs
        plan = await reminders.plan("daily", store, calendar, directory, NOW.date(),  # type: ignore[arg-type]
                                    window=logs.backfill_working_days, logs_start=logs.start_date,
                                    target_chars=logs.target_chars)
        assert plan is not None
        done = await reminders.queue(store, plan, NOW, settings.reminders.batch_size, settings.reminders.daily_budget)
        return f"{done.queued:,} recipients in {done.batches:,} sends"

    return await _with_env(url, job)


STEPS: dict[str, tuple[str, Callable[[str], Awaitable[str]]]] = {
    "open": ("open a rating round (cards into the outbox)", open_rating_round),
    "stats": ("缺记统计 for the whole province (the job's workbook)", missing_statistics),
    "remind": ("17:30 reminder fan-out", reminder_fan_out),
}


def run_step(step: str, url: str) -> None:
    """In a child process: run one job, print seconds, peak memory and what it did as JSON."""
    start = time.perf_counter()
    what = asyncio.run(STEPS[step][1](url))
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mib": peak_rss_mib(), "what": what}))


def child(step: str, url: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "tests.bench.bench_province", "--step", step, "--db-url", url],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_up() -> bool:
    try:
        asyncio.run(asyncio.wait_for(_admin("SELECT 1"), timeout=3))
    except Exception as exc:  # whatever keeps it from answering: no PostgreSQL figures
        print(f"province bench on PostgreSQL skipped: {PG_ADMIN_URL} does not answer ({exc!r})")
        return False
    return True


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    name = f"shiji_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{PG_ADMIN_URL.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=7_000)
    parser.add_argument("--db-url")
    parser.add_argument("--postgres", action="store_true", help="on a PostgreSQL database of its own")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        run_step(args.step, args.db_url)
        return {}
    with contextlib.ExitStack() as stack:
        if args.db_url:
            url = args.db_url
        elif args.postgres:
            url = stack.enter_context(postgres_database())
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=".bench-", dir=Path.cwd()))
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'province.db'}"
        start = time.perf_counter()
        described = asyncio.run(setup(url, args.cadres, args.units))
        print(f"province bench: {described} (set up in {time.perf_counter() - start:.0f} s), "
              f"{url.split(':', 1)[0]}")
        print(f"| {'job':<46} | seconds | peak MiB | what it did")
        print(f"|{'-' * 48}|--------:|---------:|{'-' * 30}")
        figures = {}
        for step, (title, _) in STEPS.items():
            figures[step] = result = child(step, url)
            print(f"| {title:<46} | {result['seconds']:7.1f} | {result['peak_mib']:8,.0f} | {result['what']}")
    print("goal: each under 60 s")
    return figures


if __name__ == "__main__":
    main()

"""Benchmark of 实绩档案 and charts.

    python -m tests.bench.bench_archive [--district 1340] [--province 100000]

- district: a synthetic 1,340-cadre, 89-unit district on SQLite with a whole 2026 (every
  working day's log, five summaries, four published quarters), exported as `shiji archive
  export` does: the workbook and 1,340 PDFs. Goal: under 60 s on the 2-core machine.
- province: the workbook alone of 100,000 cadres in 6,700 units (four published quarters),
  its time and the process's peak memory (max RSS, the roster and results read included).
- chart: one unit's bar chart (60 names) and one rank level's spread (731 scores), median of
  several renders, with an empty figure's PNG measured in the same run as the yardstick.

Each scenario runs in a fresh process, so one's memory does not count against another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from bot.calendar import build_calendar
from bot.clock import SHANGHAI
from bot.settings import load_settings
from handlers.base import Ctx
from handlers.render.workbook import write_workbook
from handlers.services.archive_export import export_year, record_of
from storage.db import create_engine, migrate, session_factory
from storage.directory import Directory
from storage.models import Cadre, DailyLog, Summary, Unit
from storage.models_rating import QuarterPublication, QuarterResult, RatingRound
from storage.repos import Store

NOW = datetime(2027, 1, 18, 10, 0, tzinfo=SHANGHAI)
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰"
LOG = "上午召开专题会议研究年度重点工作推进，下午深入一线调研并形成情况报告，整理台账"


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the PDF workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def build(url: str, cadres: int, units: int, with_logs: bool) -> None:
    """Roster, four published quarters of 2026 and (optionally) the year's logs and summaries."""
    rng = random.Random(12)
    engine = create_engine(url)
    await migrate(engine)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(Unit.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": u + 1, "name": f"{'乡镇' if u < units // 6 else '区直'}单位{u + 1:04d}",
             "category": "township" if u < units // 6 else "district_unit"} for u in range(units)
        ])
        people = []
        for n in range(cadres):
            unit = n % units + 1
            index = n // units
            role = "main_leader" if index == 0 else "leadership" if index < 4 else "staff"
            level = rng.choices(["zhengke", "fuke", "general"], [222, 387, 731])[0]
            people.append({
                "userid": f"c{n:06d}", "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                "unit_id": unit, "role": role, "rank": level, "position": "科员", "active": True, "updated_at": NOW,
            })
        await session.execute(Cadre.__table__.insert(), people)  # type: ignore[attr-defined]
        for q in (1, 2, 3, 4):
            rnd = RatingRound(quarter=f"2026Q{q}", status="published", opened_by="bench", opened_at=NOW,
                              closes_at=NOW, closed_at=NOW, published_at=NOW)
            session.add(rnd)
            await session.flush()
            rows = []
            for p in people:
                score = Decimal(rng.randint(7000, 9800)) / 100
                rows.append({
                    "round_id": rnd.id, "userid": p["userid"], "unit_id": p["unit_id"], "score": str(score),
                    "raw": str(score + 1), "deduction": "1.00", "missing_log_days": 5, "summary_missing": False,
                    "rank_in_unit": rng.randint(1, 15), "unit_ranked": 15, "group_means": "{}",
                    "rater_counts": '{"lead": 1, "peer": 3, "other": 11}', "rank_level": p["rank"],
                    "rank_in_level": rng.randint(1, 700), "level_ranked": 731,
                    "missing_dates": "2026-03-02,2026-03-03,2026-03-04,2026-03-05,2026-03-06",
                })
            await session.execute(QuarterResult.__table__.insert(), rows)  # type: ignore[attr-defined]
            session.add(QuarterPublication(round_id=rnd.id, version=1, published_by="bench", published_at=NOW))
        if with_logs:
            days = list(build_calendar([]).working_days(date(2026, 1, 1), date(2026, 12, 31)))
            for p in people:
                await session.execute(DailyLog.__table__.insert(), [  # type: ignore[attr-defined]
                    {"userid": p["userid"], "day": d, "content": LOG, "created_at": NOW, "updated_at": NOW}
                    for d in days
                ])
                await session.execute(Summary.__table__.insert(), [  # type: ignore[attr-defined]
                    {"userid": p["userid"], "kind": "year" if period == "2026" else "quarter", "period": period,
                     "content": "本季度围绕中心工作扎实推进各项任务。" * 12, "created_at": NOW, "updated_at": NOW}
                    for period in ("2026Q1", "2026Q2", "2026Q3", "2026Q4", "2026")
                ])
    await engine.dispose()


async def open_env(url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    session = session_factory(engine)()
    store = Store(session)
    directory = Directory(await store.roster.units(), await store.roster.cadres(), await store.roster.oversight())
    rules = load_settings(None).rules
    return engine, session, Ctx.office("bench", store, rules, directory, build_calendar([]), NOW)


async def district(cadres: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/district.db"
        started = time.perf_counter()
        await build(url, cadres, 89, with_logs=True)
        built = time.perf_counter() - started
        engine, session, env = await open_env(url)
        started, cpu = time.perf_counter(), _cpu()
        done = await export_year(env, await record_of(env, 2026), Path(folder) / "out",
                                 workbook_progress=lambda _: None, pdf_progress=lambda _: None)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        size = sum(p.stat().st_size for p in (Path(folder) / "out").iterdir())
        await session.close()
        await engine.dispose()
    assert done.documents == cadres
    return {"cadres": cadres, "seconds": seconds, "cpu_seconds": cpu, "build_seconds": built,
            "mb_written": size / 2**20, "peak_mb": peak_mb()}


async def province(cadres: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/province.db"
        await build(url, cadres, cadres // 15, with_logs=False)
        before = peak_mb()
        engine, session, env = await open_env(url)
        started = time.perf_counter()
        record = await record_of(env, 2026)
        read = time.perf_counter() - started
        write_workbook(record, Path(folder) / "province.xlsx", "bench")
        seconds = time.perf_counter() - started
        size = (Path(folder) / "province.xlsx").stat().st_size
        await session.close()
        await engine.dispose()
    return {"cadres": cadres, "seconds": seconds, "read_seconds": read, "mb_written": size / 2**20,
            "peak_mb": peak_mb(), "peak_mb_before_export": before}


def chart() -> dict[str, float]:
    from matplotlib.figure import Figure

    from handlers.render.charts import _png, bar_chart, spread_chart

    rng = random.Random(3)
    bars = [(f"{n}. {rng.choice(SURNAMES)}{rng.choice(GIVEN)}", Decimal(rng.randint(7000, 9800)) / 100) for n in range(60)]
    scores = [Decimal(rng.randint(7000, 9800)) / 100 for _ in range(731)]
    bar_chart("预热", bars[:3])  # font registration and first-use caches are not the chart's cost

    def median(draw) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(7):
            started = time.perf_counter()
            draw()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    empty = median(lambda: _png(Figure(figsize=(7, 4), dpi=120)))
    unit = median(lambda: bar_chart("城关镇 2026年第4季度排名（60 人）", bars, bars[7][0]))
    level = median(lambda: spread_chart("全区一般干部 2026年第4季度排名得分分布（731 人）", scores, scores[5]))
    return {"unit_bar_seconds": unit, "level_spread_seconds": level, "empty_png_seconds": empty}


def run(scenario: str, size: int) -> dict[str, float]:
    if scenario == "district":
        return asyncio.run(district(size))
    if scenario == "province":
        return asyncio.run(province(size))
    return chart()


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--district", type=int, default=1340)
    parser.add_argument("--province", type=int, default=100_000)
    parser.add_argument("--only", choices=["district", "province", "chart"])
    args = parser.parse_args(argv)
    if args.only:
        size = args.district if args.only == "district" else args.province
        print(json.dumps(run(args.only, size)))
        return {}
    results = {}
    for scenario in ("chart", "district", "province"):
        done = subprocess.run(
            [sys.executable, "-m", "tests.bench.bench_archive", "--only", scenario,
             "--district", str(args.district), "--province", str(args.province)],
            check=True, capture_output=True, text=True,
        )
        results[scenario] = json.loads(done.stdout.strip().splitlines()[-1])
    c, d, p = results["chart"], results["district"], results["province"]
    print("实绩档案 and charts (each scenario in its own process)")
    print(f"  district archive: {d['cadres']:,.0f} cadres → workbook + {d['cadres']:,.0f} PDFs in "
          f"{d['seconds']:.1f} s ({1000 * d['seconds'] / d['cadres']:.1f} ms a cadre; {d['cpu_seconds']:.1f} CPU-s "
          f"over all processes, {os.cpu_count()} cores; {d['mb_written']:.1f} MB), peak {d['peak_mb']:.0f} MB; "
          f"goal < 60 s: {'ok' if d['seconds'] < 60 else 'MISSED'}; load average at the end {os.getloadavg()[0]:.1f}")
    print(f"  province workbook: {p['cadres']:,.0f} cadres in {p['seconds']:.1f} s "
          f"(reading {p['read_seconds']:.1f} s, {p['mb_written']:.1f} MB), peak {p['peak_mb']:.0f} MB "
          f"(after building the data: {p['peak_mb_before_export']:.0f} MB)")
    print(f"  one chart: unit bars (60 names) {1000 * c['unit_bar_seconds']:.0f} ms, level spread (731 scores) "
          f"{1000 * c['level_spread_seconds']:.0f} ms = {c['unit_bar_seconds'] / c['empty_png_seconds']:.1f}× and "
          f"{c['level_spread_seconds'] / c['empty_png_seconds']:.1f}× an empty figure's PNG")
    return results


if __name__ == "__main__":
    main()

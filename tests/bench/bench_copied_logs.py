"""Benchmark of the copied-log check (issue 26, item 5) on a synthetic province's quarter.

    python -m tests.bench.bench_copied_logs [--cadres 100000] [--days 60] [--unit-size 20] [--batch 2000]

Generates each cadre's logs for `days` working days (varied work from a pool of ~30 activities
with places and numbers, recurring duties, and about 8 % copies: own repeats, padded repeats,
colleagues' copies, 套话), then runs `scoring.copied_logs.flag_logs` over the whole quarter the
way a job would, `--batch` cadres (whole units) at a time so memory stays bounded. Prints the
seconds, the logs per second, peak memory (max RSS of the process) and, as a ratio measured in
the same run, the check's cost against merely folding and counting each log's characters.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date, timedelta

from scoring.copied_logs import DayLog, content_chars, flag_logs
from scoring.rule_settings import TrustSettings
from tests.fixtures.make_copied_logs import ACTS, DUTIES, PLACES, TEMPLATE

START = date(2026, 10, 9)


def _act(rng: random.Random) -> str:
    return rng.choice(ACTS).format(p=rng.choice(PLACES), n=rng.randint(2, 30))


def unit_logs(rng: random.Random, first: int, size: int, unit: int, days: list[date]) -> tuple[list[DayLog], int]:
    """One unit's quarter of logs and how many of them were made as copies."""
    logs: list[DayLog] = []
    copies = 0
    written: dict[tuple[int, date], str] = {}
    for n, day in enumerate(days):
        for person in range(first, first + size):
            r = rng.random()
            if r < 0.70:
                text = f"上午{_act(rng)}；下午{_act(rng)}。"
            elif r < 0.92:
                text = DUTIES[rng.randrange(len(DUTIES))]()
            elif r < 0.96 and n:
                text = written.get((person, days[n - 1]), _act(rng)) + "，效果良好"
                copies += 1
            elif r < 0.98:
                text = "，".join(rng.sample(TEMPLATE, 4))
                copies += 1
            else:
                text = "今天" + written.get((first, day), _act(rng))
                copies += 1
            written[(person, day)] = text
            logs.append(DayLog(f"u{person}", unit, day, text, float(n * 100_000 + person)))
    return logs, copies


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--unit-size", type=int, default=20)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args(argv)

    days, day = [], START
    while len(days) < args.days:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    rules = TrustSettings().rules
    rng = random.Random(26)
    total = made = flagged = 0
    check_s = base_s = 0.0
    units_per_batch = max(1, args.batch // args.unit_size)
    unit = 0
    for first in range(0, args.cadres, args.unit_size * units_per_batch):
        batch: list[DayLog] = []
        for start in range(first, min(args.cadres, first + args.unit_size * units_per_batch), args.unit_size):
            logs, copies = unit_logs(rng, start, min(args.unit_size, args.cadres - start), unit, days)
            batch += logs
            made += copies
            unit += 1
        began = time.perf_counter()
        flagged += len(flag_logs(batch, rules, days[0], days[-1]))
        check_s += time.perf_counter() - began
        began = time.perf_counter()
        sum(len(content_chars(log.content)) for log in batch)  # the floor: read each log once
        base_s += time.perf_counter() - began
        total += len(batch)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"copied-log check: {args.cadres:,} cadres × {args.days} working days = {total:,} logs "
          f"({made:,} made as copies), {flagged:,} flagged")
    print(f"  check {check_s:.1f} s ({total / check_s:,.0f} logs/s), peak memory {peak_mb:,.0f} MB")
    print(f"  ratio: check / read-and-count = {check_s / base_s:.1f}")
    return {"check_s": check_s, "logs": total, "flagged": flagged, "peak_mb": peak_mb}


if __name__ == "__main__":
    main(sys.argv[1:])

"""Benchmark of the scoring package on a synthetic province.

    python -m tests.bench.bench_scoring [--cadres 100000] [--units 7000] [--ratings 30]

Builds 100,000 cadres in 7,000 units with 30 quarterly ratings each (3 million ratings) and
30 democratic ballots of 5 dimensions each, in the compact forms scoring takes for a province
(a group's ratings as one `bytes`, a cadre's ballots as one `bytes` of marks for
`democratic_from_marks`, published figures as the shared Decimals `scoring.rounding` hands
out), then times a full quarter (scores + unit and
level rankings) and a full year (democratic evaluation, annual composite, rankings,
extremes, excellent grades, promotion and commendation lists, last-place flags). Prints
seconds, peak memory (max RSS of the process, data included) and the quarter's cost as a
multiple of a plain `sum` over the same 3 million ints measured in the same run.
Goal on the 2-core CI machine: under 2 s and under 300 MiB.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from scoring import (
    AnnualInput,
    QuarterInput,
    QuarterResult,
    Rank,
    Ranking,
    RaterGroup,
    Role,
    ScoredCadre,
    ScoringConfig,
    UnitCategory,
    annual_scores,
    commendations,
    democratic_from_marks,
    eligible_for_promotion,
    excellent_by_unit,
    last_place_flags,
    level_extremes,
    rank_within_levels,
    rank_within_units,
    score_quarters,
)
from scoring.rounding import from_hundredths

T = TypeVar("T")
YEAR = 2026
_LEADERSHIP_PER_UNIT = 3
_ROLE_RANK = {Role.main_leader: Rank.zhengke, Role.leadership: Rank.fuke, Role.staff: Rank.general}


@dataclass
class Province:
    quarter_inputs: list[QuarterInput]
    democratic_marks: list[bytes]  # per cadre, every ballot's 5 marks in a row; quarter_inputs' order
    missing_annual_summary: list[bool]
    other_quarters: list[tuple[Decimal, Decimal, Decimal]]  # synthetic published Q2..Q4
    unit_results: dict[str, Decimal]
    earlier_unit_rankings: dict[int, dict[str, Ranking]]  # two earlier years, for streaks
    excellent_history: dict[str, list[int]]

    @property
    def rating_count(self) -> int:
        return sum(len(s) for i in self.quarter_inputs for s in i.scores_by_group.values())


def build_province(cadres: int, units: int, ratings: int, seed: int = 20260101) -> Province:
    """A reproducible synthetic province; ints are small, so CPython shares their objects."""
    rng = random.Random(seed)
    score_range = range(50, 101)
    ballot_pool = [bytes(rng.choices(score_range, k=5)) for _ in range(4096)]
    categories = tuple(UnitCategory)
    base, extra = divmod(cadres, units)

    quarter_inputs: list[QuarterInput] = []
    ballots: list[bytes] = []
    for unit_index in range(units):
        unit = f"u{unit_index:05d}"
        size = base + (1 if unit_index < extra else 0)
        category = categories[unit_index % len(categories)]
        for member in range(size):
            if member == 0:
                role = Role.main_leader
            elif member <= _LEADERSHIP_PER_UNIT:
                role = Role.leadership
            else:
                role = Role.staff
            # The main leader has no 主评 (weights are redistributed); others get one.
            lead = 0 if role is Role.main_leader else 1
            peer = 3
            other = ratings - lead - peer
            quarter_inputs.append(QuarterInput(
                userid=f"{unit}-{member:03d}",
                unit=unit,
                unit_category=category,
                role=role,
                rank=_ROLE_RANK[role],
                scores_by_group={
                    RaterGroup.lead: bytes(rng.choices(score_range, k=lead)),
                    RaterGroup.peer: bytes(rng.choices(score_range, k=peer)),
                    RaterGroup.other: bytes(rng.choices(score_range, k=other)),
                },
                missing_log_days=rng.choice((0, 0, 0, 0, 1, 3, 60)),
                missing_quarter_summary=rng.random() < 0.05,
            ))
            ballots.append(b"".join(rng.choices(ballot_pool, k=ratings)))

    def published() -> Decimal:
        return from_hundredths(rng.randint(6000, 9900))

    other_quarters = [(published(), published(), published()) for _ in quarter_inputs]
    unit_results = {f"u{i:05d}": published() for i in range(units)}
    earlier: dict[int, dict[str, Ranking]] = {}
    for year in (YEAR - 2, YEAR - 1):
        earlier[year] = rank_within_units(
            ScoredCadre(i.userid, i.unit, i.rank, published()) for i in quarter_inputs
        )
    excellent_history = {
        i.userid: [YEAR - rng.randint(1, 4)] for i in quarter_inputs if rng.random() < 0.15
    }
    return Province(
        quarter_inputs,
        ballots,
        [rng.random() < 0.03 for _ in quarter_inputs],
        other_quarters,
        unit_results,
        earlier,
        excellent_history,
    )


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def run_quarter(province: Province, cfg: ScoringConfig) -> list[QuarterResult]:
    results = score_quarters(province.quarter_inputs, cfg)
    rank_within_units(results)
    rank_within_levels(results)
    return results


def run_year(province: Province, quarter: Sequence[QuarterResult], cfg: ScoringConfig) -> int:
    """A whole year-end publication; returns the number of last-place flags (a sanity check)."""
    annual_inputs = []
    for inp, q1, later, marks, no_summary in zip(
        province.quarter_inputs, quarter, province.other_quarters,
        province.democratic_marks, province.missing_annual_summary, strict=True,
    ):
        democratic = democratic_from_marks(marks, no_summary, cfg)
        annual_inputs.append(AnnualInput(
            inp.userid, inp.unit, inp.role, inp.rank, democratic.score,
            province.unit_results[inp.unit],
            {1: q1.score, 2: later[0], 3: later[1], 4: later[2]},
        ))
    results = annual_scores(annual_inputs, cfg)
    unit_rankings = rank_within_units(results)
    level_rankings = rank_within_levels(results)
    level_extremes(level_rankings)
    excellent_by_unit(results, cfg, unit_rankings=unit_rankings)
    candidates = {r.userid: r.rank for r in results}
    eligible_for_promotion(level_rankings, province.excellent_history, YEAR, cfg, candidates)
    commendations(level_rankings, YEAR, candidates)
    history = {**province.earlier_unit_rankings, YEAR: unit_rankings}
    return len(last_place_flags(history, YEAR))


def plain_sum(province: Province) -> int:
    """The floor: touching every rating once in pure Python, nothing else."""
    total = 0
    for inp in province.quarter_inputs:
        for scores in inp.scores_by_group.values():
            total += sum(scores)
    return total


def peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=7_000)
    parser.add_argument("--ratings", type=int, default=30)
    args = parser.parse_args(argv)
    cfg = ScoringConfig()

    province, build_seconds = timed(lambda: build_province(args.cadres, args.units, args.ratings))
    _, sum_seconds = timed(lambda: plain_sum(province))
    quarter, quarter_seconds = timed(lambda: run_quarter(province, cfg))
    flags, year_seconds = timed(lambda: run_year(province, quarter, cfg))
    total = quarter_seconds + year_seconds
    peak = peak_rss_mib()

    print(f"province: {args.cadres:,} cadres, {args.units:,} units, "
          f"{province.rating_count:,} quarterly ratings, "
          f"{args.cadres * args.ratings:,} democratic ballots (built in {build_seconds:.2f} s)")
    print(f"quarter (scores + unit/level rankings): {quarter_seconds:.2f} s")
    print(f"year (democratic, composite, rankings, excellent, promotion, "
          f"commendation, last place: {flags:,} flags): {year_seconds:.2f} s")
    print(f"quarter + year: {total:.2f} s (goal < 2 s)")
    print(f"peak memory (max RSS, data included): {peak:,.0f} MiB (goal < 300 MiB)")
    print(f"ratio: quarter / plain sum over the same ratings = "
          f"{quarter_seconds / sum_seconds:.1f}x (plain sum {sum_seconds:.3f} s)")
    print(f"ratio: quarter + year / plain sum = {total / sum_seconds:.1f}x "
          "(the same figure on a busy machine)")
    return {"quarter_s": quarter_seconds, "year_s": year_seconds, "peak_mib": peak}


if __name__ == "__main__":
    main()

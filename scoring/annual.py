"""Year-end figures: democratic evaluation (R-YEAR-1) and the annual composite (R-YEAR-3).

The composite is built from *published* component figures (the democratic score, the unit's
imported result and the published quarterly scores), so anyone holding the published table
recomputes the same annual figure. Within one computation nothing is rounded until the end.

Missing pieces are explicit. If the democratic score, the unit result or a quarterly score is
absent, `AnnualResult.score` is None and `missing` names each absent piece, so the admin must
supply it (or excuse it) before publishing; nothing is silently treated as 0 or reweighted.
A quarter the cadre was legitimately not rated in (joined mid-year, long leave, a round that
did not run) is passed in `excused_quarters`: it is left out of the quarterly mean, which is
then the mean of the remaining quarters. If every quarter is excused there is no quarterly
part and the result is missing "quarters".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import lcm

from scoring.bulk import bulk, quick_init
from scoring.config import AnnualWeights, ScoringConfig
from scoring.rounding import round_ratio, round_score
from scoring.types import DIMENSIONS_ZH, Rank, Role

QUARTERS: tuple[int, ...] = (1, 2, 3, 4)

MISSING_DEMOCRATIC = "democratic"
MISSING_UNIT_RESULT = "unit_result"
MISSING_QUARTERS = "quarters"  # every quarter excused: no quarterly part at all


def missing_quarter(quarter: int) -> str:
    """The `missing` code of one absent quarterly score: "q1" .. "q4"."""
    return f"q{quarter}"


MISSING_ZH: dict[str, str] = {
    MISSING_DEMOCRATIC: "年度民主测评得分",
    MISSING_UNIT_RESULT: "本单位年度综合考核结果",
    MISSING_QUARTERS: "全年季度考核得分",
    **{missing_quarter(q): f"第{'一二三四'[q - 1]}季度考核得分" for q in QUARTERS},
}


_NONE = Decimal(0)  # no deduction


@lru_cache(maxsize=8)
def _deduction(value: Decimal) -> tuple[int, int, Decimal]:
    """A deduction exactly (p / q) and as shown: the same values for 100,000 cadres."""
    exact = Fraction(value)
    return exact.numerator, exact.denominator, round_score(value)


@quick_init
@dataclass(frozen=True, slots=True)
class DemocraticResult:
    """A cadre's democratic evaluation: mean over raters × 5 dimensions, minus deduction."""

    mean: Decimal | None  # None: nobody evaluated the cadre
    deduction: Decimal
    score: Decimal | None  # max(0, mean − deduction), rounded once
    rater_count: int


def democratic_score(
    ballots: Sequence[Sequence[int]], missing_annual_summary: bool, cfg: ScoringConfig
) -> DemocraticResult:
    """R-YEAR-1: each ballot is five integer scores (德能勤绩廉) in [score_min, score_max].

    The mean is over all raters and dimensions; a missing annual summary deducts
    `annual_summary_deduction`; the score never goes below 0.
    """
    if not ballots:
        return democratic_from_totals(0, 0, missing_annual_summary, cfg)
    # map() keeps the per-ballot checks in C: 3 million ballots take well under a second.
    if set(map(len, ballots)) != {len(DIMENSIONS_ZH)}:
        raise ValueError(f"each democratic ballot needs {len(DIMENSIONS_ZH)} scores")
    total = sum(map(sum, ballots))
    if (type(total) is not int or min(map(min, ballots)) < cfg.score_min
            or max(map(max, ballots)) > cfg.score_max):
        raise ValueError(
            f"democratic scores must be integers in [{cfg.score_min}, {cfg.score_max}]"
        )
    return democratic_from_totals(total, len(ballots), missing_annual_summary, cfg)


@lru_cache(maxsize=8)
def _valid_marks(score_min: int, score_max: int) -> bytes:
    """Every byte value inside [score_min, score_max]: what `democratic_from_marks` accepts."""
    return bytes(range(max(0, score_min), min(255, score_max) + 1))


def democratic_from_marks(
    marks: bytes, missing_annual_summary: bool, cfg: ScoringConfig
) -> DemocraticResult:
    """`democratic_score` from the compact form: every mark a cadre received, one byte each,
    ballot after ballot (德能勤绩廉 × ballots). A province's 3 million ballots fit in 15 MB
    this way instead of 3 million tuples, and the range check and the sum run in C.
    """
    dimensions = len(DIMENSIONS_ZH)
    if len(marks) % dimensions:
        raise ValueError(f"each democratic ballot needs {dimensions} scores")
    # translate(None, valid) deletes every valid mark: anything left is out of range.
    if marks.translate(None, _valid_marks(cfg.score_min, cfg.score_max)):
        raise ValueError(
            f"democratic scores must be integers in [{cfg.score_min}, {cfg.score_max}]"
        )
    return democratic_from_totals(sum(marks), len(marks) // dimensions, missing_annual_summary, cfg)


def democratic_from_totals(
    mark_total: int, ballot_count: int, missing_annual_summary: bool, cfg: ScoringConfig
) -> DemocraticResult:
    """R-YEAR-1 from the sum of every mark a cadre received and the number of ballots.

    The same rule as `democratic_score`, for callers that let the database add up checked
    ballots (a province has millions): mean = total / (ballots × 5), minus the deduction.
    """
    p, q, deduction_shown = _deduction(cfg.annual_summary_deduction if missing_annual_summary else _NONE)
    if ballot_count == 0:
        return DemocraticResult(None, deduction_shown, None, 0)
    marks = ballot_count * len(DIMENSIONS_ZH)
    net = max(0, mark_total * q - p * marks)
    return DemocraticResult(
        round_ratio(mark_total, marks), deduction_shown, round_ratio(net, marks * q), ballot_count
    )


@quick_init
@dataclass(frozen=True, slots=True)
class AnnualInput:
    """One cadre's published components for the year. See the module doc for `None`s."""

    userid: str
    unit: str
    role: Role
    rank: Rank
    democratic: Decimal | None  # DemocraticResult.score
    unit_result: Decimal | None  # the unit's imported 0–100 annual result (R-YEAR-2)
    quarter_scores: Mapping[int, Decimal | None]  # quarter (1–4) -> published score
    excused_quarters: frozenset[int] = frozenset()


@quick_init
@dataclass(frozen=True, slots=True)
class AnnualResult:
    """Annual composite. `score` is None exactly when `missing` is non-empty."""

    userid: str
    unit: str
    role: Role
    rank: Rank
    score: Decimal | None
    quarter_mean: Decimal | None  # mean of the counted quarters, for display
    quarters_counted: tuple[int, ...]
    weights: AnnualWeights
    missing: tuple[str, ...]

    @property
    def missing_zh(self) -> str:
        """The missing pieces as a Chinese list for the admin, e.g. "第二季度考核得分、本单位…"."""
        return "、".join(MISSING_ZH[code] for code in self.missing)


def _common_scale(values: Sequence[Decimal], userid: str) -> tuple[list[int], int]:
    """Exact integers n_i and one denominator d with values[i] == n_i / d.

    Published figures have 2 places, so d is usually 100; a unit result imported with more
    places just gets a larger d. Plain ints keep Fraction arithmetic off the 100k-cadre path.
    """
    ratios = []
    for value in values:
        if not value.is_finite():
            raise ValueError(f"{userid}: not a number: {value}")
        ratios.append(value.as_integer_ratio())
    denominator = lcm(*(d for _, d in ratios))
    return [n * (denominator // d) for n, d in ratios], denominator


# id(weights) -> (weights, its integers): a config hands out the same two AnnualWeights for a
# whole province, and hashing the dataclass for an lru_cache would cost more than the lookup.
_WEIGHT_INTS: dict[int, tuple[AnnualWeights, tuple[int, int, int, int]]] = {}


def _weight_ints(weights: AnnualWeights) -> tuple[int, int, int, int]:
    """(democratic, unit_result, quarters, denominator) as integers."""
    known = _WEIGHT_INTS.get(id(weights))
    if known is not None and known[0] is weights:  # the entry keeps `weights` alive: ids are safe
        return known[1]
    (dem, unit, quarters), denominator = _common_scale(
        [weights.democratic, weights.unit_result, weights.quarters], "annual weights"
    )
    if len(_WEIGHT_INTS) >= 64:  # bounded: configs rebuilt at each settings reload
        _WEIGHT_INTS.clear()
    _WEIGHT_INTS[id(weights)] = (weights, (dem, unit, quarters, denominator))
    return dem, unit, quarters, denominator


_QUARTER_SET = frozenset(QUARTERS)
_HUNDREDTHS: dict[Decimal, int] = {}  # published figure -> its hundredths, e.g. 88.13 -> 8813


def _hundredths(value: Decimal) -> int | None:
    """A figure as an integer number of hundredths, or None if it has finer places.

    Published figures repeat across a province (there are 10,001 of them from 0 to 100), so
    the conversion is looked up, not recomputed, for 100,000 cadres.
    """
    try:
        return _HUNDREDTHS[value]
    except KeyError:
        pass
    except TypeError:  # a signalling NaN cannot be hashed; the exact path says what is wrong
        return None
    if not value.is_finite():
        return None
    numerator, denominator = value.as_integer_ratio()
    if 100 % denominator:
        return None
    hundredths = numerator * (100 // denominator)
    if -100_000 <= hundredths <= 100_000:  # bounded: odd inputs cannot grow the table
        _HUNDREDTHS[value] = hundredths
    return hundredths


def annual_score(inp: AnnualInput, cfg: ScoringConfig) -> AnnualResult:
    """R-YEAR-3: w_dem × democratic + w_unit × unit result + w_quarters × mean(quarters).

    Weights depend on the role (`ScoringConfig.annual_weights`): 10/30/60 for main leaders,
    10/20/70 for everyone else by default.
    """
    weights = cfg.annual_weights(inp.role)
    if not (_QUARTER_SET.issuperset(inp.quarter_scores) and _QUARTER_SET.issuperset(inp.excused_quarters)):
        unknown = set(inp.quarter_scores) | set(inp.excused_quarters)
        raise ValueError(f"{inp.userid}: quarters must be 1–4, got {sorted(unknown)}")

    missing: list[str] = []
    if inp.democratic is None:
        missing.append(MISSING_DEMOCRATIC)
    if inp.unit_result is None:
        missing.append(MISSING_UNIT_RESULT)
    elif not 0 <= inp.unit_result <= 100:
        raise ValueError(f"{inp.userid}: unit result must be in [0, 100], got {inp.unit_result}")
    counted: list[int] = []  # the quarters counted ...
    values: list[Decimal] = []  # ... and their scores
    excused = inp.excused_quarters
    scores = inp.quarter_scores
    for quarter in QUARTERS:
        if excused and quarter in excused:
            continue
        value = scores.get(quarter)
        if value is None:
            missing.append(missing_quarter(quarter))
        else:
            counted.append(quarter)
            values.append(value)
    if not counted and not missing:
        missing.append(MISSING_QUARTERS)

    quarters_counted = tuple(counted)
    # The None checks repeat what `missing` says; they narrow the types for the math below.
    if missing or inp.democratic is None or inp.unit_result is None:
        shown_mean = None
        if counted:
            scaled, denominator = _common_scale(values, inp.userid)
            shown_mean = round_ratio(sum(scaled), len(counted) * denominator)
        return AnnualResult(inp.userid, inp.unit, inp.role, inp.rank, None, shown_mean,
                            quarters_counted, weights, tuple(missing))

    # composite = w_d·D + w_u·U + w_q·(ΣQ / k), everything as integers over one denominator:
    # (w_d·D + w_u·U)·k + w_q·ΣQ over k·scale·W. Published figures are whole hundredths
    # (scale 100, looked up); a figure with finer places takes their common denominator.
    w_dem, w_unit, w_quarters, w_denominator = _weight_ints(weights)
    k = len(counted)
    dem, unit = _hundredths(inp.democratic), _hundredths(inp.unit_result)
    quarters = list(map(_hundredths, values))
    if dem is None or unit is None or None in quarters:
        (dem, unit, *exact_quarters), scale = _common_scale(
            [inp.democratic, inp.unit_result, *values], inp.userid
        )
        quarter_sum = sum(exact_quarters)
    else:
        scale = 100
        quarter_sum = sum(quarters)  # type: ignore[arg-type]  # no None: checked just above
    numerator = (w_dem * dem + w_unit * unit) * k + w_quarters * quarter_sum
    return AnnualResult(
        inp.userid, inp.unit, inp.role, inp.rank,
        round_ratio(numerator, k * scale * w_denominator),
        round_ratio(quarter_sum, k * scale),
        quarters_counted, weights, (),
    )


@bulk
def annual_scores(inputs: Iterable[AnnualInput], cfg: ScoringConfig) -> list[AnnualResult]:
    """`annual_score` for a whole year, in input order."""
    return [annual_score(inp, cfg) for inp in inputs]

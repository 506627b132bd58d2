"""ORACLE: scoring/quarter.py frozen verbatim from main at 3a5f2e6, before the fast rewrite of issue 25
item 5 (only the imports of sibling oracle modules differ). The property tests compare the production
rules against it; do not edit it, it is the reference, not a second implementation.

Quarterly score (R-RATE-7 with the deductions of R-LOG-6 and the anonymity of R-RATE-5).

score = Σ_group w'_group × mean(group's scores) − deductions, never below 0, where w' are the
unit category's group weights rescaled over the groups that have raters
(`groups.effective_weights`). Deductions: `log_deduction_per_day` per missing working-day log
(already net of approved leave), at most `log_deduction_cap` a quarter, plus
`quarter_summary_deduction` if the quarterly summary is missing.

The input carries scores grouped by rater group and nothing about who gave them, so no rater
id can leak from here. The hot path is integer arithmetic: per group a `sum` and a `len`, the
weighted mean as one exact numerator/denominator pair, and a single rounding at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from scoring.config import ScoringConfig
from scoring.types import Rank, RaterGroup, Role, UnitCategory
from tests.scoring.oracle.rounding import round_ratio, round_score

_GROUPS: tuple[RaterGroup, ...] = tuple(RaterGroup)  # (lead, peer, other): the weight order
_EMPTY: Mapping[RaterGroup, Decimal] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class QuarterInput:
    """One ratee's quarter: scores per rater group (no rater ids) and what they missed."""

    userid: str
    unit: str
    unit_category: UnitCategory
    role: Role
    rank: Rank
    scores_by_group: Mapping[RaterGroup, Sequence[int]]
    missing_log_days: int = 0  # len(scoring.logs.overdue_days): closed days without log or leave
    missing_quarter_summary: bool = False


@dataclass(frozen=True, slots=True)
class QuarterResult:
    """A ratee's published quarter figures.

    - `raw_score`: weighted group means before deductions; None when nobody rated the
      cadre (then `score` is None too: "no ratings" is a result, not a zero).
    - `deduction`: total deducted, reported even when there is no score.
    - `score`: max(0, raw − deduction), rounded once.
    - `group_means_visible`: group means the ratee may see. Only when every group that
      rated them has at least `min_group_size` raters; otherwise empty. Showing the big
      groups' means next to the total would let anyone subtract them from the total and
      recover a small group's mean (usually the single main leader's exact score), which
      R-RATE-5 forbids; so a single small group hides all of them ("only the weighted total").
    - `rater_counts`: raters per group (all three groups, 0 for an empty one).
    - `weights_used`: the rescaled weights of the groups that had raters; they sum to 1.
    """

    userid: str
    unit: str
    role: Role
    rank: Rank
    raw_score: Decimal | None
    deduction: Decimal
    score: Decimal | None
    group_means_visible: Mapping[RaterGroup, Decimal]
    rater_counts: Mapping[RaterGroup, int]
    weights_used: Mapping[RaterGroup, Fraction]

    @property
    def rated(self) -> bool:
        return self.score is not None


def quarter_deduction(
    missing_log_days: int, missing_quarter_summary: bool, cfg: ScoringConfig
) -> Fraction:
    """Exact quarter deduction: capped per-day log deduction plus the summary deduction."""
    if missing_log_days < 0:
        raise ValueError(f"missing_log_days must not be negative, got {missing_log_days}")
    logs = min(Fraction(cfg.log_deduction_cap), Fraction(cfg.log_deduction_per_day) * missing_log_days)
    summary = Fraction(cfg.quarter_summary_deduction) if missing_quarter_summary else Fraction(0)
    return logs + summary


class _QuarterScorer:
    """Scores many inputs under one config, memoising what repeats across cadres.

    Weights depend only on (category, which groups are present) and deductions only on
    (missing days, summary missing), so both are computed a handful of times per round
    instead of once per cadre.
    """

    def __init__(self, cfg: ScoringConfig) -> None:
        self.cfg = cfg
        self._weights: dict[tuple[UnitCategory, tuple[bool, ...]], Mapping[RaterGroup, Fraction]] = {}
        self._deductions: dict[tuple[int, bool], tuple[Fraction, Decimal]] = {}

    def weights_used(
        self, category: UnitCategory, present: tuple[bool, ...], ints: tuple[int, ...], total: int
    ) -> Mapping[RaterGroup, Fraction]:
        key = (category, present)
        cached = self._weights.get(key)
        if cached is None:
            cached = MappingProxyType({
                group: Fraction(weight, total)
                for group, weight, has in zip(_GROUPS, ints, present, strict=True)
                if has
            })
            self._weights[key] = cached
        return cached

    def deduction(self, days: int, summary_missing: bool) -> tuple[Fraction, Decimal]:
        key = (days, summary_missing)
        cached = self._deductions.get(key)
        if cached is None:
            exact = quarter_deduction(days, summary_missing, self.cfg)
            cached = (exact, round_score(exact))
            self._deductions[key] = cached
        return cached

    def score(self, inp: QuarterInput) -> QuarterResult:
        cfg = self.cfg
        by_group = inp.scores_by_group
        sums: list[int] = []
        counts: list[int] = []
        for group in _GROUPS:
            scores = by_group.get(group, ())
            count = len(scores)
            total = sum(scores)
            if count and (min(scores) < cfg.score_min or max(scores) > cfg.score_max
                          or type(total) is not int):
                raise ValueError(
                    f"{inp.userid}: {group} scores must be integers in "
                    f"[{cfg.score_min}, {cfg.score_max}]"
                )
            sums.append(total)
            counts.append(count)

        deduction_exact, deduction_shown = self.deduction(
            inp.missing_log_days, inp.missing_quarter_summary
        )
        rater_counts = MappingProxyType(dict(zip(_GROUPS, counts, strict=True)))
        weight_ints = cfg.group_weight_ints(inp.unit_category)
        present = tuple(count > 0 for count in counts)
        weight_total = sum(w for w, has in zip(weight_ints, present, strict=True) if has)
        if weight_total == 0:
            return QuarterResult(
                inp.userid, inp.unit, inp.role, inp.rank, None, deduction_shown, None,
                _EMPTY, rater_counts, MappingProxyType({}),
            )

        # raw = Σ (w_g / W) × (S_g / n_g) over present groups, as one exact fraction N / D
        # with D = W × Π n_g; integers only until the final rounding.
        product = 1
        for count in counts:
            if count:
                product *= count
        numerator = 0
        for weight, total, count in zip(weight_ints, sums, counts, strict=True):
            if count:
                numerator += weight * total * (product // count)
        denominator = weight_total * product

        # score = max(0, N/D − p/q) = max(0, N·q − p·D) / (D·q)
        p, q = deduction_exact.numerator, deduction_exact.denominator
        net = max(0, numerator * q - p * denominator)

        visible: Mapping[RaterGroup, Decimal] = _EMPTY
        if all(count >= cfg.min_group_size for count in counts if count):
            visible = MappingProxyType({
                group: round_ratio(total, count)
                for group, total, count in zip(_GROUPS, sums, counts, strict=True)
                if count
            })
        return QuarterResult(
            inp.userid,
            inp.unit,
            inp.role,
            inp.rank,
            round_ratio(numerator, denominator),
            deduction_shown,
            round_ratio(net, denominator * q),
            visible,
            rater_counts,
            self.weights_used(inp.unit_category, present, weight_ints, weight_total),
        )


def rescore(
    raw_score: Decimal | None, missing_log_days: int, missing_quarter_summary: bool, cfg: ScoringConfig
) -> tuple[Decimal, Decimal | None]:
    """(deduction, score) of a published quarter re-published with new deductions (issue 28).

    The ballots are deleted at publishing (R-RATE-5), so the published `raw_score` (the
    weighted means, rounded) stands for them: score = max(0, raw − deduction), rounded once.
    That is the figure `score_quarter` gives from the ballots whenever the deductions are whole
    hundredths (the defaults 0.2, 10 and 2 are): rounding to hundredths commutes with
    subtracting them. None stays None: nobody rated the cadre, and nobody can now.
    """
    exact = quarter_deduction(missing_log_days, missing_quarter_summary, cfg)
    shown = round_score(exact)
    if raw_score is None:
        return shown, None
    return shown, round_score(max(Fraction(0), Fraction(raw_score) - exact))


def score_quarter(inp: QuarterInput, cfg: ScoringConfig) -> QuarterResult:
    """Score one ratee's quarter. See `QuarterResult` for what each field means."""
    return _QuarterScorer(cfg).score(inp)


def score_quarters(inputs: Iterable[QuarterInput], cfg: ScoringConfig) -> list[QuarterResult]:
    """Score a whole round, in input order; same figures as `score_quarter` one by one."""
    scorer = _QuarterScorer(cfg)
    return [scorer.score(inp) for inp in inputs]

"""Quarterly score (R-RATE-7 with the deductions of R-LOG-6 and the anonymity of R-RATE-5).

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

from scoring.bulk import bulk, quick_init
from scoring.config import ScoringConfig
from scoring.rounding import round_ratio, round_score
from scoring.types import Rank, RaterGroup, Role, UnitCategory

_GROUPS: tuple[RaterGroup, ...] = tuple(RaterGroup)  # (lead, peer, other): the weight order
_EMPTY: Mapping[RaterGroup, Decimal] = MappingProxyType({})


@quick_init
@dataclass(frozen=True, slots=True)
class QuarterInput:
    """One ratee's quarter: scores per rater group (no rater ids) and what they missed.

    A group's scores may be any sequence of ints; for a province, `bytes` (one byte a rating)
    is the compact form: 3 million ratings in 3 MB rather than 3 million list slots.
    """

    userid: str
    unit: str
    unit_category: UnitCategory
    role: Role
    rank: Rank
    scores_by_group: Mapping[RaterGroup, Sequence[int]]
    missing_log_days: int = 0  # len(scoring.logs.overdue_days): closed days without log or leave
    missing_quarter_summary: bool = False


@quick_init
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


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a cadre's score depends on besides the sums: the category and the rater counts.

    A province has a few hundred shapes, so the weights, the common denominator and the
    shared mappings are worked out once per shape instead of once per cadre.
    """

    multipliers: tuple[int, int, int]  # m_g = w_g × Π n / n_g (0 for an absent group)
    denominator: int  # D = W × Π n over the present groups; 0: nobody (weighted) rated
    rater_counts: Mapping[RaterGroup, int]
    weights_used: Mapping[RaterGroup, Fraction]
    means_visible: bool


class _QuarterScorer:
    """Scores many inputs under one config, memoising what repeats across cadres.

    Weights depend only on (category, rater counts) and deductions only on (missing days,
    summary missing), so both are computed a handful of times per round instead of once per
    cadre; per cadre there are three sums, one integer dot product and the roundings.
    """

    def __init__(self, cfg: ScoringConfig) -> None:
        self.cfg = cfg
        self._shapes: dict[tuple[UnitCategory, int, int, int], _Shape] = {}
        self._weights: dict[tuple[UnitCategory, tuple[bool, ...]], Mapping[RaterGroup, Fraction]] = {}
        self._deductions: dict[tuple[int, bool], tuple[int, int, Decimal]] = {}

    def shape(self, category: UnitCategory, counts: tuple[int, int, int]) -> _Shape:
        key = (category, *counts)
        cached = self._shapes.get(key)
        if cached is not None:
            return cached
        weight_ints = self.cfg.group_weight_ints(category)
        present = tuple(count > 0 for count in counts)
        weight_total = sum(w for w, has in zip(weight_ints, present, strict=True) if has)
        rater_counts = MappingProxyType(dict(zip(_GROUPS, counts, strict=True)))
        if weight_total == 0:
            cached = _Shape((0, 0, 0), 0, rater_counts, MappingProxyType({}), False)
        else:
            # raw = Σ (w_g / W) × (S_g / n_g) over present groups, as one exact fraction N / D
            # with D = W × Π n_g and N = Σ S_g × m_g; integers only until the final rounding.
            product = 1
            for count in counts:
                if count:
                    product *= count
            weights = self._weights.get((category, present))
            if weights is None:
                weights = MappingProxyType({
                    group: Fraction(weight, weight_total)
                    for group, weight, has in zip(_GROUPS, weight_ints, present, strict=True)
                    if has
                })
                self._weights[(category, present)] = weights
            lead, peer, other = (
                weight * (product // count) if count else 0
                for weight, count in zip(weight_ints, counts, strict=True)
            )
            cached = _Shape(
                (lead, peer, other), weight_total * product, rater_counts, weights,
                all(count >= self.cfg.min_group_size for count in counts if count),
            )
        self._shapes[key] = cached
        return cached

    def deduction(self, days: int, summary_missing: bool) -> tuple[int, int, Decimal]:
        """(p, q, shown): the exact deduction p/q and its published figure."""
        key = (days, summary_missing)
        cached = self._deductions.get(key)
        if cached is None:
            exact = quarter_deduction(days, summary_missing, self.cfg)
            cached = (exact.numerator, exact.denominator, round_score(exact))
            self._deductions[key] = cached
        return cached

    def _checked(self, userid: str, group: RaterGroup, scores: Sequence[int]) -> tuple[int, int]:
        """(sum, count) of one group's scores, refusing anything but integers in range."""
        total = sum(scores)
        count = len(scores)
        if count and (min(scores) < self.cfg.score_min or max(scores) > self.cfg.score_max
                      or type(total) is not int):
            raise ValueError(
                f"{userid}: {group} scores must be integers in "
                f"[{self.cfg.score_min}, {self.cfg.score_max}]"
            )
        return total, count

    def score(self, inp: QuarterInput) -> QuarterResult:
        by_group = inp.scores_by_group
        lead = by_group.get(RaterGroup.lead, ())
        peer = by_group.get(RaterGroup.peer, ())
        other = by_group.get(RaterGroup.other, ())
        low, high = self.cfg.score_min, self.cfg.score_max
        try:
            lead_sum, peer_sum, other_sum = sum(lead), sum(peer), sum(other)
            lead_n, peer_n, other_n = len(lead), len(peer), len(other)
            valid = (
                (not lead_n or (low <= min(lead) and max(lead) <= high and type(lead_sum) is int))
                and (not peer_n or (low <= min(peer) and max(peer) <= high and type(peer_sum) is int))
                and (not other_n or (low <= min(other) and max(other) <= high and type(other_sum) is int))
            )
        except TypeError:
            valid = False
        if not valid:  # group by group, to refuse the first bad one as the rule words it
            for group, scores in ((RaterGroup.lead, lead), (RaterGroup.peer, peer), (RaterGroup.other, other)):
                self._checked(inp.userid, group, scores)
            raise AssertionError("unreachable: a group failed its check above")
        p, q, deduction_shown = self.deduction(inp.missing_log_days, inp.missing_quarter_summary)
        shape = self.shape(inp.unit_category, (lead_n, peer_n, other_n))
        denominator = shape.denominator
        if denominator == 0:
            return QuarterResult(
                inp.userid, inp.unit, inp.role, inp.rank, None, deduction_shown, None,
                _EMPTY, shape.rater_counts, shape.weights_used,
            )
        m_lead, m_peer, m_other = shape.multipliers
        numerator = m_lead * lead_sum + m_peer * peer_sum + m_other * other_sum
        # score = max(0, N/D − p/q) = max(0, N·q − p·D) / (D·q)
        net = max(0, numerator * q - p * denominator)
        visible: Mapping[RaterGroup, Decimal] = _EMPTY
        if shape.means_visible:
            visible = MappingProxyType({
                group: round_ratio(total, count)
                for group, total, count in (
                    (RaterGroup.lead, lead_sum, lead_n),
                    (RaterGroup.peer, peer_sum, peer_n),
                    (RaterGroup.other, other_sum, other_n),
                )
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
            shape.rater_counts,
            shape.weights_used,
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


@bulk
def score_quarters(inputs: Iterable[QuarterInput], cfg: ScoringConfig) -> list[QuarterResult]:
    """Score a whole round, in input order; same figures as `score_quarter` one by one."""
    scorer = _QuarterScorer(cfg)
    return [scorer.score(inp) for inp in inputs]

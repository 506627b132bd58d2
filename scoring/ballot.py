"""Ballot rules for one rater and one unit (R-RATE-3, R-RATE-4).

A score is an integer in [score_min, score_max] (50–100). On one rater's ballot for one unit,
at most `high_cap` ratees may get `high_score` (90) or more, where
high_cap = max(1, floor(high_share × unit headcount)) and the headcount is the number of the
unit's cadres (its ratees). A score that breaks a rule is refused, never clipped; every
refusal carries a reason in plain Chinese that a handler can send as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from math import floor

from scoring.config import ScoringConfig
from scoring.numbers import typed_whole_number

RawScore = int | str | float


class ViolationCode(StrEnum):
    not_integer = "not_integer"  # "92.5", "九十", None
    out_of_range = "out_of_range"  # 105, 0
    high_cap = "high_cap"  # too many 90+ on one ballot
    self_rating = "self_rating"  # the rater's own id is on the ballot
    not_a_ratee = "not_a_ratee"  # someone this rater has no card for


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. `ratee` is None for a rule about the whole ballot (the 90+ cap)."""

    ratee: str | None
    code: ViolationCode
    reason_zh: str


@dataclass(frozen=True, slots=True)
class BallotCheck:
    """Result of checking a whole ballot; `high_used` counts only valid 90+ scores."""

    violations: tuple[Violation, ...]
    high_cap: int
    high_used: int
    high_left: int  # never negative; 0 when the cap is reached or exceeded

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class ScoreCheck:
    """Result of one tap on a rating card: accept the score or say why not.

    `high_used`/`high_left` describe the draft as it stands after this tap (with the new score
    if accepted, unchanged if refused), which is what the updated card should show.
    """

    accepted: bool
    score: int | None
    violations: tuple[Violation, ...]
    high_cap: int
    high_used: int
    high_left: int


def high_cap(unit_headcount: int, cfg: ScoringConfig) -> int:
    """How many ratees of a unit one rater may score 90+: 30% rounded down, at least 1."""
    if unit_headcount < 1:
        raise ValueError(f"unit headcount must be >= 1, got {unit_headcount}")
    return max(1, floor(Fraction(cfg.high_share) * unit_headcount))


def parse_score(raw: RawScore) -> int | None:
    """Read a score as an integer, or None if it is not one.

    Accepts ints, integral floats (92.0 from JSON) and strings of digits, including
    full-width digits and surrounding spaces ("９２", " 92 "); refuses bools, fractions
    ("92.5") and anything else.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str):
        text = raw.strip()
        negative = text[:1] == "-"
        if text[:1] in ("+", "-"):  # [:1] of "" is "", which `in "+-"` would accept
            text = text[1:]
        value = typed_whole_number(text)
        if value is not None:
            return -value if negative else value
    return None


def _range_reason(raw: RawScore, cfg: ScoringConfig) -> str:
    return f"分数须为 {cfg.score_min}–{cfg.score_max} 的整数，收到「{raw}」"


def _cap_terms(unit_headcount: int, cap: int, cfg: ScoringConfig) -> str:
    percent = f"{cfg.high_share * 100:f}".rstrip("0").rstrip(".")
    floor_is_zero = floor(Fraction(cfg.high_share) * unit_headcount) == 0
    at_least = "，至少 1 人" if floor_is_zero else ""
    return f"{cfg.high_score} 分以上最多 {cap} 人（本单位 {unit_headcount} 人的 {percent}%{at_least}）"


def check_value(ratee: str, raw: RawScore, cfg: ScoringConfig) -> int | Violation:
    """One score on its own: an integer in [score_min, score_max], or the violation."""
    score = parse_score(raw)
    if score is None:
        return Violation(ratee, ViolationCode.not_integer, _range_reason(raw, cfg))
    if not cfg.score_min <= score <= cfg.score_max:
        return Violation(ratee, ViolationCode.out_of_range, _range_reason(raw, cfg))
    return score


def _check_ratee(
    ratee: str, rater: str | None, allowed_ratees: Collection[str] | None
) -> Violation | None:
    if rater is not None and ratee == rater:
        return Violation(ratee, ViolationCode.self_rating, "不能给自己打分")
    if allowed_ratees is not None and ratee not in allowed_ratees:
        return Violation(ratee, ViolationCode.not_a_ratee, "此人不在您本轮的评分名单中")
    return None


def check_ballot(
    scores: Mapping[str, RawScore],
    unit_headcount: int,
    cfg: ScoringConfig,
    *,
    rater: str | None = None,
    allowed_ratees: Collection[str] | None = None,
) -> BallotCheck:
    """Check one rater's whole ballot for one unit and return every violation.

    `rater` (if given) catches a self-rating; `allowed_ratees` (if given) catches a score for
    someone the rater has no card for. Violations are ordered by ratee id, then the ballot-wide
    cap violation last, so the result does not depend on the mapping's order.
    """
    cap = high_cap(unit_headcount, cfg)
    violations: list[Violation] = []
    high_used = 0
    for ratee in sorted(scores):
        wrong_person = _check_ratee(ratee, rater, allowed_ratees)
        if wrong_person is not None:
            violations.append(wrong_person)
            continue
        checked = check_value(ratee, scores[ratee], cfg)
        if isinstance(checked, Violation):
            violations.append(checked)
        elif checked >= cfg.high_score:
            high_used += 1
    if high_used > cap:
        over = high_used - cap
        violations.append(Violation(
            None,
            ViolationCode.high_cap,
            f"{_cap_terms(unit_headcount, cap, cfg)}，本表给了 {high_used} 人，"
            f"请调低其中 {over} 人的分数",
        ))
    return BallotCheck(tuple(violations), cap, high_used, max(0, cap - high_used))


def check_score(
    draft: Mapping[str, int],
    ratee: str,
    score: RawScore,
    unit_headcount: int,
    cfg: ScoringConfig,
    *,
    rater: str | None = None,
    allowed_ratees: Collection[str] | None = None,
) -> ScoreCheck:
    """Check one new score against the rater's current draft for the unit.

    `draft` holds the scores already accepted (ratee -> int). Re-scoring a ratee replaces
    their draft score, so moving a 90+ from 95 to 92 never counts twice. A 90+ score that
    would take the ballot over the cap is refused with the number of slots and what to do.
    """
    cap = high_cap(unit_headcount, cfg)
    high_others = sum(
        1 for other, value in draft.items() if other != ratee and value >= cfg.high_score
    )
    high_before = high_others + (1 if draft.get(ratee, 0) >= cfg.high_score else 0)

    def refuse(violation: Violation) -> ScoreCheck:
        return ScoreCheck(False, None, (violation,), cap, high_before, max(0, cap - high_before))

    wrong_person = _check_ratee(ratee, rater, allowed_ratees)
    if wrong_person is not None:
        return refuse(wrong_person)
    value = check_value(ratee, score, cfg)
    if isinstance(value, Violation):
        return refuse(value)
    is_high = value >= cfg.high_score
    if is_high and high_others >= cap:
        return refuse(Violation(
            ratee,
            ViolationCode.high_cap,
            f"{_cap_terms(unit_headcount, cap, cfg)}，已给 {high_others} 人，"
            "请先调低其他人的分数",
        ))
    high_after = high_others + (1 if is_high else 0)
    return ScoreCheck(True, value, (), cap, high_after, max(0, cap - high_after))

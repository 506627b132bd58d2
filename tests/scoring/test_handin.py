"""Handing in a whole ballot: every rule at once, per unit, plus completeness."""

from __future__ import annotations

from scoring import ScoringConfig, ViolationCode
from scoring.handin import check_handin

CFG = ScoringConfig()


def test_a_complete_valid_ballot_over_two_units_passes():
    check = check_handin(
        {"a": 95, "b": 80, "x": 90},
        {1: ["a", "b"], 2: ["x"]},
        {1: 10, 2: 3},
        CFG,
        rater="r",
    )
    assert check.ok and check.unanswered == ()


def test_every_problem_is_reported_at_once():
    check = check_handin(
        {"a": 95, "b": 92, "c": 91, "d": 93, "x": 95, "y": 90, "r": 80},
        {1: ["a", "b", "c", "d", "e"], 2: ["x", "y"]},
        {1: 10, 2: 3},
        CFG,
        rater="r",
    )
    assert not check.ok
    assert check.unanswered == ("e",)
    codes = {unit: [v.code for v in ballot.violations] for unit, ballot in check.ballots.items()}
    assert codes[1] == [ViolationCode.high_cap]  # 4 of 10 at 90+, cap 3
    assert codes[2] == [ViolationCode.high_cap]  # 2 of 3 at 90+, cap 1
    assert codes[None] == [ViolationCode.self_rating]  # a score for oneself matches no card


def test_caps_are_per_unit_not_per_rater():
    check = check_handin({"a": 95, "x": 95}, {1: ["a"], 2: ["x"]}, {1: 3, 2: 3}, CFG, rater="r")
    assert check.ok

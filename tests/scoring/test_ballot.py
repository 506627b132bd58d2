"""R-RATE-3 (50–100 integers) and R-RATE-4 (at most 30% of the unit, rounded down, at least 1)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import ScoringConfig, ViolationCode, check_ballot, check_score, high_cap, parse_score

CFG = ScoringConfig()


@pytest.mark.parametrize(
    ("headcount", "cap"),
    [(1, 1), (3, 1), (4, 1), (7, 2), (8, 2), (10, 3), (14, 4), (100, 30)],
)
def test_high_cap_is_30_percent_rounded_down_at_least_one(headcount: int, cap: int) -> None:
    assert high_cap(headcount, CFG) == cap


def test_high_cap_with_a_float_share_from_settings_is_exact() -> None:
    # 0.29 × 100 is 28.999999999999996 in binary floats; the cap must still be 29.
    assert high_cap(100, ScoringConfig(high_share=0.29)) == 29


def test_three_person_unit_allows_one_90_plus() -> None:
    """The seed's 3-person Youth League committee: 30% of 3 is 0.9, rounded down 0, at least 1."""
    ballot = check_ballot({"a": 92, "b": 85, "c": 80}, 3, CFG)
    assert ballot.ok
    assert (ballot.high_cap, ballot.high_used, ballot.high_left) == (1, 1, 0)

    refused = check_score({"a": 92, "b": 85}, "c", 90, 3, CFG)
    assert not refused.accepted
    assert refused.violations[0].code is ViolationCode.high_cap
    assert refused.violations[0].reason_zh == (
        "90 分以上最多 1 人（本单位 3 人的 30%，至少 1 人），已给 1 人，请先调低其他人的分数"
    )


def test_eight_person_unit_allows_two_90_plus() -> None:
    draft = {"a": 95, "b": 92, "c": 80}
    refused = check_score(draft, "d", 90, 8, CFG)
    assert not refused.accepted
    assert refused.violations[0].reason_zh == (
        "90 分以上最多 2 人（本单位 8 人的 30%），已给 2 人，请先调低其他人的分数"
    )
    assert (refused.high_used, refused.high_left) == (2, 0)

    accepted = check_score(draft, "d", 89, 8, CFG)
    assert accepted.accepted and accepted.score == 89
    assert (accepted.high_used, accepted.high_left) == (2, 0)

    whole = check_ballot({**draft, "d": 90}, 8, CFG)
    assert [v.code for v in whole.violations] == [ViolationCode.high_cap]
    assert whole.violations[0].ratee is None
    assert whole.violations[0].reason_zh == (
        "90 分以上最多 2 人（本单位 8 人的 30%），本表给了 3 人，请调低其中 1 人的分数"
    )


def test_rescoring_a_90_plus_ratee_does_not_count_twice() -> None:
    result = check_score({"a": 95, "b": 92}, "a", 91, 8, CFG)
    assert result.accepted
    assert (result.high_used, result.high_left) == (2, 0)


def test_lowering_a_90_plus_frees_a_slot() -> None:
    result = check_score({"a": 95, "b": 92}, "a", 85, 8, CFG)
    assert result.accepted
    assert (result.high_used, result.high_left) == (1, 1)


@pytest.mark.parametrize("raw", [105, 49, 0, -90, "105", "92.5", 92.5, "九十", "", None, True, "9 2"])
def test_out_of_range_or_not_integer_is_refused_with_the_value(raw: object) -> None:
    result = check_score({}, "a", raw, 8, CFG)  # type: ignore[arg-type]
    assert not result.accepted
    (violation,) = result.violations
    assert violation.code in (ViolationCode.out_of_range, ViolationCode.not_integer)
    assert violation.reason_zh == f"分数须为 50–100 的整数，收到「{raw}」"


@pytest.mark.parametrize(("raw", "score"), [(92, 92), ("92", 92), (" 92 ", 92), ("９２", 92), (92.0, 92), (50, 50), ("100", 100)])
def test_integer_forms_are_accepted(raw: int | str | float, score: int) -> None:
    assert parse_score(raw) == score
    assert check_score({}, "a", raw, 8, CFG).score == score


def test_ballot_reports_every_violation_in_ratee_order() -> None:
    ballot = check_ballot(
        {"z": "abc", "self": 80, "a": 101, "m": 70, "stranger": 80},
        10,
        CFG,
        rater="self",
        allowed_ratees={"z", "a", "m", "self"},
    )
    assert [(v.ratee, v.code) for v in ballot.violations] == [
        ("a", ViolationCode.out_of_range),
        ("self", ViolationCode.self_rating),
        ("stranger", ViolationCode.not_a_ratee),
        ("z", ViolationCode.not_integer),
    ]
    assert ballot.violations[1].reason_zh == "不能给自己打分"


def test_headcount_must_be_positive() -> None:
    with pytest.raises(ValueError):
        high_cap(0, CFG)


ballots = st.dictionaries(
    st.text(alphabet="abcdefghij", min_size=1, max_size=3), st.integers(50, 100), max_size=20
)


@given(draft=ballots, ratee=st.text(alphabet="abcdefghij", min_size=1, max_size=3),
       score=st.integers(90, 100), headcount=st.integers(1, 40))
def test_adding_a_90_plus_never_takes_a_ballot_over_the_cap(
    draft: dict[str, int], ratee: str, score: int, headcount: int
) -> None:
    before = check_ballot(draft, headcount, CFG)
    result = check_score(draft, ratee, score, headcount, CFG)
    if result.accepted:
        after = check_ballot({**draft, ratee: score}, headcount, CFG)
        # Accepted only if the ballot stays within the cap, or was already over it (a draft
        # that was valid when built cannot be, see the next test) and did not grow.
        assert after.high_used <= max(result.high_cap, before.high_used)
        assert after.high_used == result.high_used
    else:
        assert result.high_used == before.high_used


@given(taps=st.lists(st.tuples(st.sampled_from("abcdefghijkl"), st.integers(50, 100)), max_size=40),
       headcount=st.integers(1, 12))
def test_a_ballot_built_tap_by_tap_never_exceeds_the_cap(
    taps: list[tuple[str, int]], headcount: int
) -> None:
    draft: dict[str, int] = {}
    for ratee, score in taps:
        result = check_score(draft, ratee, score, headcount, CFG)
        if result.accepted:
            draft[ratee] = score
        assert check_ballot(draft, headcount, CFG).ok
    final = check_ballot(draft, headcount, CFG)
    assert final.high_used <= final.high_cap
    assert final.high_left == final.high_cap - final.high_used


@given(ballot=ballots, headcount=st.integers(1, 40), seed=st.randoms())
def test_ballot_check_does_not_depend_on_input_order(
    ballot: dict[str, int], headcount: int, seed: random.Random
) -> None:
    items = list(ballot.items())
    seed.shuffle(items)
    assert check_ballot(dict(items), headcount, CFG) == check_ballot(ballot, headcount, CFG)

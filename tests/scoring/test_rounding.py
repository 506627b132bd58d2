from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.rounding import exact, round_ratio, round_score


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(88125, 1000), "88.13"),  # a tie goes up, not to even
        (Fraction(88115, 1000), "88.12"),
        (Fraction(88145, 1000), "88.15"),  # banker's rounding would give 88.14
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Decimal("84.245"), "84.25"),
        (90, "90.00"),
        (Fraction(-1, 200), "-0.01"),  # ties away from zero on the negative side as well
    ],
)
def test_round_score_is_half_up_to_two_places(value: Fraction | Decimal | int, expected: str) -> None:
    rounded = round_score(value)
    assert rounded == Decimal(expected)
    assert str(rounded) == expected  # always two places, so exports print the same text


def test_round_score_refuses_bool() -> None:
    with pytest.raises(TypeError):
        round_score(True)


def test_exact_reads_floats_by_their_decimal_text() -> None:
    assert exact(0.3) == Fraction(3, 10)
    assert exact("0.15") == Fraction(3, 20)
    assert exact(Decimal("0.2")) == Fraction(1, 5)


@given(st.integers(-10**9, 10**9), st.integers(1, 10**6))
def test_round_ratio_matches_decimal_quantize(numerator: int, denominator: int) -> None:
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    # Decimal division rounds at 28 digits first; that is exact enough for these sizes.
    assert round_ratio(numerator, denominator) == expected

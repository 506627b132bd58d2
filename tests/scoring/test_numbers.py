"""The one strict reader of numbers from outside."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scoring import parse_score
from scoring.numbers import ID_MAX, typed_whole_number, whole_number


def test_only_ascii_digits_within_the_bound_are_numbers() -> None:
    assert whole_number("12") == 12 and whole_number(str(ID_MAX)) == ID_MAX
    for text in ("", " 12", "+1", "-1", "²", "٢", "１２", "1_000", str(ID_MAX + 1), "9" * 5000):
        assert whole_number(text) is None, text
    assert whole_number("1000", maximum=999) is None


def test_typed_numbers_fold_full_width_digits_and_spaces() -> None:
    assert typed_whole_number(" １２ ") == 12
    assert typed_whole_number("٢") is None and typed_whole_number("1 2") is None


@given(st.text(max_size=30))
def test_any_text_is_a_bounded_number_or_none(text: str) -> None:
    value = whole_number(text)
    assert value is None or (0 <= value <= ID_MAX and str(value) == text.lstrip("0").rjust(1, "0"))


def test_a_score_of_five_thousand_digits_is_not_a_score() -> None:
    """int() refuses strings past 4,300 digits with a ValueError the handler did not expect."""
    assert parse_score("9" * 5000) is None and parse_score("-" + "9" * 5000) is None

"""Ids made for bulk inserts: they must never repeat and must grow, whatever the clock does."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from storage.ids import OrderedIds


@given(st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 500)), min_size=1, max_size=30))
def test_ids_grow_and_never_repeat_even_when_the_clock_jumps_back(takes: list[tuple[int, int]]) -> None:
    clock = iter([at for at, _ in takes])
    ids = OrderedIds(clock_ms=lambda: next(clock))
    made = [card_id for _, count in takes for card_id in ids.take(count)]
    assert made == sorted(made)  # so each goes to the end of its index
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"[0-9a-f]{16}", card_id) for card_id in made)  # the task_id's 16 hex


def test_ids_made_later_sort_after_ids_made_before() -> None:
    earlier, later = OrderedIds(clock_ms=lambda: 1_000), OrderedIds(clock_ms=lambda: 2_000)
    assert max(earlier.take(50)) < min(later.take(50))

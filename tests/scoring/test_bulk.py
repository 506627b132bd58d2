"""The batch helpers change nothing but speed: the collector comes back, records stay frozen."""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass

import pytest

from scoring.bulk import bulk, quick_init
from scoring.use import Eligibility


def test_the_collector_is_back_after_a_batch_even_one_that_fails() -> None:
    @bulk
    def fails() -> None:
        assert not gc.isenabled()
        raise ValueError("bad input")

    assert gc.isenabled()
    with pytest.raises(ValueError, match="bad input"):
        fails()
    assert gc.isenabled()


def test_a_batch_inside_a_paused_caller_leaves_it_paused() -> None:
    gc.disable()
    try:
        assert bulk(lambda: 7)() == 7
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_quick_record_is_the_same_frozen_record() -> None:
    made = Eligibility("u1", True, "理由", True)
    assert made == Eligibility(userid="u1", eligible=True, reason_zh="理由", in_top_half=True, excellent_years=())
    assert hash(made) == hash(Eligibility("u1", True, "理由", True, ()))
    assert repr(made).startswith("Eligibility(userid='u1'")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.eligible = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        Eligibility("u1", True)  # type: ignore[call-arg]


def test_quick_init_refuses_what_it_cannot_copy() -> None:
    @dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError):
        quick_init(WithFactory)
    with pytest.raises(TypeError):
        quick_init(dataclass(slots=True)(type("Plain", (), {"__annotations__": {"x": int}})))

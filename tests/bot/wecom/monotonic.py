"""A driven stand-in for time.monotonic: the wall clock of transport code, moved by tests."""

from __future__ import annotations


class FakeMonotonic:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

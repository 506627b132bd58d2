"""Keeps the benchmark from rotting: a tiny province through the same code path."""

from __future__ import annotations

import pytest

from tests.bench import bench_scoring


def test_benchmark_runs_on_a_small_province(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_scoring.main(["--cadres", "700", "--units", "50", "--ratings", "12"])
    out = capsys.readouterr().out
    assert "quarter + year" in out and "peak memory" in out and "ratio:" in out
    assert figures["quarter_s"] > 0 and figures["year_s"] > 0

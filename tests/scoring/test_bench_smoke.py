"""Keeps the benchmark from rotting: a tiny province through the same code path."""

from __future__ import annotations

import pytest

from tests.bench import bench_province, bench_scoring


def test_benchmark_runs_on_a_small_province(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_scoring.main(["--cadres", "700", "--units", "50", "--ratings", "12"])
    out = capsys.readouterr().out
    assert "quarter + year" in out and "peak memory" in out and "ratio:" in out
    assert figures["quarter_s"] > 0 and figures["year_s"] > 0


def test_year_benchmark_runs_on_a_small_province(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.bench import bench_year

    figures = bench_year.main(["--cadres", "300", "--units", "20"])
    out = capsys.readouterr().out
    assert "year publish" in out and "peak memory" in out and "ratio:" in out and "已发布" in out
    assert figures["publish_s"] > 0


def test_province_benchmark_runs_on_a_small_province(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_province.main(["--cadres", "140", "--units", "10"])
    out = capsys.readouterr().out
    assert "open a rating round" in out and "缺记统计" in out and "17:30 reminder fan-out" in out
    assert figures["remind"]["what"] == "140 recipients in 1 sends"


def test_copied_logs_benchmark_runs_on_a_small_province(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.bench import bench_copied_logs

    figures = bench_copied_logs.main(["--cadres", "60", "--days", "10", "--unit-size", "20", "--batch", "40"])
    out = capsys.readouterr().out
    assert "copied-log check" in out and "peak memory" in out and "ratio:" in out
    assert figures["logs"] == 600 and figures["flagged"] > 0

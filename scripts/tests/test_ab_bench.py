"""The A/B summary: medians per build, the ratio of the medians, and the ratio of each round."""

from __future__ import annotations

import pytest

from zsaga_scripts.ab_bench import figures, summarize

REPORT = {
    "levels": [{"transport": "ipc", "concurrency": 256, "sagas_per_s": 1000.0, "latency_ms": {"p50": 200.0},
                "cpu_s_per_saga": {"saga": 0.0005, "order": 0.00025}}],
    "tcp_levels": [{"transport": "tcp", "concurrency": 256, "sagas_per_s": 900.0, "latency_ms": {"p50": 210.0}}],
    "overload": {"transport": "ipc", "concurrency": 1024, "sagas_per_s": 800.0, "latency_ms": {"p50": 100.0}},
}


def test_figures_are_read_by_run() -> None:
    found = figures(REPORT)
    assert found["ipc-c256 sagas/s"] == 1000.0
    assert found["tcp-c256 p50 ms"] == 210.0
    assert found["ipc-c256 cpu ms/saga"] == pytest.approx(0.75)
    assert found["overload sagas/s"] == 800.0


def test_the_ratio_is_of_the_medians() -> None:
    rounds = [{"before": {"x": b}, "after": {"x": a}} for b, a in ((100.0, 90.0), (120.0, 130.0), (110.0, 99.0))]
    summary = summarize(rounds)["x"]
    assert summary["median_before"] == 110.0 and summary["median_after"] == 99.0
    assert summary["ratio"] == pytest.approx(0.9)
    assert summary["round_ratios"] == pytest.approx([0.9, 130 / 120, 0.9])

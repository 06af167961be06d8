"""The soak's verdicts, read off synthetic reports: each target can pass and can fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from zsaga_scripts.soak import PROCESSES, duration_s, verdicts


def sample(settled: int, rate: float, p99: float, rss: float = 80.0) -> dict[str, Any]:
    return {"t": settled / 400, "sagas": settled, "settled": settled, "in_flight": 0, "rate": rate, "p50_ms": p99 / 2,
            "p99_ms": p99, "rss_mb": {name: rss for name in PROCESSES}, "disk_mb": {name: 100.0 for name in PROCESSES},
            "monitor_lag_events": 0}


def report(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sagas": 1_000_000,
        "samples": [sample(s, 400.0, 900.0) for s in range(50_000, 1_000_001, 50_000)],
        "restarts": [{"process": "saga", "recovery_ms": 60}, {"process": "payment", "recovery_ms": 2}],
        "query_ms": {"GET /api/summary": 12.0}, "monitor_caught_up_s": 0.4, "check": {"violations": []},
    }
    base.update(changes)
    return base


def test_a_steady_run_meets_every_target() -> None:
    result = verdicts(report())
    for key in ["rss_ok", "disk_ok", "rate_ok", "p99_ok", "restart_ok", "monitor_lag_ok", "queries_ok", "check_ok"]:
        assert result[key], key


def test_each_target_can_fail() -> None:
    slow_end = report()
    for s in slow_end["samples"]:
        if s["settled"] >= 900_000:
            s["rate"], s["p99_ms"] = 300.0, 2000.0
    grown = copy.deepcopy(report())
    grown["samples"][-1]["rss_mb"]["monitor"] = 200.0
    result = verdicts(slow_end)
    assert not result["rate_ok"] and not result["p99_ok"]
    assert not verdicts(grown)["rss_ok"]
    filling = copy.deepcopy(report())
    filling["samples"][-1]["disk_mb"]["monitor"] = 130.0
    assert verdicts(report())["disk_at_end_over_20pct"]["monitor"] == 1.0
    assert not verdicts(filling)["disk_ok"]
    assert not verdicts(report(restarts=[{"process": "saga", "recovery_ms": 1500}]))["restart_ok"]
    assert not verdicts(report(monitor_caught_up_s=1.8))["monitor_lag_ok"]
    assert not verdicts(report(query_ms={"GET /api/summary": 207.0}))["queries_ok"]
    assert not verdicts(report(check={"violations": [{"check": "money"}]}))["check_ok"]


def test_durations_read_as_the_processes_take_them() -> None:
    assert duration_s("3m") == 180 and duration_s("90s") == 90 and duration_s("2h") == 7200 and duration_s("1d") == 86400
    assert duration_s("500ms") == 0.5
    with pytest.raises(ValueError):
        duration_s("three minutes")

"""The simulation gate's comparison: equal reports pass whatever their wall-clock time; any
other difference fails and is named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from zsaga_scripts.same_report import differences, main

RECORDED = {"runs": 2, "sagas": 192, "paths": {"exhausted": 3}, "log_digest": "00ff", "violation_count": 0}


def test_equal_reports_differ_in_nothing_but_time() -> None:
    assert differences(RECORDED, {**RECORDED, "seconds": 9.5}) == []


@pytest.mark.parametrize("change", [{"log_digest": "00fe"}, {"paths": {"exhausted": 4}}, {"extra": 1}])
def test_any_other_difference_is_named(change: dict[str, object]) -> None:
    found = differences(RECORDED, {**RECORDED, **change})
    assert len(found) == 1 and found[0].startswith(next(iter(change)))


def test_main_fails_on_a_difference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = tmp_path / "recorded.json"
    recorded.write_text(json.dumps(RECORDED))
    monkeypatch.setattr("sys.stdin", io.StringIO("runs 2\n" + json.dumps({**RECORDED, "seconds": 1.0}) + "\n"))
    assert main(["same_report", str(recorded)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({**RECORDED, "runs": 3}) + "\n"))
    assert main(["same_report", str(recorded)]) == 1

"""Compares a `zsaga-sim --json` report with a recorded one: every member but the wall-clock
`seconds` must be equal, `log_digest` (the saga logs to the byte) included.

    zsaga-sim --first-seed 1 --seeds 400 --json | tail -1 | python3 -m zsaga_scripts.same_report RECORDED.json

Exit status 1, naming each member that differs, when they are not the same.
"""

from __future__ import annotations

import json
import sys
from typing import Any

IGNORED = {"seconds"}


def differences(recorded: dict[str, Any], report: dict[str, Any]) -> list[str]:
    """The members (by name) whose values differ, each with both values."""
    found = []
    for key in sorted((set(recorded) | set(report)) - IGNORED):
        if recorded.get(key) != report.get(key):
            found.append(f"{key}: recorded {json.dumps(recorded.get(key))}, now {json.dumps(report.get(key))}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 -m zsaga_scripts.same_report RECORDED.json < report-line", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        recorded = json.load(file)
    lines = [line for line in sys.stdin.read().splitlines() if line.startswith("{")]
    if not lines:
        print("same_report: no JSON report on stdin", file=sys.stderr)
        return 2
    found = differences(recorded, json.loads(lines[-1]))
    if found:
        print(f"the simulation's report differs from {argv[1]}:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"the simulation's report is the recorded one ({argv[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Two builds of ZSaga against each other, alternating: `zsaga-bench all` from each build's
directory in turn, round after round, on fresh data directories, and the medians and ratios of
what each round measured. The machine is noisy: only ratios of rounds run side by side mean
anything (docs/PERFORMANCE.md, "How we measure").

    python3 -m zsaga_scripts.ab_bench --before /work/ab-base/.build/release --after .build/release \\
        --rounds 3 --out ab.json -- --sagas 30000 --concurrency 256

Everything after `--` goes to `zsaga-bench all` as it is. Build the older commit in a worktree
(`git worktree add ../ab-base COMMIT && swift build -c release --package-path ../ab-base`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def figures(report: dict[str, Any]) -> dict[str, float]:
    """The throughputs and latencies of one `zsaga-bench all` report, by run label."""
    out: dict[str, float] = {}
    runs = [(f"{run['transport']}-c{run['concurrency']}", run) for run in report.get("levels", []) + report.get("tcp_levels", [])]
    runs += [(name, report[key]) for name, key in (("scale-large", "scaling_large"), ("overload", "overload")) if key in report]
    for label, run in runs:
        out[f"{label} sagas/s"] = float(run["sagas_per_s"])
        out[f"{label} p50 ms"] = float(run["latency_ms"]["p50"])
        cpu = run.get("cpu_s_per_saga", {})
        if cpu:
            out[f"{label} cpu ms/saga"] = 1000 * sum(float(value) for value in cpu.values())
    return out


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per figure: each build's values, their medians, and after/before of the medians and per round."""
    names = sorted({name for entry in rounds for name in entry["before"]} & {name for entry in rounds for name in entry["after"]})
    out: dict[str, Any] = {}
    for name in names:
        before = [entry["before"][name] for entry in rounds if name in entry["before"]]
        after = [entry["after"][name] for entry in rounds if name in entry["after"]]
        median_before, median_after = statistics.median(before), statistics.median(after)
        out[name] = {
            "before": before, "after": after, "median_before": median_before, "median_after": median_after,
            "ratio": median_after / median_before if median_before else None,
            "round_ratios": [a / b if b else None for a, b in zip(after, before)],
        }
    return out


def run_bench(binaries: Path, data: Path, bench_args: list[str]) -> dict[str, Any]:
    out = data / "report.json"
    command = [str(binaries / "zsaga-bench"), "all", "--data-dir", str(data / "runs"), "--out", str(out), *bench_args]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main(argv: list[str]) -> int:
    if "--" in argv:
        split = argv.index("--")
        argv, bench_args = argv[:split], argv[split + 1:]
    else:
        bench_args = []
    parser = argparse.ArgumentParser(prog="ab_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the older build's directory of executables")
    parser.add_argument("--after", type=Path, required=True, help="the newer build's directory of executables")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    options = parser.parse_args(argv)
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="zsaga-ab-") as scratch:
        for index in range(options.rounds):
            entry: dict[str, Any] = {"round": index + 1}
            # The order alternates too, so neither build always runs on a machine the other warmed.
            order = ("before", "after") if index % 2 == 0 else ("after", "before")
            for which in order:
                data = Path(scratch) / f"{which}-{index}"
                started = time.time()
                report = run_bench(getattr(options, which), data, bench_args)
                entry[which] = figures(report)
                print(f"round {index + 1} {which}: {time.time() - started:.0f} s, "
                      + ", ".join(f"{k} {v:.1f}" for k, v in entry[which].items() if k.endswith("sagas/s")), file=sys.stderr)
            rounds.append(entry)
    summary = summarize(rounds)
    result = {"before": str(options.before), "after": str(options.after), "bench_args": bench_args, "rounds": rounds, "summary": summary}
    if options.out:
        options.out.write_text(json.dumps(result, indent=1))
    for name, figure in summary.items():
        print(f"{name:32} before {figure['median_before']:10.2f}  after {figure['median_after']:10.2f}  "
              f"ratio {figure['ratio']:.3f}  rounds {', '.join(f'{r:.3f}' for r in figure['round_ratios'] if r is not None)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env bash
# The seeded simulation of the orchestrator engine (zsaga-sim, release build) over many seeds:
# every run is the real engine among simulated participants on virtual time, with dropped,
# doubled and reordered messages, frozen participants, kills and crashes at every crash point,
# then every invariant checked. Writes the JSON report to bench-results/simulation-<first>-<n>.json.
#   ./scripts/simulate.sh [SEEDS] [FIRST_SEED]     (defaults: 20000 seeds from 1)
# Exit status 1 when any run breaks an invariant; `zsaga-sim --first-seed S --seeds 1` replays seed S.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-20000}
FIRST=${2:-1}
swift build -c release --product zsaga-sim >&2
mkdir -p bench-results
out="bench-results/simulation-$FIRST-$SEEDS.json"
status=0
.build/release/zsaga-sim --first-seed "$FIRST" --seeds "$SEEDS" --json | tee /dev/stderr | tail -n 1 > "$out" || status=$?
echo "report: $out" >&2
exit $status

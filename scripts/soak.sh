#!/usr/bin/env bash
# The soak benchmark: a fresh release cluster with a short retention window, at least 2,000,000
# sagas at 75% of its top throughput (measured after a warm-up of one retention window, with
# every process retiring), sampled every 10 s (RSS, disk, rate, p50/p99, monitor lag, what each
# process retired); SIGKILL and restart of the orchestrator and payment-service at 1,000,000; every
# dashboard call and list query timed at 300,000; `sagactl check` at the end. Writes
# bench-results/soak-<time>.json and .png (docs/PERFORMANCE.md, "The soak").
#   ./scripts/soak.sh [--sagas N] [--retention 3m] [--concurrency 256] [--home DIR]
# It uses the default ports (7001…7502, 8080): nothing else may run a cluster meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
python3 -c 'import zmq, matplotlib' 2>/dev/null || python3 -m pip install -q pyzmq matplotlib >&2
swift build -c release >&2
cd scripts
exec python3 -m zsaga_scripts.soak "$@"

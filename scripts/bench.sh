#!/usr/bin/env bash
# ZSaga's benchmark, in one go (release build, fresh data directories, durable commits):
#   1. the DBOS peer on this machine (SQLite in WAL mode, 1 and 8 in flight, same saga count),
#   2. the floor (ZeroMQ echo rate and round trip, fdatasync in the data directory),
#   3. ZSaga's cluster at concurrency 1, 16, 64 and 256 (the orchestrator reaching the services
#      over ipc, as ./scripts/cluster.sh runs it), and over tcp at 256,
#   4. scaling: 1,000 then 100,000 sagas; 5. overload against a small in-flight limit.
# Prints a table with the ratios and writes the JSON to $OUT (bench-results/bench-<time>.json).
#
# Environment: SAGAS (20000 per level), LARGE (100000; 0 skips scaling), PEER (1; 0 skips DBOS),
# PEER_SAGAS (2000), DATA (a scratch directory on the disk to measure; default /tmp/zsaga-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SAGAS=${SAGAS:-20000}
LARGE=${LARGE:-100000}
PEER=${PEER:-1}
PEER_SAGAS=${PEER_SAGAS:-2000}
DATA=${DATA:-/tmp/zsaga-bench}
mkdir -p bench-results
OUT=${OUT:-$ROOT/bench-results/bench-$(date +%Y%m%d-%H%M%S).json}

./scripts/bootstrap.sh
echo "== building (release)" >&2
swift build -c release >&2

rm -rf "$DATA"
mkdir -p "$DATA"
PEER_FILE="$DATA/peer.jsonl"
: > "$PEER_FILE"
PEER_DIR=${PEER_DIR:-$ROOT/../shared/peers/dbos}
if [ "$PEER" = 1 ] && [ -x "$PEER_DIR/run.sh" ]; then
  echo "== DBOS peer: SQLite WAL, C=1 and C=8, $PEER_SAGAS sagas (installs DBOS from PyPI on first use)" >&2
  BACKENDS=sqlite CONCS="1 8" N="$PEER_SAGAS" MICRO=0 EXTRA=--sqlite-wal "$PEER_DIR/run.sh" > "$PEER_FILE"
elif [ "$PEER" = 1 ]; then
  echo "== DBOS peer not found at $PEER_DIR; set PEER_DIR, or PEER=0 to skip it" >&2
fi

echo "== ZSaga" >&2
./.build/release/zsaga-bench all --data-dir "$DATA" --sagas "$SAGAS" --large "$LARGE" \
  --peer "$PEER_FILE" --out "$OUT"

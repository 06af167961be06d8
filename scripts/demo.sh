#!/usr/bin/env bash
# The main job: build ZSaga, start a local cluster (four services, the orchestrator and the
# monitor), run 200 order sagas (30% of payments are declined), show what happened, and point
# at the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ZSAGA_BIN_DIR:-$(pwd)/.build/release}

./scripts/cluster.sh up

echo
echo "== running 200 order sagas, 16 at a time"
"$BIN/sagactl" run --sagas 200 --concurrency 16 2>/dev/null

completed=$("$BIN/sagactl" list --state completed --limit 1 | cut -f1)
compensated=$("$BIN/sagactl" list --state compensated --limit 1 | cut -f1)
echo
echo "== a completed saga"
[ -n "$completed" ] && "$BIN/sagactl" status "$completed"
echo
echo "== a compensated saga"
[ -n "$compensated" ] && "$BIN/sagactl" status "$compensated"
echo
echo "== checking every invariant at the services"
"$BIN/sagactl" check | tail -n 1

HTTP=${ZSAGA_HTTP:-127.0.0.1:8080}
cat <<MSG

The dashboard (live: counts, health, throughput, latency, alerts, every saga's timeline):
  http://$HTTP/

Look further:
  $BIN/sagactl list --state compensated      # sagas that were rolled back
  $BIN/sagactl status SAGA_ID                # one saga's timeline
  $BIN/sagactl query inventory Stock         # any read model
  $BIN/sagactl events payment --follow       # a service's events as they happen
  $BIN/sagactl monitor stats                 # the monitor's cluster-wide view; also: alerts
  curl -s http://$HTTP/metrics               # Prometheus metrics of every process
  ./scripts/cluster.sh logs                  # the processes' logs
Stop the cluster:
  ./scripts/cluster.sh down
MSG

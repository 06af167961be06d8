#!/usr/bin/env bash
# Runs compose/docker-compose.yml's services as separate network hosts (Linux network
# namespaces on an isolated bridge), without Docker. Needs root and iproute2.
#
#   ./scripts/hosts.sh up                 build (release) if needed, start every service on its own host
#   ./scripts/hosts.sh status
#   ./scripts/hosts.sh partition payment  cut one host off the network (its link down)
#   ./scripts/hosts.sh heal [NAME]        restore it (or all)
#   ./scripts/hosts.sh exec -- sagactl run --sagas 500    run a client on the client host
#   ./scripts/hosts.sh down
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = up ] && [ -z "${ZSAGA_BIN_DIR:-}" ]; then
  ./scripts/bootstrap.sh
  swift build -c release >&2
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install -q pyyaml >&2 || { echo "hosts: Python's yaml module is missing (pip install pyyaml)" >&2; exit 1; }
fi
exec python3 scripts/hosts.py "$@"

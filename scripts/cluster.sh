#!/usr/bin/env bash
# Runs a local ZSaga cluster: the four services, the orchestrator and the monitor as background
# processes on loopback, with data and logs under ./data (or $ZSAGA_HOME).
#
#   ./scripts/cluster.sh up        build (release) if needed, start, wait until all answer a ping
#   ./scripts/cluster.sh up --secure   the same, secured with CurveZMQ: every connection encrypted
#                                  and authenticated; keys in $ZSAGA_HOME/keys (written on first
#                                  use: random, or derived from ZSAGA_CLUSTER_SECRET); clients
#                                  need ZSAGA_KEYS=$ZSAGA_HOME/keys (docs/SECURITY.md)
#   ./scripts/cluster.sh build     only the release build, when a source changed since the last one
#   ./scripts/cluster.sh down      stop with SIGTERM and wait (SIGKILL after 20 s)
#   ./scripts/cluster.sh status    which processes run, and whether they answer
#   ./scripts/cluster.sh logs [NAME] [-f]
#
# Environment: ZSAGA_HOME (./data), ZSAGA_STOCK (item1:10000,item2:10000,item3:10000 here, so
# demos do not run out; the service's own default is the original example's 100/50/25),
# ZSAGA_DECLINE_RATE (0.3), ZSAGA_TRANSPORT (ipc: the orchestrator reaches the services through
# socket files under $ZSAGA_HOME/sock; tcp: over loopback TCP), and every ZSAGA_* variable the
# executables read. Every process also listens on its loopback TCP port, which sagactl uses.
# The processes, their executables and ports come from the topology (`sagactl topology`: the
# built-in six, or the file ZSAGA_TOPOLOGY names, docs/TOPOLOGY.md), so a service added there
# is started here too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HOME_DIR=${ZSAGA_HOME:-$ROOT/data}
PIDS=$HOME_DIR/pids
LOGS=$HOME_DIR/logs
BIN=${ZSAGA_BIN_DIR:-$ROOT/.build/release}
PROCESSES=()          # start order: the services, the orchestrator, the monitor
declare -A EXE ROUTER PUB
TRANSPORT=${ZSAGA_TRANSPORT:-ipc}
SOCK=$HOME_DIR/sock
KEYS=$HOME_DIR/keys
SECURE_MARK=$HOME_DIR/secure
if [ "$TRANSPORT" = ipc ] && [ ${#SOCK} -gt 80 ]; then TRANSPORT=tcp; fi  # socket paths are short
export ZSAGA_STOCK=${ZSAGA_STOCK:-item1:10000,item2:10000,item3:10000}

load_topology() {  # fills PROCESSES, EXE, ROUTER and PUB from `sagactl topology`
  local name role exe router pub services=() orchestrator=() monitor=() table
  [ -x "$BIN/sagactl" ] || { echo "no $BIN/sagactl: run ./scripts/cluster.sh up first (it builds)" >&2; exit 1; }
  table=$("$BIN/sagactl" topology) || exit 1
  while IFS=$'\t' read -r name role exe router pub; do
    EXE[$name]=$exe; ROUTER[$name]=$router; PUB[$name]=$pub
    case $role in
      service) services+=("$name") ;;
      orchestrator) orchestrator+=("$name") ;;
      monitor) monitor+=("$name") ;;
    esac
  done <<< "$table"
  PROCESSES=("${services[@]}" "${orchestrator[@]}" "${monitor[@]}")
}

executable() { echo "${EXE[$1]}"; }
program() {  # program NAME -> the path that runs it: in $BIN, unless the topology gives an absolute path
  case "${EXE[$1]}" in /*) echo "${EXE[$1]}" ;; *) echo "$BIN/${EXE[$1]}" ;; esac
}

running() {  # running NAME -> 0 when its recorded PID is alive and is that executable
  local pidfile=$PIDS/$1.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q "$(executable "$1")" "/proc/$pid/cmdline" 2>/dev/null
}

# The release build runs only when a source, the manifest or the resolved versions changed since
# the last one that succeeded, or its package traits differ (its stamp): SwiftPM's own no-op
# build still plans every package and links the executables again, about 30 s here, at every
# `up`. The OTLP trace exporter (the package trait OTLP) is built when OTEL_TRACES_EXPORTER=otlp
# asks for it (docs/DASHBOARD.md, "Traces").
STAMP=$ROOT/.build/release/.zsaga-built
build() {
  ./scripts/bootstrap.sh
  [ -n "${ZSAGA_BIN_DIR:-}" ] && return 0
  local traits=()
  [ "${OTEL_TRACES_EXPORTER:-}" = otlp ] && traits=(--traits OTLP)
  local want="traits=${traits[*]:-default}"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$BIN/sagactl" ] \
     && [ -z "$(find "$ROOT/Sources" "$ROOT/Package.swift" "$ROOT/Package.resolved" -newer "$STAMP" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  echo "building (release${traits[*]:+, ${traits[*]}})…" >&2
  swift build -c release "${traits[@]}" >&2
  echo "$want" > "$STAMP"
}

# A secured cluster's clients (sagactl, the readiness pings) use the client key.
use_keys() {
  if [ -f "$SECURE_MARK" ] && [ -z "${ZSAGA_KEYS:-}" ]; then export ZSAGA_KEYS=$KEYS; fi
}

up() {
  local all=1 name secure=0
  [ "${1:-}" = --secure ] && secure=1
  if [ "$secure" = 0 ] && [ -f "$SECURE_MARK" ] && [ -n "$(ls "$PIDS" 2>/dev/null)" ]; then secure=1; fi
  if [ "$secure" = 1 ]; then mkdir -p "$HOME_DIR"; touch "$SECURE_MARK"; else rm -f "$SECURE_MARK"; fi
  use_keys
  build
  load_topology
  for name in "${PROCESSES[@]}"; do running "$name" || all=0; done
  if [ "$all" = 1 ]; then
    echo "cluster already running (data in $HOME_DIR)"
    endpoints
    return 0
  fi
  mkdir -p "$PIDS" "$LOGS"
  if [ "$secure" = 1 ]; then
    if [ ! -f "$KEYS/client.key" ]; then
      "$BIN/sagactl" keygen --cluster "$KEYS" >&2
      chmod 700 "$KEYS"
    fi
    export ZSAGA_KEYS=$KEYS
  fi
  local router pub
  if [ "$TRANSPORT" = ipc ]; then
    mkdir -p "$SOCK"
    for name in "${PROCESSES[@]}"; do
      [ "$name" = monitor ] && continue
      export "ZSAGA_$(variable "$name")_ROUTER=ipc://$SOCK/$name-router" "ZSAGA_$(variable "$name")_PUB=ipc://$SOCK/$name-pub"
    done
  fi
  for name in "${PROCESSES[@]}"; do
    if running "$name"; then continue; fi
    router=${ROUTER[$name]}
    pub=${PUB[$name]}
    if [ "$TRANSPORT" = ipc ]; then router="$router,ipc://$SOCK/$name-router"; pub="$pub,ipc://$SOCK/$name-pub"; fi
    setsid "$(program "$name")" --data-dir "$HOME_DIR/$name" --router "$router" --pub "$pub" \
      >>"$LOGS/$name.log" 2>&1 < /dev/null &
    echo $! > "$PIDS/$name.pid"
  done
  for _ in $(seq 1 150); do
    if "$BIN/sagactl" ping --timeout 300 >/dev/null 2>&1 && "$BIN/sagactl" ping monitor --timeout 300 >/dev/null 2>&1; then
      echo "cluster up (data and logs in $HOME_DIR; orchestrator to services over $TRANSPORT)"
      if [ "$secure" = 1 ]; then
        echo "secured with CurveZMQ; clients need the keys:  export ZSAGA_KEYS=$KEYS"
      fi
      endpoints
      return 0
    fi
    for name in "${PROCESSES[@]}"; do
      if ! running "$name"; then
        echo "$(executable "$name") exited during start; its log ($LOGS/$name.log) ends with:" >&2
        tail -n 20 "$LOGS/$name.log" >&2
        down >/dev/null 2>&1 || true
        return 1
      fi
    done
    sleep 0.2
  done
  echo "the cluster did not answer within 30 s; see $LOGS" >&2
  return 1
}

variable() { local upper=${1^^}; echo "${upper//-/_}"; }

endpoints() {
  ( for name in "${PROCESSES[@]}"; do unset "ZSAGA_$(variable "$name")_ROUTER"; done
    "$BIN/sagactl" ping 2>/dev/null ) || true
  echo "monitor	${ROUTER[monitor]:-}	(sagactl monitor stats, sagactl alerts)"
}

down() {
  local name pid
  for name in "${PROCESSES[@]}"; do
    if running "$name"; then kill -TERM "$(cat "$PIDS/$name.pid")"; fi
  done
  for name in "${PROCESSES[@]}"; do
    [ -f "$PIDS/$name.pid" ] || continue
    pid=$(cat "$PIDS/$name.pid")
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$(executable "$name") did not stop in 20 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDS/$name.pid"
  done
  echo "cluster stopped"
}

status() {
  local name code=0
  use_keys
  for name in "${PROCESSES[@]}"; do
    if running "$name"; then echo "$(executable "$name"): running, pid $(cat "$PIDS/$name.pid")"
    else echo "$(executable "$name"): not running"; code=1; fi
  done
  if [ -x "$BIN/sagactl" ]; then
    "$BIN/sagactl" ping --timeout 1000 || code=1
    "$BIN/sagactl" ping monitor --timeout 1000 || code=1
  fi
  return $code
}

logs() {
  local follow="" names=()
  for arg in "$@"; do if [ "$arg" = -f ]; then follow=1; else names+=("$arg"); fi; done
  [ ${#names[@]} -gt 0 ] || names=("${PROCESSES[@]}")
  local files=()
  for name in "${names[@]}"; do files+=("$LOGS/$name.log"); done
  if [ -n "$follow" ]; then tail -n 20 -F "${files[@]}"; else tail -n 40 "${files[@]}"; fi
}

case "${1:-}" in
  up) shift; up "$@" ;;
  build) build ;;
  down) load_topology; down ;;
  status) load_topology; status ;;
  logs) shift; load_topology; logs "$@" ;;
  *) echo "usage: $0 up [--secure]|build|down|status|logs [NAME] [-f]" >&2; exit 2 ;;
esac

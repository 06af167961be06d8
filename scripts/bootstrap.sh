#!/usr/bin/env bash
# Installs what ZSaga needs to build and test, and nothing when it is all present:
# libzmq (the C library and header, Debian package libzmq3-dev) and pkg-config; with
# --test-tools (or its old name --browser) also what some system tests use: Chromium for the
# dashboard's browser test and tcpdump for the capture test of the secured cluster (a failure
# there only warns: those tests then skip, saying why).
set -euo pipefail
TOOLS=0
case "${1:-}" in --test-tools|--browser) TOOLS=1 ;; esac

have_browser() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1
}

install_test_tools() {
  [ "$TOOLS" = 1 ] || return 0
  local packages=()
  have_browser || packages+=(chromium fonts-dejavu-core)
  command -v tcpdump >/dev/null 2>&1 || [ -x /usr/bin/tcpdump ] || [ -x /usr/sbin/tcpdump ] || packages+=(tcpdump)
  [ "${#packages[@]}" -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: no apt-get; install ${packages[*]} to run the browser and capture tests" >&2
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  echo "bootstrap: installing ${packages[*]} for the browser and capture tests" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2 \
    || { $sudo apt-get update -qq >&2 || true; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2; } \
    || echo "bootstrap: ${packages[*]} could not be installed; the tests that need them will be skipped" >&2
}

have_libzmq() {
  if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libzmq 2>/dev/null; then
    return 0
  fi
  # No pkg-config entry: accept a header plus a linkable library in the usual places.
  local inc lib
  for inc in /usr/include /usr/local/include; do
    [ -f "$inc/zmq.h" ] || continue
    for lib in /usr/lib/*-linux-gnu /usr/lib /usr/local/lib /usr/lib64; do
      if ls "$lib"/libzmq.so >/dev/null 2>&1; then return 0; fi
    done
  done
  return 1
}

# The tests read compose/docker-compose.yml with PyYAML and check it against the Compose schema
# with jsonschema; the scripts' own tests run under pytest and import pyzmq; the trace test's
# Python participant exports spans with opentelemetry-sdk, and its OTLP receiver decodes them
# with opentelemetry-proto (all from PyPI).
install_python_modules() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 -c 'import yaml, jsonschema, pytest, zmq, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, opentelemetry.proto' \
    2>/dev/null && return 0
  echo "bootstrap: installing PyYAML, jsonschema, pytest, pyzmq, opentelemetry-sdk and its OTLP/HTTP exporter" >&2
  python3 -m pip install -q pyyaml jsonschema pytest pyzmq opentelemetry-sdk opentelemetry-exporter-otlp-proto-http >&2 \
    || echo "bootstrap: could not install the Python modules" >&2
}

if have_libzmq; then
  install_test_tools
  install_python_modules
  exit 0
fi

echo "bootstrap: libzmq development files are missing; installing libzmq3-dev" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
bootstrap: this system has no apt-get, so libzmq cannot be installed automatically.
Install the ZeroMQ development package yourself, then run this script again:
  Fedora/RHEL: dnf install zeromq-devel      Alpine: apk add zeromq-dev
  Arch:        pacman -S zeromq              macOS:  brew install zeromq
MSG
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bootstrap: need root (or sudo) to run apt-get install libzmq3-dev" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2 || echo "bootstrap: apt-get update failed; trying the install anyway" >&2
$SUDO apt-get install -y -qq --no-install-recommends libzmq3-dev pkg-config >&2

if ! have_libzmq; then
  echo "bootstrap: libzmq3-dev was installed but libzmq still cannot be found" >&2
  exit 1
fi
echo "bootstrap: libzmq $(pkg-config --modversion libzmq 2>/dev/null || echo '(version unknown)') ready" >&2
install_test_tools
install_python_modules

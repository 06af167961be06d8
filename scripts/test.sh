#!/usr/bin/env bash
# Builds ZSaga and runs every test: unit, component and system tests (which start the real
# executables as separate processes). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh --test-tools

echo "== build (debug, with tests)"
swift build --build-tests

echo "== tests"
# System tests find the executables next to the test bundle (see Tests/TestSupport/Binaries.swift).
swift test --skip-build "$@"

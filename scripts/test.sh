#!/usr/bin/env bash
# Builds ZSaga and runs every test: unit, component and system tests (which start the real
# executables as separate processes). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh --test-tools

echo "== build (debug, with tests, with the OTLP trace exporter: the trace test needs it)"
swift build --build-tests --traits OTLP

echo "== the example participant, as a package of its own (Examples/LoyaltyService)"
# Resolved again first: its pins do not notice a change of ZSaga's own dependencies (by path).
swift package --package-path Examples/LoyaltyService resolve
swift build --package-path Examples/LoyaltyService

echo "== tests"
# System tests find the executables next to the test bundle (see Tests/TestSupport/Binaries.swift).
swift test --skip-build "$@"

if [ "$#" -eq 0 ]; then
  echo "== script tests (pytest; bootstrap.sh installed it)"
  (cd scripts && python3 -m pytest -q tests)
  echo "== the Python package (clients/python: installed, then its pytest suite)"
  python3 -m pip install -q ./clients/python
  (cd clients/python && python3 -m pytest -q)
fi

# The seeded simulation of the orchestrator engine at full speed: a release build, a fixed
# budget of 400 seeds (about 38,000 sagas). Longer runs: ./scripts/simulate.sh. Its report,
# the digest of the saga logs it wrote among it, must be the recorded one: the engine decides
# exactly as the build that recorded it did (Tests/Fixtures/README.md says when to record anew).
if [ "$#" -eq 0 ]; then
  echo "== simulation (release, 400 seeds), against Tests/Fixtures/simulation/seeds-1-400.json"
  swift build -c release --product zsaga-sim
  .build/release/zsaga-sim --first-seed 1 --seeds 400 --json | tee .build/simulation-report.txt
  (cd scripts && python3 -m zsaga_scripts.same_report ../Tests/Fixtures/simulation/seeds-1-400.json) < .build/simulation-report.txt
fi

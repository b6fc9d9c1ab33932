#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install, build, and run the whole test suite
# (everything but the `slow` label). Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash tools/validate/install.sh  # glTF-Validator for the export tests (pinned, npm ci)
bash tools/cesium/install.sh    # CesiumJS + puppeteer-core for the CesiumJS test (pinned, npm ci)
bash scripts/build.sh
# OpenMP (Open3D) threads must not busy-wait while ctest runs tests side by side.
export OMP_WAIT_POLICY=PASSIVE
ctest --test-dir build --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 1200 -LE slow "$@"

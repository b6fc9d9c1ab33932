#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install, build, and run the whole test suite
# (everything but the `slow` label). Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 1200 -LE slow "$@"

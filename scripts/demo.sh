#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install, build, and run `muta demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/bin/muta demo "$@"

#!/usr/bin/env bash
# Installs the pinned CesiumJS and puppeteer-core (package-lock.json) into
# tools/cesium/node_modules for the CesiumJS export test (tests/export_cesium_test.cpp).
# puppeteer-core drives Debian's /usr/bin/chromium (scripts/install-deps.sh) and downloads no
# browser. Skips when the pinned versions are already there; uses npm's cache first
# (--prefer-offline). Never fails the caller: without node/npm or the registry, the test skips
# with a message instead.
set -uo pipefail
cd "$(dirname "$0")"
export PUPPETEER_SKIP_DOWNLOAD=1
version() { sed -n 's/.*"version": "\([^"]*\)".*/\1/p' "$1" 2>/dev/null | head -n1; }
want_cesium=$(sed -n 's/.*"cesium": "\([^"]*\)".*/\1/p' package.json | head -n1)
want_driver=$(sed -n 's/.*"puppeteer-core": "\([^"]*\)".*/\1/p' package.json | head -n1)
have_cesium=$(version node_modules/cesium/package.json)
have_driver=$(version node_modules/puppeteer-core/package.json)
if [[ -n "$want_cesium" && "$want_cesium" == "$have_cesium" && "$want_driver" == "$have_driver" ]]; then
  echo "cesium: cesium $have_cesium and puppeteer-core $have_driver already installed"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "cesium: npm not found; the CesiumJS test will be skipped" >&2
  exit 0
fi
start=$SECONDS
if npm ci --no-audit --no-fund --prefer-offline --loglevel=error; then
  echo "cesium: cesium $want_cesium and puppeteer-core $want_driver installed in" \
       "$((SECONDS - start)) s ($(du -sh node_modules | cut -f1))"
else
  echo "cesium: npm ci failed; the CesiumJS test will be skipped" >&2
fi
exit 0

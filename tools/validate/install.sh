#!/usr/bin/env bash
# Installs the pinned Khronos glTF-Validator (package-lock.json) into tools/validate/node_modules
# for the export tests. Skips when it is already there; uses npm's cache first (--prefer-offline).
# Never fails the caller: without node/npm or the registry, the validator test skips with a
# message instead.
set -uo pipefail
cd "$(dirname "$0")"
want=$(sed -n 's/.*"gltf-validator": "\([^"]*\)".*/\1/p' package.json | head -n1)
have=$(sed -n 's/.*"version": "\([^"]*\)".*/\1/p' node_modules/gltf-validator/package.json 2>/dev/null | head -n1)
if [[ -n "$want" && "$want" == "$have" ]]; then
  echo "validate: gltf-validator $have already installed"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "validate: npm not found; the glTF-Validator test will be skipped" >&2
  exit 0
fi
if npm ci --no-audit --no-fund --prefer-offline --loglevel=error; then
  echo "validate: gltf-validator $want installed"
else
  echo "validate: npm ci failed; the glTF-Validator test will be skipped" >&2
fi
exit 0

#!/usr/bin/env bash
# Installs the Debian 12 packages Muta needs to build, test and run. Idempotent: packages
# already present are left alone (apt-get only installs what is missing). Works as root or
# through sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  # core libraries
  libeigen3-dev libtbb-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libtinygltf-dev libstb-dev libopenimageio-dev libnanoflann-dev
  # reconstruction: meshing (Open3D Poisson), simplification/LOD (meshoptimizer)
  libopen3d-dev libmeshoptimizer-dev
  # the graph-cut mesher (--mesher delaunay): CGAL's Delaunay tetrahedralisation, Boost.Graph's
  # max-flow (header-only)
  libcgal-dev libboost-dev
  # the learned completion network (3D U-Net, CPU): libtorch
  libtorch-dev
  # tests and benchmarks
  catch2 libbenchmark-dev
  # structure from motion (CLI, CPU build); SQLite to read the features COLMAP writes into its
  # database, which our own descriptor matcher compares
  colmap libsqlite3-dev
  # rendering: GL 4.5 core through EGL (headless, Mesa llvmpipe) or a GLFW window; xvfb for
  # running the window backend without a display
  libegl-dev libopengl-dev libgl-dev libepoxy-dev libglfw3-dev libegl-mesa0 libgl1-mesa-dri
  xvfb xauth
  # the desktop viewer's UI: Dear ImGui (static library with its GLFW and OpenGL 3 backends)
  libimgui-dev
  # OpenXR: the Khronos loader and headers, its core validation layer (tests of xr/sim and
  # `muta xr`), openxr_runtime_list, and Xlib for the GLX binding
  libopenxr-dev libopenxr-loader1 openxr-layer-corevalidation libopenxr-utils libx11-dev
)
# CesiumJS check of the exported tileset (tools/cesium): Debian's Chromium, driven headless by
# puppeteer-core with software WebGL (SwiftShader, built into Chromium)
PACKAGES+=(chromium)
# glTF-Validator for the export tests (tools/validate): node and npm from Debian, unless a node
# and npm are already installed (e.g. NodeSource's nodejs, which conflicts with Debian's npm)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: run as root or install sudo" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

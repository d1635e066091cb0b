#!/usr/bin/env bash
# Configures and builds fx into BUILD_DIR (default build/). FX_SANITIZE=1 builds with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=${FX_SANITIZE:-0}
build_dir=${BUILD_DIR:-$([[ $sanitize == 1 ]] && echo build-asan || echo build)}
# ccache keys on paths relative to the repo, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
# The sanitizer build is for finding bugs, not for speed: -O1 compiles much faster than -O2.
build_type=$([[ $sanitize == 1 ]] && echo Debug || echo RelWithDebInfo)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=$build_type \
  -DFX_SANITIZE=$([[ $sanitize == 1 ]] && echo ON || echo OFF) >/dev/null
cmake --build "$build_dir"

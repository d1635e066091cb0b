#!/usr/bin/env bash
# Builds fx and runs every test: Catch2 unit tests and the end-to-end tests (the real fx
# binary, a real emulator on a loopback port, real Python and Node, the real AWS CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo "test.sh: dependencies and build took $SECONDS s"
sanitize=${FX_SANITIZE:-0}
build_dir=${BUILD_DIR:-$([[ $sanitize == 1 ]] && echo build-asan || echo build)}
cd "$build_dir"
ctest --output-on-failure -j2 --timeout 600

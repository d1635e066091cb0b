#!/usr/bin/env bash
# fx benchmark for issue 13: a fault-injection load test. Thousands of invocations, a tenth of
# them crashing, timing out or running out of memory, mixed with malformed API requests and a
# kill -9 of the emulator mid-run; it counts what was answered, logged, metered and lost.
# See bench/README.md, "Issue 13".     bench/faults.sh [--calls N] [--clients C]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out="$here/results/faults-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/faults/faults.py" --fx "$FX_BIN" --out "$out" "$@"

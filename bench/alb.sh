#!/usr/bin/env bash
# fx benchmark for issue 17: an alb route on the emulator's ALB port beside the gateway route
# of the same function, in the same run. See bench/README.md, "Issue 17". Needs wrk.
#   bench/alb.sh      FXBENCH_ALB_DURATION (10s), FXBENCH_ALB_ROUNDS (3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/alb-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/alb/alb.py" --fx "$FX_BIN" --out "$out" "$@"

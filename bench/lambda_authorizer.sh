#!/usr/bin/env bash
# fx benchmark for issue 18: the gateway's throughput on one route with a cached Lambda
# authorizer and on the same function's route without one, in the same run. See
# bench/README.md, "Issue 18 — Lambda authorizers". Needs wrk.
#   bench/lambda_authorizer.sh   FXBENCH_AUTH_DURATION (10s), FXBENCH_AUTH_ROUNDS (3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/lambda-authorizer-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/lambda_authorizer/lambda_authorizer.py" --fx "$FX_BIN" --out "$out" "$@"

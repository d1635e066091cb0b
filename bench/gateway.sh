#!/usr/bin/env bash
# fx benchmark for issue 5: the HTTP gateway with wrk, beside serverless-offline.
# See bench/README.md, "Issue 5". Needs wrk (apt-get install -y wrk); serverless@3 and
# serverless-offline@13 come from bench/run.sh's npm folder (FXBENCH_NPM_DIR).
#   bench/gateway.sh [--no-peers]      FXBENCH_GW_DURATION (10s), FXBENCH_GW_ROUNDS (3), FXBENCH_GW_LONG (100000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/gateway-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/gateway/gateway.py" --fx "$FX_BIN" --out "$out" "$@"

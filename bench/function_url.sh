#!/usr/bin/env bash
# fx benchmark for issue 17: one function through its function URL (the gateway's port, by
# host name) beside the same function through an httpApi route, in the same run. See
# bench/README.md, "Issue 17 — function URLs". Needs wrk.
#   bench/function_url.sh      FXBENCH_URL_DURATION (10s), FXBENCH_URL_ROUNDS (3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/function_url-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/function_url/function_url.py" --fx "$FX_BIN" --out "$out" "$@"

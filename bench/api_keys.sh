#!/usr/bin/env bash
# fx benchmark for issue 18: the gateway's throughput on the same hello function behind an
# `http` route with and without `private: true` (an API key in a usage plan), same run. See
# bench/README.md, "Issue 18 — API keys". Needs wrk (apt-get install -y wrk).
#   bench/api_keys.sh   FXBENCH_KEYS_DURATION (10s), FXBENCH_KEYS_ROUNDS (3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/api_keys-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/api_keys/api_keys_bench.py" --fx "$FX_BIN" --out "$out" \
  --duration "${FXBENCH_KEYS_DURATION:-10s}" --rounds "${FXBENCH_KEYS_ROUNDS:-3}" "$@"

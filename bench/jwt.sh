#!/usr/bin/env bash
# fx benchmark for issue 18: the gateway's throughput on the same hello function with and
# without a JWT authorizer (RS256 and ES256 tokens), same run. See bench/README.md,
# "Issue 18 — JWT authorizer". Needs wrk (apt-get install -y wrk) and Python's cryptography.
#   bench/jwt.sh        FXBENCH_JWT_DURATION (10s), FXBENCH_JWT_ROUNDS (3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/jwt-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/jwt/jwt_bench.py" --fx "$FX_BIN" --out "$out" \
  --duration "${FXBENCH_JWT_DURATION:-10s}" --rounds "${FXBENCH_JWT_ROUNDS:-3}" "$@"

#!/usr/bin/env bash
# fx benchmarks — the entry point. See bench/README.md.
#
#   bench/run.sh [--only abc] [--no-peers] [--keep-work]
#
# FX_BIN            the fx binary (default: build/fx under the repo root)
# FXBENCH_NPM_DIR   where the npm peers (serverless@3, serverless-offline) live; installed there
#                   with npm on first use (default /tmp/fxbench-npm, outside the repo)
# FXBENCH_FX_RUNS / _AWS_RUNS / _SLS_RUNS / _WARM_N / _COLD_N / _IMPORT_RUNS  loop sizes
#                   (defaults 100 / 30 / 30 / 2000 / 15 / 30)
#
# Raw results go to bench/results/<UTC time>/ (git-ignored); the summary is printed.
# Loopback only, bounded loops, about 4-5 minutes on a 2-core machine.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export FXBENCH_NPM_DIR="${FXBENCH_NPM_DIR:-/tmp/fxbench-npm}"

die() { echo "bench: $*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is needed"
command -v hyperfine >/dev/null || die "hyperfine is needed: apt-get install -y hyperfine"
command -v "${CC:-cc}" >/dev/null || die "a C compiler is needed (cc) for bench/lambda_client.c"

no_peers=0
for a in "$@"; do [ "$a" = "--no-peers" ] && no_peers=1; done

# The Serverless Framework v3 and serverless-offline, from the npm registry, outside the repo.
if [ "$no_peers" = 0 ] && [ ! -x "$FXBENCH_NPM_DIR/node_modules/.bin/serverless" ]; then
  if command -v npm >/dev/null; then
    echo "bench: installing serverless@3 and serverless-offline@13 into $FXBENCH_NPM_DIR (once, ~1 min)" >&2
    mkdir -p "$FXBENCH_NPM_DIR"
    (cd "$FXBENCH_NPM_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund --loglevel=error serverless@3 serverless-offline@13 >&2) ||
      echo "bench: npm install failed: the Serverless Framework peers will be skipped" >&2
  else
    echo "bench: no npm: the Serverless Framework peers will be skipped" >&2
  fi
fi

out="$here/results/$(date -u +%Y%m%dT%H%M%SZ)"
echo "bench: fx = $FX_BIN ($("$FX_BIN" --version 2>/dev/null || echo '?')), results in $out" >&2
exec python3 "$here/bench.py" --fx "$FX_BIN" --out "$out" "$@"

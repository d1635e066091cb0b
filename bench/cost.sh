#!/usr/bin/env bash
# fx benchmarks for issue 4 (usage and cost). See bench/README.md, "Issue 4".
#
#   bench/cost.sh [--only ab] [--no-peers] [--keep-work]
#
#   (a) `fx cost` over one million usage records (goal <= 1 s)
#   (b) `fx logs -f`: a handler's print to the line on stdout (goal <= 100 ms), beside
#       serverless-offline's console (installed by bench/run.sh into FXBENCH_NPM_DIR)
#
# FX_BIN (default build/fx), FXBENCH_COST_RECORDS (1000000), FXBENCH_COST_RUNS (10),
# FXBENCH_LOG_LINES (50). Loopback only, its own FX_HOME and emulator. About 1-2 minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed: apt-get install -y hyperfine" >&2; exit 1; }
out="$here/results/cost-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/cost/cost.py" --fx "$FX_BIN" --out "$out" "$@"

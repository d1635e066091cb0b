#!/usr/bin/env bash
# Runs bench/run.sh, bench/gateway.sh and bench/scaling.sh (fx only, no peers) for two fx
# builds, alternating builds within each benchmark so that both see the same machine at the
# same minutes: the "before and after" of a change that must not make fx slower.
#
#   bench/side_by_side.sh OLD_FX NEW_FX [ROUNDS]     (default 2 rounds; ~6 min a round)
#
# Summaries go to bench/results/side-by-side-<UTC time>/<bench>-<old|new>-<round>.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
old=$(realpath "$1") new=$(realpath "$2") rounds=${3:-2}
out="$here/results/side-by-side-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  for bench in run gateway scaling; do
    # Alternate which build goes first, so neither always runs on a warmer machine.
    if ((r % 2)); then order=(old new); else order=(new old); fi
    for which in "${order[@]}"; do
      bin=$old
      [[ $which == new ]] && bin=$new
      echo "side-by-side: round $r, $bench, $which ($bin)" >&2
      args=(--no-peers)
      [[ $bench == scaling ]] && args=()
      FX_BIN=$bin "$here/$bench.sh" "${args[@]}" >"$out/$bench-$which-$r.txt" 2>&1 ||
        echo "side-by-side: $bench failed for $which (see $out/$bench-$which-$r.txt)" >&2
    done
  done
done
echo "$out"

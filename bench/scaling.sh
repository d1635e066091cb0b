#!/usr/bin/env bash
# fx benchmark for issue 6: scaling out under load, memory per idle instance, and the
# emulator's own memory with 100 idle instances. See bench/README.md, "Issue 6".
# Needs wrk (apt-get install -y wrk).   bench/scaling.sh    FXBENCH_SCALE_DURATION (30s)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
FX_BIN="${FX_BIN:-$repo/build/fx}"
case "$FX_BIN" in /*) ;; *) FX_BIN="$repo/$FX_BIN" ;; esac
[ -x "$FX_BIN" ] || { echo "bench: no fx binary at $FX_BIN" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is needed: apt-get install -y wrk" >&2; exit 1; }
out="$here/results/scaling-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/scaling/scaling.py" --fx "$FX_BIN" --out "$out" "$@"

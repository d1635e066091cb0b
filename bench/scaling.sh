#!/usr/bin/env bash
# fx benchmark for issue 6: scaling out under load, memory per idle instance, and the
# emulator's own memory with 100 idle instances. See bench/README.md, "Issue 6".
# Needs wrk (apt-get install -y wrk).   bench/scaling.sh    FXBENCH_SCALE_DURATION (30s)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_wrk
out="$here/results/scaling-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/scaling/scaling.py" --fx "$FX_BIN" --out "$out" "$@"

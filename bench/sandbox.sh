#!/usr/bin/env bash
# fx benchmark for issue 14: what the sandbox adds to a cold start, Python and Node, against
# the same functions run without it (FX_SANDBOX=off), side by side in one run.
# See bench/README.md, "Issue 14".     bench/sandbox.sh [--rounds N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out="$here/results/sandbox-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/sandbox/sandbox.py" --fx "$FX_BIN" --out "$out" "$@"

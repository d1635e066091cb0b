#!/usr/bin/env bash
# fx benchmark for issue 17: a warm invocation unqualified, via an alias, via a weighted alias.
# See bench/README.md, "Issue 17".     bench/versions.sh [--rounds N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out="$here/results/versions-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec nice python3 "$here/versions/versions.py" --fx "$FX_BIN" --out "$out" "$@"

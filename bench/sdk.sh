#!/usr/bin/env bash
# fx benchmark for issue 16: the cold start of functions that load the SDK their runtime
# provides (boto3; @aws-sdk/client-dynamodb), on two builds side by side (before/after).
# See bench/README.md, "Issue 16".     bench/sdk.sh OLD_FX [--rounds N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
old="${1:?usage: bench/sdk.sh OLD_FX [--rounds N]}"
shift
out="$here/results/sdk-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/sdk/sdk.py" --old "$old" --new "$FX_BIN" --out "$out" "$@"

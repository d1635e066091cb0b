#!/usr/bin/env bash
# fx benchmark for issue 16 (c): a DynamoDB write -> the stream consumer invoked, median
# latency. See bench/README.md, "Issue 16: DynamoDB streams".
#   bench/dynamodb_stream.sh      FXBENCH_STREAM_WRITES (300), FXBENCH_STREAM_GAP_MS (30)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out="$here/results/dynamodb-stream-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/dynamodb_stream/stream.py" --fx "$FX_BIN" --out "$out" "$@"

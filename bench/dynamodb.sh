#!/usr/bin/env bash
# fx benchmark for issue 16: DynamoDB on the emulator's endpoint beside moto's, in one run.
# See bench/README.md, "Issue 16: DynamoDB".
#   bench/dynamodb.sh [--only abd]   FXBENCH_DDB_N (2000), FXBENCH_DDB_ITEMS (1000000),
#                                    FXBENCH_DDB_QUERIES (1000), FXBENCH_DDB_LOAD (100000),
#                                    FXBENCH_DDB_CLIENTS (4)
# Needs python3 with moto (python3 -m moto.server); ~5 minutes, ~1 GB in a temp dir.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto.server" 2>/dev/null || { echo "bench: python3 needs moto (moto.server)" >&2; exit 1; }
out="$here/results/dynamodb-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/dynamodb/dynamodb.py" --fx "$FX_BIN" --out "$out" "$@"

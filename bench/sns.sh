#!/usr/bin/env bash
# fx benchmark for issue 19 (SNS): Publish throughput on the emulator and on moto side by side
# in one run, and publish -> function invoked latency on the emulator. See bench/README.md,
# "Issue 19 — SNS".
#   bench/sns.sh      FXBENCH_SNS_N (2000 publishes per round), FXBENCH_SNS_ROUNDS (3),
#                     FXBENCH_SNS_LATENCY_N (100 publishes to a function)
# Needs python3 with moto (python3 -m moto.server) and python3.12 for the function; ~2 minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto.server" 2>/dev/null || { echo "bench: python3 needs moto (moto.server)" >&2; exit 1; }
exec python3 "$here/sns/sns.py" --fx "$FX_BIN" "$@"

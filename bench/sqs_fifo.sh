#!/usr/bin/env bash
# fx benchmark for issue 17: SQS FIFO queues beside standard ones, on the emulator and on moto,
# in one run. See bench/README.md, "Issue 17: SQS FIFO queues".
#   bench/sqs_fifo.sh      FXBENCH_SQS_N (2000 messages per queue), FXBENCH_SQS_GROUPS (10)
# Needs python3 with moto (python3 -m moto.server); about a minute.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto.server" 2>/dev/null || { echo "bench: python3 needs moto (moto.server)" >&2; exit 1; }
exec python3 "$here/sqs_fifo/sqs_fifo.py" --fx "$FX_BIN" "$@"

#!/usr/bin/env bash
# fx benchmark for issue 19 (S3): PutObject and GetObject of 1 KiB and 8 MiB objects on the
# emulator and on moto side by side in one run, and the emulator's peak memory. See
# bench/README.md, "Issue 19 — S3".
#   bench/s3.sh      FXBENCH_S3_SMALL_N (500 requests), FXBENCH_S3_LARGE_N (20), FXBENCH_S3_ROUNDS (3)
# Needs python3 with moto (python3 -m moto.server); a minute or two.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto.server" 2>/dev/null || { echo "bench: python3 needs moto (moto.server)" >&2; exit 1; }
exec python3 "$here/s3/s3.py" --fx "$FX_BIN" "$@"

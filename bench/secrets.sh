#!/usr/bin/env bash
# fx benchmark for issue 18: GetParameter (a SecureString, decrypted) and GetSecretValue on the
# emulator and on moto side by side in one run. See bench/README.md, "Issue 18 — parameters and
# secrets".
#   bench/secrets.sh      FXBENCH_SECRETS_N (2000 requests per operation), FXBENCH_SECRETS_ROUNDS (3)
# Needs python3 with moto (python3 -m moto.server); under a minute.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto.server" 2>/dev/null || { echo "bench: python3 needs moto (moto.server)" >&2; exit 1; }
exec python3 "$here/secrets/secrets.py" --fx "$FX_BIN" "$@"

#!/usr/bin/env bash
# fx benchmark for issue 7: `fx deploy --target aws` of 20 functions against moto on loopback,
# a full first deploy beside a redeploy with one function changed (which must upload exactly
# one function's code, counted by a proxy in front of moto). See bench/README.md, "Issue 7".
#   bench/aws_deploy.sh            FXBENCH_AWS_DEPLOY_RUNS (5) repetitions; medians reported
# Needs python3 with moto and boto3 (both on this machine's Python).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto, boto3" 2>/dev/null || { echo "bench: python3 needs moto and boto3" >&2; exit 1; }
out="$here/results/aws-deploy-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 "$here/aws/aws_deploy.py" --fx "$FX_BIN" --out "$out" "$@"

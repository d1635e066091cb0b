#!/usr/bin/env bash
# fx benchmark for issue 18 item 5: an unchanged `fx deploy --target aws` redeploy of a service
# with FXBENCH_APIGW_ROUTES (30) routes against moto on loopback, its time and the calls it
# sends (counted by the proxy in front of moto). See bench/README.md, "Issue 18 — API Gateway
# on AWS".
#   bench/apigw_aws.sh                         this build alone
#   FX_BEFORE=/path/to/old/fx bench/apigw_aws.sh   the two side by side, alternating
# Needs python3 with moto and boto3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
python3 -c "import moto, boto3" 2>/dev/null || { echo "bench: python3 needs moto and boto3" >&2; exit 1; }
out="$here/results/apigw-aws-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
binaries=(--fx "after=$FX_BIN")
[ -n "${FX_BEFORE:-}" ] && binaries=(--fx "before=$FX_BEFORE" "${binaries[@]}")
exec python3 "$here/aws/apigw_aws.py" "${binaries[@]}" --out "$out" "$@"

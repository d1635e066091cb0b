#!/usr/bin/env bash
# fx benchmark for issue 17: what checking a Node function's runtime SDK imports at deploy
# (an @aws-sdk/* package beyond fx's list is installed once, at the deploy that first needs it)
# adds to an unchanged redeploy, beside a binary without the check (BEFORE_BIN), in the same
# run, each with its own FX_HOME and throwaway emulator. See bench/README.md, "Issue 17 — SDK
# clients". The first deploy (outside the timing) needs npm's registry for @aws-sdk/client-sts.
#   BEFORE_BIN=/path/to/older/fx bench/sdk_packages.sh [RUNS]   (default 15; needs hyperfine)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed" >&2; exit 1; }
[ -x "${BEFORE_BIN:-}" ] || { echo "bench: set BEFORE_BIN to the fx to compare with" >&2; exit 1; }
runs="${1:-15}"
out="$here/results/sdk_packages-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
work="$(mktemp -d)"
stop_all() {
  FX_HOME="$work/before/home" "$BEFORE_BIN" emulator stop >/dev/null 2>&1 || true
  FX_HOME="$work/after/home" "$FX_BIN" emulator stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop_all EXIT

# One service of 4 Node functions, two importing a listed client, two one beyond the list.
for side in before after; do
  dir="$work/$side/svc"
  mkdir -p "$dir"
  {
    echo "service: sdk$side"
    echo "provider: {name: aws, runtime: nodejs20.x}"
    echo "functions:"
    for f in a b; do echo "  $f: {handler: listed.handler}"; done
    for f in c d; do echo "  $f: {handler: extra.handler}"; done
  } >"$dir/serverless.yaml"
  echo "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
exports.handler = async () => typeof DynamoDBClient;" >"$dir/listed.js"
  echo "const { STSClient } = require('@aws-sdk/client-sts');
exports.handler = async () => typeof STSClient;" >"$dir/extra.js"
  bin="$FX_BIN"
  [ "$side" = before ] && bin="$BEFORE_BIN"
  export FX_HOME="$work/$side/home"
  "$bin" emulator start --port 0 --json >"$out/emulator-$side.json"
  (cd "$dir" && "$bin" deploy >/dev/null 2>"$out/first-deploy-$side.err")
  (cd "$dir" && nice hyperfine --runs "$runs" --warmup 1 -N \
    --export-json "$out/unchanged-$side.json" "$bin deploy" >/dev/null)
done

python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def median(side):
    with open(f"{out}/unchanged-{side}.json") as f:
        return statistics.median(json.load(f)["results"][0]["times"])
before, after = median("before"), median("after")
print("| unchanged redeploy, 4 Node functions | before | after | ratio |")
print("|---|---|---|---|")
print(f"| median of the runs | {before * 1000:.0f} ms | {after * 1000:.0f} ms | {after / before:.2f} |")
PY
echo "results in $out"

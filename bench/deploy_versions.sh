#!/usr/bin/env bash
# fx benchmark for issue 17: what publishing versions (provider.versionFunctions, the default)
# adds to `fx deploy` of an unchanged and of a changed service, beside the same service with
# versionFunctions: false, in the same run on the same throwaway emulator. See bench/README.md,
# "Issue 17 — versions at deploy".
#   bench/deploy_versions.sh [RUNS]     (default 15 runs per case; needs hyperfine)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed" >&2; exit 1; }
runs="${1:-15}"
out="$here/results/deploy_versions-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
work="$(mktemp -d)"
export FX_HOME="$work/home"
trap '"$FX_BIN" emulator stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$FX_BIN" emulator start --port 0 --json >"$out/emulator.json"

# Two copies of one service of 4 Python functions, one publishing versions and one not.
for mode in on off; do
  dir="$work/$mode"
  mkdir -p "$dir"
  flag=true
  [ "$mode" = off ] && flag=false
  {
    echo "service: bench$mode"
    echo "provider: {name: aws, runtime: python3.11, versionFunctions: $flag}"
    echo "functions:"
    for f in a b c d; do echo "  $f: {handler: app.handler}"; done
  } >"$dir/serverless.yaml"
  echo 'def handler(event, context): return 1' >"$dir/app.py"
  (cd "$dir" && "$FX_BIN" deploy >/dev/null)
done

for mode in on off; do
  dir="$work/$mode"
  # Unchanged: nothing to push, nothing to publish (versions are only read).
  (cd "$dir" && nice hyperfine --runs "$runs" --warmup 1 -N \
    --export-json "$out/unchanged-$mode.json" "$FX_BIN deploy" >/dev/null)
  # Changed: every run edits the code, so every function is updated (and, on, published).
  (cd "$dir" && nice hyperfine --runs "$runs" --warmup 1 \
    --prepare "echo \"# \$(date +%s%N)\" >> $dir/app.py" \
    --export-json "$out/changed-$mode.json" "$FX_BIN deploy >/dev/null" >/dev/null)
done

python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def median(case, mode):
    with open(f"{out}/{case}-{mode}.json") as f:
        return statistics.median(json.load(f)["results"][0]["times"])
print("| deploy of 4 functions | versionFunctions: false | versionFunctions: true | ratio |")
print("|---|---|---|---|")
for case in ("unchanged", "changed"):
    off, on = median(case, "off"), median(case, "on")
    print(f"| {case} | {off * 1000:.0f} ms | {on * 1000:.0f} ms | {on / off:.2f} |")
PY
echo "results in $out"

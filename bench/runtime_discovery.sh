#!/usr/bin/env bash
# fx benchmark for issue 17 (runtimes as Lambda's): what interpreter discovery costs a deploy
# and a cold start, on two builds side by side (OLD_FX before, build/fx after), with hyperfine.
# See bench/README.md, "Issue 17".       bench/runtime_discovery.sh OLD_FX [RUNS]
#
#   deploy (cached)    `fx deploy --force` of a three-runtime service (python3.11, nodejs20.x,
#                      ruby3.3) to a running emulator that resolved its runtimes before
#   deploy (fresh)     the same right after the emulator restarted: every runtime discovered
#                      again (each candidate interpreter started once to ask its version)
#   cold start         `fx invoke py` right after `fx deploy --force -f py` stopped its instance
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
old="${1:?usage: bench/runtime_discovery.sh OLD_FX [RUNS]}"
runs="${2:-15}"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed" >&2; exit 1; }
out="$here/results/runtime_discovery-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
work="$(mktemp -d /tmp/fxbench-runtimes-XXXXXX)"
trap 'for w in old new; do FX_HOME="$work/$w/home" "${bin[$w]}" emulator stop >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
declare -A bin=([old]="$old" [new]="$FX_BIN")

for w in old new; do
  svc="$work/$w/svc"
  mkdir -p "$svc" "$work/$w/home"
  cat >"$svc/serverless.yaml" <<EOF
service: rt$w
provider: {name: aws, runtime: python3.11}
functions:
  py: {handler: app.handler}
  node: {handler: app.handler, runtime: nodejs20.x}
  rb: {handler: app.handler, runtime: ruby3.3}
EOF
  printf 'def handler(event, context):\n    return {}\n' >"$svc/app.py"
  printf 'exports.handler = async () => ({});\n' >"$svc/app.js"
  printf 'def handler(event:, context:)\n  {}\nend\n' >"$svc/app.rb"
  (cd "$svc" && FX_HOME="$work/$w/home" "${bin[$w]}" emulator start --port 0 >/dev/null &&
     FX_HOME="$work/$w/home" "${bin[$w]}" deploy >/dev/null 2>&1 &&
     FX_HOME="$work/$w/home" "${bin[$w]}" invoke py >/dev/null)
done

cmd() {  # cmd WHICH ARGS...: an fx command of one side, in its service, as hyperfine runs it
  local w="$1"
  shift
  echo "cd $work/$w/svc && FX_HOME=$work/$w/home ${bin[$w]} $*"
}

hyperfine --runs "$runs" --warmup 2 --export-json "$out/deploy_cached.json" \
  -n "old: deploy (cached)" "$(cmd old deploy --force) >/dev/null 2>&1" \
  -n "new: deploy (cached)" "$(cmd new deploy --force) >/dev/null 2>&1"
hyperfine --runs "$runs" --warmup 1 --export-json "$out/deploy_fresh.json" \
  --prepare "$(cmd old emulator stop) >/dev/null; $(cmd old emulator start --port 0) >/dev/null; $(cmd new emulator stop) >/dev/null; $(cmd new emulator start --port 0) >/dev/null" \
  -n "old: deploy (fresh emulator)" "$(cmd old deploy --force) >/dev/null 2>&1" \
  -n "new: deploy (fresh emulator)" "$(cmd new deploy --force) >/dev/null 2>&1"
hyperfine --runs "$runs" --warmup 2 --export-json "$out/cold_start.json" \
  --prepare "$(cmd old deploy --force -f py) >/dev/null 2>&1; $(cmd new deploy --force -f py) >/dev/null 2>&1" \
  -n "old: cold start (py)" "$(cmd old invoke py) >/dev/null" \
  -n "new: cold start (py)" "$(cmd new invoke py) >/dev/null"

python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
rows = []
for name in ("deploy_cached", "deploy_fresh", "cold_start"):
    with open(os.path.join(out, name + ".json")) as f:
        res = json.load(f)["results"]
    old, new = (r["median"] * 1000 for r in res)
    rows.append(f"| {name.replace('_', ' ')} | {old:.1f} ms | {new:.1f} ms | {new / old:.2f} |")
table = "| median | before | after | after/before |\n|---|---|---|---|\n" + "\n".join(rows)
print(table)
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write(table + "\n")
EOF
echo "results in $out"

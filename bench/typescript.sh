#!/usr/bin/env bash
# fx benchmark for issue 17 (code built as the build plugins build it). See bench/README.md,
# "Issue 17: TypeScript".
#
#   bench/typescript.sh
#
# One TypeScript project (a handler importing three local modules and lodash-es from
# node_modules) packaged, side by side in the same run, by:
#   - `fx package` (esbuild run by fx: the project's own), bundle rebuilt each run
#   - `serverless package` (Framework v3) with serverless-esbuild, same esbuild
#   - `esbuild` alone, the same bundle the two above make (the floor: what building costs)
#   - `npx esbuild`, the same through npx
# Medians, minimum and maximum by hyperfine; the summary is printed as a Markdown table.
#
# FX_BIN            the fx binary (default: build/fx under the repo root)
# FXBENCH_TS_DIR    where serverless@3, serverless-esbuild, esbuild and lodash-es are installed
#                   from npm on first use (default /tmp/fxbench-ts, outside the repo)
# FXBENCH_RUNS      runs of each (default 10)
set -euo pipefail
source "$(dirname "$0")/common.sh"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed: apt-get install -y hyperfine" >&2; exit 1; }
npm_dir="${FXBENCH_TS_DIR:-/tmp/fxbench-ts}"
runs="${FXBENCH_RUNS:-10}"
work="$(mktemp -d /tmp/fxbench-ts-work-XXXXXX)"
trap 'mkdir -p "$repo/bench/results"; cp -r "$work/results" "$repo/bench/results/typescript-$(date -u +%Y%m%dT%H%M%S)" 2>/dev/null; rm -rf "$work"' EXIT
export FX_HOME="$work/home"

if [ ! -x "$npm_dir/node_modules/.bin/esbuild" ] || [ ! -d "$npm_dir/node_modules/serverless-esbuild" ]; then
  mkdir -p "$npm_dir"
  [ -f "$npm_dir/package.json" ] || echo '{"name":"fxbench-ts","private":true}' > "$npm_dir/package.json"
  (cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error \
     serverless@3 serverless-esbuild@1 esbuild@0.24.2 lodash-es@4 >/dev/null) ||
    echo "bench: npm could not install serverless@3 and serverless-esbuild: that peer is skipped" >&2
fi
[ -x "$npm_dir/node_modules/.bin/esbuild" ] || { echo "bench: no esbuild in $npm_dir" >&2; exit 1; }

svc="$work/svc"
mkdir -p "$svc/src/lib"
ln -s "$npm_dir/node_modules" "$svc/node_modules"
cat > "$svc/serverless.yml" <<'YAML'
service: tsbench
frameworkVersion: '3'
provider: {name: aws, runtime: nodejs20.x}
plugins: [serverless-esbuild]
custom:
  esbuild: {bundle: true, minify: true, sourcemap: true, exclude: [aws-sdk], target: node20}
functions:
  hello:
    handler: src/handler.hello
YAML
cat > "$svc/src/handler.ts" <<'TS'
import { chunk, sortBy } from 'lodash-es';
import { parse } from './lib/parse';
import { render } from './lib/render';
import type { Order } from './lib/types';

export const hello = async (event: { body?: string }) => {
  const orders: Order[] = parse(event.body ?? '[]');
  return { statusCode: 200, body: render(chunk(sortBy(orders, 'total'), 10)) };
};
TS
cat > "$svc/src/lib/types.ts" <<'TS'
export interface Order { id: string; total: number }
TS
cat > "$svc/src/lib/parse.ts" <<'TS'
import type { Order } from './types';
export const parse = (text: string): Order[] => JSON.parse(text).map((o: Order) => ({ ...o }));
TS
cat > "$svc/src/lib/render.ts" <<'TS'
import type { Order } from './types';
export const render = (pages: Order[][]): string => JSON.stringify({ pages: pages.length, pages_: pages });
TS

results="$work/results"
mkdir -p "$results"
esb="$npm_dir/node_modules/.bin/esbuild"
# hyperfine takes one --prepare per command: each tool starts from no output of its own.
cmds=(
  -n "fx package" --prepare "rm -rf $svc/.fx/build $svc/.fx/node-build" "cd $svc && $FX_BIN package"
  -n "esbuild" --prepare "rm -rf $work/esb" "cd $svc && $esb src/handler.ts --bundle --minify --sourcemap --platform=node --target=node20 --format=cjs --external:aws-sdk --outfile=$work/esb/handler.js --log-level=warning"
  -n "npx esbuild" --prepare "rm -rf $work/npx" "cd $npm_dir && npx --no-install esbuild $svc/src/handler.ts --bundle --minify --sourcemap --platform=node --target=node20 --format=cjs --external:aws-sdk --outfile=$work/npx/handler.js --log-level=warning"
)
if [ -x "$npm_dir/node_modules/.bin/serverless" ]; then
  cmds+=(-n "serverless package + serverless-esbuild" --prepare "rm -rf $svc/.serverless $svc/.esbuild"
         "cd $svc && SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off $npm_dir/node_modules/.bin/serverless package")
fi
hyperfine --warmup 1 --runs "$runs" --export-json "$results/hyperfine.json" "${cmds[@]}" >/dev/null
(cd "$svc" && "$FX_BIN" package --json > "$results/fx.json")
python3 - "$results/hyperfine.json" "$svc/.fx/build/hello.zip" "$svc/.serverless/hello.zip" <<'PY'
import json, os, sys, platform
runs = json.load(open(sys.argv[1]))["results"]
ms = lambda s: f"{s * 1000:.0f} ms"
base = next(r for r in runs if r["command"] == "esbuild")["median"]
print(f"| tool | median | min–max | runs | × esbuild |")
print("|---|---|---|---|---|")
for r in runs:
    print(f"| {r['command']} | {ms(r['median'])} | {ms(r['min'])}–{ms(r['max'])} | {len(r['times'])} | {r['median'] / base:.1f} |")
for name, path in (("fx", sys.argv[2]), ("serverless", sys.argv[3])):
    if os.path.exists(path):
        print(f"\n{name} zip: {os.path.getsize(path)} bytes")
print(f"\nmachine: {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
PY

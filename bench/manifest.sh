#!/usr/bin/env bash
# fx benchmark for issue 17 (Serverless Framework manifests as they are). See bench/README.md,
# "Issue 17".
#
#   bench/manifest.sh
#
# Times loading a 100-function manifest, the part of every fx command that reads
# serverless.yaml: `fx package -f none` loads, resolves and validates the whole manifest, then
# stops (no such function) before packaging anything. Two services:
#   plain     100 functions, each with an http and a schedule event and ${self:}/${opt:}
#             variables in its environment (what fx read before issue 17)
#   features  the same plus what issue 17 reads: useDotenv with a .env.dev of 200 expanded
#             variables read through ${env:}, serverless-dotenv-plugin putting them in every
#             function's environment, ${strToBool(...)} and ${merge(...)}, and bare event names
#             (alexaSkill, iot) beside websocket events
#
# FX_BIN          the fx binary (default: build/fx under the repo root)
# FX_BIN_BEFORE   optional: an fx built from before the change, timed on `plain` beside it
# FXBENCH_RUNS    hyperfine runs per command (default 30)
#
# Raw results go to bench/results/manifest-<UTC time>/ (git-ignored); the summary is printed.
# No network, temp dirs only, about a minute on a 2-core machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
FX_BIN="${FX_BIN:-$repo/build/fx}"
runs="${FXBENCH_RUNS:-30}"
die() { echo "bench: $*" >&2; exit 1; }
[ -x "$FX_BIN" ] || die "no fx binary at $FX_BIN: build it (scripts/build.sh) or set FX_BIN"
command -v hyperfine >/dev/null || die "hyperfine is needed: apt-get install -y hyperfine"

out="$repo/bench/results/manifest-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
work="$(mktemp -d /tmp/fxbench-manifest.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export FX_HOME="$work/home" NO_COLOR=1

python3 - "$work" <<'PY'
import os, sys
work = sys.argv[1]

def service(features):
    lines = ["service: bench", "provider:", "  name: aws", "  runtime: python3.12",
             "  stage: ${opt:stage, 'dev'}"]
    if features:
        lines = ["service: bench", "useDotenv: true", "plugins:", "  - serverless-dotenv-plugin",
                 "custom:", "  a: {A: '1'}", "  b: {B: '2'}",
                 "  on: ${strToBool(${env:FEATURE_ON})}"] + lines[1:] + [
                 "  environment: ${merge(${self:custom.a}, ${self:custom.b})}"]
    lines.append("functions:")
    for i in range(100):
        lines += [f"  fn{i}:", "    handler: handler.main", "    environment:",
                  "      STAGE: ${self:provider.stage}", f"      NAME: fn{i}-${{opt:stage, 'dev'}}"]
        if features:
            lines += [f"      V: ${{env:VAR{i}}}", "      ON: ${self:custom.on}"]
        lines += ["    events:", f"      - http: GET fn{i}", "      - schedule: rate(5 minutes)"]
        if features:
            lines += ["      - alexaSkill", "      - iot", "      - websocket: $connect"]
    return "\n".join(lines) + "\n"

for name, features in (("plain", False), ("features", True)):
    d = os.path.join(work, name)
    os.makedirs(d)
    open(os.path.join(d, "serverless.yaml"), "w").write(service(features))
    open(os.path.join(d, "handler.py"), "w").write("def main(event, context):\n    return 1\n")
    if features:
        env = ["BASE=https://example.com", "FEATURE_ON=TRUE"]
        env += [f"VAR{i}=${{BASE}}/v{i}/$FEATURE_ON" for i in range(200)]
        open(os.path.join(d, ".env.dev"), "w").write("\n".join(env) + "\n")
        open(os.path.join(d, ".env"), "w").write("\n".join(env) + "\n")
PY

# The command fails on purpose (no function "none"), after the whole manifest is read.
check() { local r; r=$(cd "$1" && "$2" package -f none 2>&1 || true)
  echo "$r" | grep -q "none" || die "unexpected answer in $1: $r"; }
check "$work/plain" "$FX_BIN"
check "$work/features" "$FX_BIN"
cmds=(-n "plain (after)" "cd $work/plain && $FX_BIN package -f none"
      -n "features (after)" "cd $work/features && $FX_BIN package -f none")
if [ -n "${FX_BIN_BEFORE:-}" ]; then
  check "$work/plain" "$FX_BIN_BEFORE"
  cmds=(-n "plain (before)" "cd $work/plain && $FX_BIN_BEFORE package -f none" "${cmds[@]}")
fi
hyperfine -i -w 3 -r "$runs" --export-json "$out/manifest.json" "${cmds[@]}"
echo "raw results: $out"

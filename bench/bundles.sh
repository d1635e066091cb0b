#!/usr/bin/env bash
# fx benchmarks for issue 3 (minimal bundles). See bench/README.md, "Issue 3: minimal bundles".
#
#   bench/bundles.sh [--only ab] [--keep-work]
#
#   (a) a Node function using lodash, moment and axios (installed from npm into a scratch
#       service): `fx package` uncached and cached, beside `serverless package` (v3) and
#       `esbuild --bundle --minify`; zip bytes, file counts, packaging time; then fx deploy +
#       fx invoke of that bundle
#   (b) a Python function importing botocore.exceptions from a vendored copy of botocore
#       (custom.fx.pythonPath: vendor), deployed minimized and with minify: false: cold-start
#       Init Duration, alternating the two
#
# FX_BIN            the fx binary (default: build/fx under the repo root)
# FXBENCH_NPM_DIR   where serverless@3 and esbuild live; installed there with npm on first use
#                   (default /tmp/fxbench-npm, shared with bench/run.sh, outside the repo)
# Loop sizes: FXBENCH_PKG_RUNS (15), FXBENCH_CACHED_RUNS (30), FXBENCH_ESBUILD_RUNS (15),
#             FXBENCH_SLS_PKG_RUNS (5), FXBENCH_BUNDLE_COLD_N (10)
#
# Raw results go to bench/results/bundles-<UTC time>/ (git-ignored); the summary is printed.
# Loopback only (npm install from the registry aside), bounded loops, temp dirs, its own
# FX_HOME and emulator (stopped at the end). About 3-5 minutes on a 2-core machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
FX_BIN="${FX_BIN:-$repo/build/fx}"
case "$FX_BIN" in /*) ;; *) FX_BIN="$repo/$FX_BIN" ;; esac
export FXBENCH_NPM_DIR="${FXBENCH_NPM_DIR:-/tmp/fxbench-npm}"

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$FX_BIN" ] || die "no fx binary at $FX_BIN: build it (scripts/build.sh) or set FX_BIN"
command -v python3 >/dev/null || die "python3 is needed"
command -v hyperfine >/dev/null || die "hyperfine is needed: apt-get install -y hyperfine"

only=ab
prev=
for a in "$@"; do
  [ "$prev" = "--only" ] && only="$a"
  prev="$a"
done

# (a) needs node and npm: the service's own dependencies, and the two peers (serverless@3 and
# esbuild) in the shared scratch folder.
if [[ "$only" == *a* ]]; then
  command -v node >/dev/null && command -v npm >/dev/null || die "(a) needs node and npm (or run --only b)"
  need=()
  [ -x "$FXBENCH_NPM_DIR/node_modules/.bin/serverless" ] || need+=(serverless@3)
  [ -x "$FXBENCH_NPM_DIR/node_modules/.bin/esbuild" ] || need+=(esbuild)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "bench: installing ${need[*]} into $FXBENCH_NPM_DIR (once, ~1 min)" >&2
    mkdir -p "$FXBENCH_NPM_DIR"
    (cd "$FXBENCH_NPM_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund --loglevel=error "${need[@]}" >&2) ||
      echo "bench: npm install failed: the missing peers will be skipped" >&2
  fi
fi

out="$here/results/bundles-$(date -u +%Y%m%dT%H%M%SZ)"
echo "bench: fx = $FX_BIN ($("$FX_BIN" --version 2>/dev/null || echo '?')), results in $out" >&2
exec python3 "$here/bundles/bundles.py" --fx "$FX_BIN" --out "$out" --npm-dir "$FXBENCH_NPM_DIR" "$@"

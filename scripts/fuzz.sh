#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang into build-fuzz/ and runs each for a
# fixed time on a copy of its seed corpus, after replaying its committed regressions. Fails,
# naming the target and the input that did it, when a target finds a crash, a leak, a timeout
# or an out-of-memory.
#
#   scripts/fuzz.sh                      every target, 20 s each, two at a time
#   scripts/fuzz.sh --time 600 --target sqs --target manifest
#   scripts/fuzz.sh --jobs 1             one at a time
#   scripts/fuzz.sh --timeout 60         an input slower than 60 s is a hang (default 10; raise it
#                                        on a loaded machine, where a 0.2 s input can take 10 s)
#
# What a run found is kept in build-fuzz/findings/<target>/ (the repo is never written to).
set -euo pipefail
cd "$(dirname "$0")/.."

time_s=20
jobs=2
unit_timeout=10
targets=()
while (($#)); do
  case $1 in
    --time) time_s=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --timeout) unit_timeout=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$f" .cpp)
    targets+=("${name#fuzz_}")
  done
fi
for t in "${targets[@]}"; do
  [[ -f tests/fuzz/fuzz_$t.cpp ]] || { echo "fuzz.sh: no target '$t' in tests/fuzz/" >&2; exit 2; }
done

scripts/install-deps.sh --fuzz
# ccache keys on paths relative to the repo, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
build=build-fuzz
CC=clang-16 CXX=clang++-16 cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFX_FUZZ=ON \
  -DFX_BUILD_TESTS=OFF >/dev/null
cmake --build $build --target "${targets[@]/#/fuzz_}"

symbolizer=/usr/lib/llvm-16/bin/llvm-symbolizer
[[ -x $symbolizer ]] || symbolizer=$(command -v llvm-symbolizer || true)
export ASAN_SYMBOLIZER_PATH=$symbolizer
# A report names every frame; an abort (a target's own check) is a crash like any other.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d)
# The targets' own files (sockets, SQLite, unpacked zips) go in memory, in a directory of this
# run's that goes with it, whatever the targets did.
scratch=$(mktemp -d -p /dev/shm fx-fuzz-run.XXXXXX 2>/dev/null || mktemp -d)
export FX_FUZZ_SCRATCH=$scratch
trap 'rm -rf "$work" "$scratch"' EXIT

# Runs one target; writes its one-line result to $work/<target>.result.
run_target() {
  local t=$1 bin=$build/fuzz_$1 dir=$work/$1 findings=$build/findings/$1
  rm -rf "$findings"
  mkdir -p "$dir/corpus" "$findings"
  local regressions=(tests/fuzz/regressions/"$t"/*)
  regressions=("${regressions[@]/*README*/}")
  local inputs=()
  for f in "${regressions[@]}"; do [[ -f $f ]] && inputs+=("$f"); done
  if ((${#inputs[@]})) && ! "$bin" -rss_limit_mb=2048 -timeout="$unit_timeout" "${inputs[@]}" >"$dir/replay.log" 2>&1; then
    cp "$dir/replay.log" "$findings/replay.log"
    echo "FAILED $t: a committed regression input fails again (log: $findings/replay.log)" \
      >"$work/$t.result"
    return
  fi
  cp -r tests/fuzz/corpus/"$t"/. "$dir/corpus/"
  local dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict=tests/fuzz/$t.dict)
  if "$bin" -max_total_time="$time_s" -timeout="$unit_timeout" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "${dict[@]}" "$dir/corpus" >"$dir/log" 2>&1; then
    local runs speed cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
    cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1)
    echo "ok     $t: $time_s s, $runs runs ($speed/s), $cov" >"$work/$t.result"
  else
    cp "$dir/log" "$findings/log"
    local found
    found=$(ls -t "$findings"/{crash,leak,timeout,oom,slow-unit}-* 2>/dev/null | head -1 || true)
    echo "FAILED $t: ${found:-no input saved} (log: $findings/log)" >"$work/$t.result"
  fi
}

echo "fuzzing ${targets[*]}: $time_s s each, $jobs at a time"
running=0
for t in "${targets[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
  cat "$work/$t.result"
  if grep -q '^ok' "$work/$t.result"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
for t in "${targets[@]}"; do
  grep -q '^FAILED' "$work/$t.result" || continue
  echo "--- fuzz_$t, the end of its log:"
  tail -n 40 "$build/findings/$t/"*log
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))

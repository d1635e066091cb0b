#!/usr/bin/env bash
# The main job: build and install fx, then scaffold a Python service, deploy it to the local
# emulator, invoke it and print its logs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
"$repo/scripts/build.sh"
prefix=${PREFIX:-/usr/local}
[[ -w $prefix/bin ]] || prefix="$HOME/.local"
cmake --install "$repo/build" --prefix "$prefix" >/dev/null
fx="$prefix/bin/fx"
echo "installed $fx ($("$fx" --version))"

work=$(mktemp -d)
cd "$work"
set -x
"$fx" init hello-fx --template python
cd hello-fx
"$fx" deploy
"$fx" invoke hello --data '{"name": "fx"}'
curl -s "$("$fx" emulator status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["gateway_url"])')/hello"
echo
"$fx" logs hello
"$fx" cost

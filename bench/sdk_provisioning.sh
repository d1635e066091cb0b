#!/usr/bin/env bash
# fx benchmark for issue 17: what installing the Node SDK (the @aws-sdk/* clients fx provisions
# into FX_HOME/sdk for nodejs18.x+ functions) costs a first deploy, for the old list of 8
# clients and the list core/runtimes/registry.cpp names now, side by side, rounds alternating.
# Each install is the npm command fx runs (same flags), into an empty folder, with an empty
# npm cache (a fresh machine) and then with a warm one (npm's cache already holds the
# packages: a second FX_HOME, a CI runner with a cache).
# See bench/README.md, "Issue 17 — SDK provisioning".   bench/sdk_provisioning.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds="${1:-3}"
exec python3 - "$here/../core/runtimes/registry.cpp" "$rounds" <<'PY'
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time

registry, rounds = sys.argv[1], int(sys.argv[2])
text = open(registry).read()
node = text[text.index('.name = "node"'):]
block = node[node.index(".packages = {"):]
block = block[:block.index("}")]
new = re.findall(r'"(@aws-sdk/[^"]+)"', block)
version = re.search(r'\.version = "([^"]+)"', node).group(1)
old = ["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/client-sqs",
       "@aws-sdk/client-lambda", "@aws-sdk/client-s3", "@aws-sdk/client-sns",
       "@aws-sdk/client-ssm", "@aws-sdk/client-secrets-manager"]
FLAGS = ["--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--ignore-scripts",
         "--omit=dev", "--loglevel=error", "--fetch-retries=1", "--fetch-timeout=60000"]


def install(packages, cache):
    d = tempfile.mkdtemp(prefix="fx-sdkbench-")
    try:
        with open(os.path.join(d, "package.json"), "w") as f:
            f.write('{"name":"fx-runtime-sdk","private":true}\n')
        t = time.monotonic()
        subprocess.run(["npm", "install", *FLAGS, "--prefix", d,
                        *[f"{p}@{version}" for p in packages]],
                       check=True, capture_output=True,
                       env={**os.environ, "npm_config_cache": cache,
                            "npm_config_update_notifier": "false"})
        seconds = time.monotonic() - t
        out = subprocess.run(["du", "-sm", os.path.join(d, "node_modules")],
                             capture_output=True, text=True).stdout.split()[0]
        count = len(os.listdir(os.path.join(d, "node_modules", "@smithy"))) + \
            len(os.listdir(os.path.join(d, "node_modules", "@aws-sdk")))
        return seconds, int(out), count
    finally:
        shutil.rmtree(d, ignore_errors=True)


results = {("old", "cold"): [], ("new", "cold"): [], ("old", "warm"): [], ("new", "warm"): []}
sizes = {}
for r in range(rounds):
    for name, packages in (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old)):
        cache = tempfile.mkdtemp(prefix="fx-sdkbench-cache-")
        try:
            s, mb, n = install(packages, cache)
            results[(name, "cold")].append(s)
            s2, _, _ = install(packages, cache)
            results[(name, "warm")].append(s2)
            sizes[name] = (mb, n)
            print(f"round {r + 1} {name}: cold {s:.1f} s, warm {s2:.1f} s, {mb} MB, {n} packages",
                  flush=True)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
print(f"\nSDK {version}; old list {len(old)} packages, new list {len(new)}; medians of {rounds}")
print("| list | clients | npm install, empty cache | npm install, warm cache | node_modules | @aws-sdk + @smithy packages |")
print("|---|---|---|---|---|---|")
for name, packages in (("old", old), ("new", new)):
    print(f"| {name} | {len(packages)} | {statistics.median(results[(name, 'cold')]):.1f} s | "
          f"{statistics.median(results[(name, 'warm')]):.1f} s | {sizes[name][0]} MB | {sizes[name][1]} |")
print(json.dumps({f"{k[0]}-{k[1]}": v for k, v in results.items()}))
PY

"""Issue 7's deploy benchmark: `fx deploy --target aws` of a 20-function service against moto,
first a full deploy, then the same with nothing changed, then with one function's code
changed, which must send exactly one code upload. The uploads are counted by the proxy
between fx and moto (bench/aws/moto_proxy.py), not by fx.

Each repetition deploys a service of its own name to the same moto, so every first deploy
creates its 20 functions and its role from nothing. IAM's managed policies are loaded by
moto before the first timing (moto does that lazily, taking seconds, on the first IAM call).
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from moto_proxy import MotoProxy, MotoServer  # noqa: E402

FUNCTIONS = 20


def write_service(folder, name):
    os.makedirs(folder)
    lines = [f"service: {name}", "provider:", "  name: aws", "  runtime: python3.11",
             "  memorySize: 256", "package:", "  individually: true", "functions:"]
    for i in range(FUNCTIONS):
        key = f"fn{i:02d}"
        lines += [f"  {key}:", f"    handler: {key}.handler",
                  f"    package: {{patterns: ['!**', '{key}.py']}}"]
        if i % 4 == 0:  # some HTTP functions: a function URL each
            lines += ["    events:", f"      - httpApi: 'GET /{key}'"]
        with open(os.path.join(folder, f"{key}.py"), "w") as f:
            f.write(f"def handler(event, context):\n    return {{'fn': '{key}', 'v': 1}}\n")
    with open(os.path.join(folder, "serverless.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def deploy(fx, folder, env):
    start = time.perf_counter()
    proc = subprocess.run([fx, "deploy", "--target", "aws", "--json"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"fx deploy failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, {f["function"]: f["status"] for f in json.loads(proc.stdout)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("FXBENCH_AWS_DEPLOY_RUNS", 5)))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="fxbench-aws-")
    moto = MotoServer(log_path=os.path.join(args.out, "moto.log"))
    proxy = MotoProxy(moto.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FX_"))}
    env.update({"HOME": work, "FX_HOME": os.path.join(work, "fx-home"), "NO_COLOR": "1",
                "AWS_ENDPOINT_URL": proxy.url, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"})
    rows = []
    try:
        import boto3
        boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1",
                     aws_access_key_id="x", aws_secret_access_key="x").list_roles()
        for run in range(args.runs):
            folder = os.path.join(work, f"svc{run}")
            write_service(folder, f"bench{run}")
            row = {"run": run + 1}
            for phase in ("first", "unchanged", "one_changed"):
                if phase == "one_changed":
                    with open(os.path.join(folder, "fn07.py"), "a") as f:
                        f.write("# changed\n")
                proxy.recorder.reset()
                seconds, statuses = deploy(args.fx, folder, env)
                stats = {}
                for op, count in proxy.recorder.stats().items():
                    op = re.sub(r"/functions/[^/]+", "/functions/NAME", op)
                    stats[op] = stats.get(op, 0) + count
                counts = {s: list(statuses.values()).count(s) for s in set(statuses.values())}
                row[phase] = {"seconds": round(seconds, 3), "uploads": proxy.recorder.code_uploads(),
                              "calls": sum(stats.values()), "statuses": counts,
                              "by_call": stats}
            expected = {"first": ({"created": FUNCTIONS}, FUNCTIONS),
                        "unchanged": ({"unchanged": FUNCTIONS}, 0),
                        "one_changed": ({"unchanged": FUNCTIONS - 1, "updated": 1}, 1)}
            for phase, (statuses, uploads) in expected.items():
                if row[phase]["statuses"] != statuses or row[phase]["uploads"] != uploads:
                    raise SystemExit(f"run {run + 1} {phase}: expected {statuses} and {uploads} "
                                     f"uploads, got {row[phase]}")
            rows.append(row)
            print(f"run {row['run']}: first {row['first']['seconds']:.2f} s "
                  f"({row['first']['uploads']} uploads, {row['first']['calls']} calls), "
                  f"unchanged {row['unchanged']['seconds']:.2f} s ({row['unchanged']['uploads']} "
                  f"uploads, {row['unchanged']['calls']} calls), one changed "
                  f"{row['one_changed']['seconds']:.2f} s ({row['one_changed']['uploads']} upload, "
                  f"{row['one_changed']['calls']} calls)", flush=True)
    finally:
        proxy.close()
        moto.close()
        shutil.rmtree(work, ignore_errors=True)

    def median(phase, key):
        return statistics.median(r[phase][key] for r in rows)

    summary = {
        "runs": len(rows), "functions": FUNCTIONS,
        "median_seconds": {p: median(p, "seconds") for p in ("first", "unchanged", "one_changed")},
        "range_seconds": {p: [min(r[p]["seconds"] for r in rows), max(r[p]["seconds"] for r in rows)]
                          for p in ("first", "unchanged", "one_changed")},
        "uploads": {p: sorted({r[p]["uploads"] for r in rows}) for p in ("first", "unchanged", "one_changed")},
        "calls": {p: median(p, "calls") for p in ("first", "unchanged", "one_changed")},
        "machine": {"nproc": os.cpu_count(), "platform": platform.platform(),
                    "loadavg": os.getloadavg()},
        "rows": rows,
    }
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    m = summary["median_seconds"]
    print(f"\nmedian of {len(rows)} runs, {FUNCTIONS} functions:")
    print(f"  first deploy (all created)   {m['first']:.2f} s   uploads {summary['uploads']['first']}")
    print(f"  nothing changed              {m['unchanged']:.2f} s   uploads {summary['uploads']['unchanged']}")
    print(f"  one function changed         {m['one_changed']:.2f} s   uploads {summary['uploads']['one_changed']}")
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
